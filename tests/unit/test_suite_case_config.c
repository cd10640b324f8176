/* The case keys bootpipe test reads (suite/case_config.c): test_commands,
 * [host_http_server], the timeout scale, vm_configs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "case_config.h"
#include "testutil.h"

static char dir[4096];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(dir, sizeof(dir), "case-config");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(dir);
}

static int read_text(const char *text, struct suite_case_config *c, char *err)
{
	char *path = tu_asprintf("%s/qemu-x86_64.toml", dir);
	int rc;

	tu_write_file(path, text);
	rc = suite_case_config_read(path, "/ws", c, err, 1024);
	free(path);
	return rc;
}

static void reads_axbuild_keys_and_defaults(void **state)
{
	struct suite_case_config c;
	char err[1024];

	(void)state;
	assert_int_equal(
	    read_text("timeout = 120\n"
		      "test_commands = ['''\n  echo one\n''', \"b\"]\n"
		      "[host_http_server]\nport = 18180\n"
		      "body_size = 1048576\n",
		      &c, err),
	    0);
	assert_true(c.has_timeout);
	assert_int_equal(c.timeout, 120);
	assert_int_equal(c.test_command_count, 2);
	assert_string_equal(c.test_commands[0], "echo one");
	assert_true(c.http.present);
	assert_string_equal(c.http.bind, "127.0.0.1");
	assert_int_equal(c.http.port, 18180);
	assert_string_equal(c.http.body, "ArceOS local HTTP fixture\n");
	assert_true(c.http.has_body_size);
	assert_int_equal(c.http.body_size, 1048576);
	assert_int_equal(c.http.body_byte, 'a');
	assert_null(c.http.dir);
	suite_case_config_release(&c);

	assert_int_equal(
	    read_text("[host_http_server]\nport = 80\ndir = \"wheels\"\n", &c,
		      err),
	    0);
	assert_string_equal(c.http.dir, "/ws/wheels");
	assert_false(c.has_timeout);
	suite_case_config_release(&c);
}

static void refuses_bad_values(void **state)
{
	struct suite_case_config c;
	char err[1024];

	(void)state;
	assert_int_equal(
	    read_text("shell_init_cmd = 'x'\ntest_commands = ['y']\n", &c, err),
	    -1);
	assert_non_null(strstr(err, "qemu-x86_64.toml"));
	assert_non_null(strstr(err, "`shell_init_cmd` and `test_commands`"));
	/* a blank shell_init_cmd is no shell_init_cmd */
	assert_int_equal(
	    read_text("shell_init_cmd = ' '\ntest_commands = ['y']\n", &c, err),
	    0);
	suite_case_config_release(&c);
	assert_int_equal(
	    read_text("test_commands = ['ok', \"  \\n\"]\n", &c, err), -1);
	assert_non_null(strstr(err, ":1: test_commands[1] is empty"));
	assert_int_equal(
	    read_text("\n[host_http_server]\nport = 70000\n", &c, err), -1);
	assert_non_null(strstr(err, ":2: host_http_server.port"));
	assert_int_equal(
	    read_text("[host_http_server]\nport = 1\nbody_byte = 256\n", &c,
		      err),
	    -1);
	assert_non_null(strstr(err, "body_byte"));
}

static void timeout_scale_as_axbuild(void **state)
{
	char warn[256];

	(void)state;
	assert_int_equal(suite_scale_timeout(60, NULL, warn, sizeof(warn)), 60);
	assert_int_equal(suite_scale_timeout(60, "3", warn, sizeof(warn)), 180);
	assert_string_equal(warn, "");
	assert_int_equal(suite_scale_timeout(60, " 2 ", warn, sizeof(warn)),
			 120);
	/* 1, 0, negative and junk are ignored with a warning */
	assert_int_equal(suite_scale_timeout(60, "1", warn, sizeof(warn)), 60);
	assert_non_null(strstr(warn, "expected integer > 1"));
	assert_int_equal(suite_scale_timeout(60, "-2", warn, sizeof(warn)), 60);
	assert_int_equal(suite_scale_timeout(60, "2x", warn, sizeof(warn)), 60);
	/* no timeout stays none; a huge product saturates */
	assert_int_equal(suite_scale_timeout(0, "5", warn, sizeof(warn)), 0);
	assert_int_equal(suite_scale_timeout(9000000, "9", warn, sizeof(warn)),
			 10000000);
}

static void vm_configs_resolve_against_workspace(void **state)
{
	char *path = tu_asprintf("%s/build-x.toml", dir), err[1024], **vms;
	size_t n;

	(void)state;
	tu_write_file(path, "vm_configs = [\"os/a.toml\", \"/abs/b.toml\"]\n");
	assert_int_equal(
	    suite_build_vm_configs(path, "/ws", &vms, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(vms[0], "/ws/os/a.toml");
	assert_string_equal(vms[1], "/abs/b.toml");
	free(vms[0]);
	free(vms[1]);
	free(vms);
	tu_write_file(path, "vm_configs = \"x\"\n");
	assert_int_equal(
	    suite_build_vm_configs(path, "/ws", &vms, &n, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "vm_configs must be a list"));
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(reads_axbuild_keys_and_defaults,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_bad_values, setup,
					    teardown),
	    cmocka_unit_test(timeout_scale_as_axbuild),
	    cmocka_unit_test_setup_teardown(
		vm_configs_resolve_against_workspace, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
