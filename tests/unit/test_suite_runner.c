/* The test_commands runner (suite/runner.c): the text axbuild writes
 * (tests/data/suite/runner-starry.sh and profile-starry.sh, rendered by
 * hand from the format strings of axbuild's grouped_runner.rs), and what
 * it does when a shell runs it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "runner.h"
#include "testutil.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 16);

	assert_non_null(f);
	assert_true(fread(buf, 1, (1 << 16) - 1, f) > 0);
	fclose(f);
	return buf;
}

static char *data(const char *name)
{
	char *path =
	    tu_asprintf("%s/data/suite/%s", getenv("BOOTPIPE_TEST_DATA"), name);
	char *text = slurp(path);

	free(path);
	return text;
}

static void matches_axbuild_text(void **state)
{
	const char *cmds[] = {"echo hi", "a\nb", "test it's"};
	const struct suite_runner_markers *m =
	    suite_runner_markers_for("starry");
	char *got = suite_runner_script(m, cmds, 3),
	     *want = data("runner-starry.sh");

	(void)state;
	assert_string_equal(got, want);
	free(got);
	free(want);
	got = suite_runner_profile_script(m);
	want = data("profile-starry.sh");
	assert_string_equal(got, want);
	free(got);
	free(want);
	/* StarryOS starts it from profile.d, AxVisor at its prompt */
	assert_null(suite_runner_shell_init_cmd(m));
	m = suite_runner_markers_for("axvisor");
	got = suite_runner_shell_init_cmd(m);
	assert_string_equal(got, "exec /usr/bin/axvisor-run-case-tests");
	free(got);
	assert_null(suite_runner_profile_script(m));
	assert_null(suite_runner_markers_for("arceos"));
}

static void labels(void **state)
{
	char *l, *long_cmd = calloc(1, 200);

	(void)state;
	l = suite_runner_label("  echo hi \n");
	assert_string_equal(l, "echo hi");
	free(l);
	memset(long_cmd, 'x', 121);
	l = suite_runner_label(long_cmd);
	assert_int_equal(strncmp(l, "inline-command:", 15), 0);
	assert_int_equal(strlen(l), 15 + 8);
	free(l);
	long_cmd[120] = '\0';
	l = suite_runner_label(long_cmd);
	assert_string_equal(l, long_cmd);
	free(l);
	free(long_cmd);
}

/* Runs @script with sh, returns its exit status and output. */
static int run_sh(const char *script, char **out)
{
	char dir[4096];
	char *path, *cmd, *log;
	int status;

	assert_int_equal(tu_mkdtemp(dir, sizeof(dir), "runner"), 0);
	path = tu_asprintf("%s/run", dir);
	log = tu_asprintf("%s/out", dir);
	tu_write_file(path, script);
	cmd = tu_asprintf("sh '%s' >'%s' 2>&1", path, log);
	status = system(cmd);
	*out = slurp(log);
	tu_rmtree(dir);
	free(path);
	free(log);
	free(cmd);
	return WEXITSTATUS(status);
}

static void runs_every_command_and_says_which_failed(void **state)
{
	const char *bad[] = {"echo hi", "exit 7", "true"};
	const char *good[] = {"true", "echo 'quoted' \"too\""};
	const struct suite_runner_markers *m =
	    suite_runner_markers_for("axvisor");
	char *script, *out;

	(void)state;
	script = suite_runner_script(m, bad, 3);
	assert_int_equal(run_sh(script, &out), 1);
	assert_non_null(strstr(out, "AXVISOR_GROUPED_TEST_PASSED: step=1/3 "));
	assert_non_null(strstr(out, "\nhi\n"));
	assert_non_null(strstr(out, "AXVISOR_GROUPED_TEST_FAILED: step=2/3 "));
	assert_non_null(strstr(out, " status=7 command=exit 7\n"));
	/* a failure does not stop the rest */
	assert_non_null(strstr(out, "AXVISOR_GROUPED_TEST_PASSED: step=3/3 "));
	assert_non_null(strstr(out, "\nAXVISOR_GROUPED_TESTS_FAILED\n"));
	free(script);
	free(out);
	script = suite_runner_script(m, good, 2);
	assert_int_equal(run_sh(script, &out), 0);
	assert_non_null(strstr(out, "quoted too\n"));
	assert_non_null(strstr(out, "\nAXVISOR_GROUPED_TESTS_PASSED\n"));
	assert_null(strstr(out, "FAILED"));
	free(script);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(matches_axbuild_text),
	    cmocka_unit_test(labels),
	    cmocka_unit_test(runs_every_command_and_says_which_failed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
