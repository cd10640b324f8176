/*
 * The guest-side runner of a case's test_commands, generated as axbuild's
 * test/case/grouped_runner.rs generates it: each command in `sh -c`, a
 * BEGIN / PASSED / FAILED marker line per command with its step, epoch and
 * status, then an all-passed or all-failed line that the case's success
 * and fail patterns match. StarryOS starts it from /etc/profile.d; AxVisor
 * types `exec RUNNER` at its shell prompt.
 */
#ifndef BOOTPIPE_SUITE_RUNNER_H
#define BOOTPIPE_SUITE_RUNNER_H

#include <stddef.h>

struct suite_runner_markers {
	const char *runner_name;    /* file name under /usr/bin */
	const char *runner_path;    /* where the guest finds it */
	const char *profile_script; /* /etc/profile.d/<name>, or NULL */
	const char *begin, *passed, *failed, *all_passed, *all_failed;
	const char *success_regex; /* replaces the case's success patterns */
	const char *fail_regex;	   /* added to the case's fail patterns */
};

/* The markers of @os (axvisor, starry), NULL for an OS without a runner. */
const struct suite_runner_markers *suite_runner_markers_for(const char *os);

/* The runner script for @commands. malloc'd; NULL when out of memory. */
char *suite_runner_script(const struct suite_runner_markers *m,
			  const char *const *commands, size_t count);

/* The /etc/profile.d script that starts the runner once per boot.
 * malloc'd; NULL when out of memory or the OS has none. */
char *suite_runner_profile_script(const struct suite_runner_markers *m);

/* The label a command has in the marker lines: itself when one line of
 * at most 120 bytes, else "inline-command:" and 8 hex digits of the
 * sha256 of its length (8 bytes, little-endian) and bytes. malloc'd. */
char *suite_runner_label(const char *command);

/* The shell_init_cmd that starts the runner where no profile script does
 * ("exec RUNNER_PATH"), NULL when the profile script does. malloc'd. */
char *suite_runner_shell_init_cmd(const struct suite_runner_markers *m);

#endif
