/*
 * Runs one QEMU attempt: starts the argv (no shell) in its own process
 * group, tees its console to the console sink and a log, feeds the matcher,
 * types the shell command after the prompt, enforces the timeouts, and
 * always stops the whole process group before returning.
 */
#ifndef BOOTPIPE_LAUNCH_SUPERVISE_H
#define BOOTPIPE_LAUNCH_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>

#include <bootpipe/error.h>
#include <bootpipe/plugin.h>

#include "matcher.h"

struct supervise_opts {
	const char *const *argv; /* binary (path or name) first */
	int64_t timeout_ms;	 /* 0: none */
	int64_t idle_timeout_ms; /* 0: none */
	int64_t drain_ms;	 /* at most, after a verdict */
	int64_t drain_quiet_ms;	 /* ... or until the console is this quiet */
	int64_t stop_grace_ms;
	int64_t shell_delay_ms;
	const char *shell_prefix; /* NULL: none */
	const char *shell_init_cmd;
	bool echo;	    /* copy QEMU's stdout/stderr to ours */
	int log_fd;	    /* console log, -1: none */
	int64_t log_max;    /* bytes the log keeps, 0: no limit */
	bool forward_stdin; /* our stdin is a terminal: forward it raw */
	bool require_success;
	bool keep_running; /* after the verdict, until the user stops it */
	/* stdout is a terminal that understands escapes: undo what the guest
	 * did to it (wrap, cursor, colours, alternate screen) at the end */
	bool restore_terminal;
	struct matcher *matcher; /* reset by the caller */
};

struct supervise_result {
	enum bp_outcome outcome; /* PASS..NO_VERDICT, INFRA, INTERRUPTED */
	char reason[2048];	 /* human text: the verdict or the failure */
	int wait_status;
	bool exited;	       /* wait_status is valid */
	uint64_t log_dropped;  /* console bytes past log_max, not written */
	uint64_t echo_dropped; /* console bytes the console sink did not take */
	bool console_seen;     /* QEMU wrote to its stdout: the guest spoke */
};

/* Returns 0 with @res filled for every outcome (including infra and
 * interrupted); a negative bp_status only when the host failed us
 * (pipes, memory), with res->reason saying why. */
int supervise_run(struct bp_stage *self, const struct supervise_opts *o,
		  struct supervise_result *res);

/* The text of a verdict hit, e.g. `fail pattern "X" matched line 3: "..."`.
 */
void supervise_describe_hit(const struct matcher_hit *hit, char *buf,
			    size_t len);

#endif
