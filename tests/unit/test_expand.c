/* Placeholder expansion of pipeline values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expand.h"

static const struct expand_vars vars = {
    .workspace = "/ws",
    .package = "/ws/os/axvisor",
    .tmp_dir = "/tmp",
    .arch = "riscv64",
};

static char *expand_ok(const char *in)
{
	struct strbuf err;
	char *out = NULL;

	strbuf_init(&err);
	assert_int_equal(expand_value(in, &vars, &out, &err), 0);
	strbuf_release(&err);
	return out;
}

static void expect(const char *in, const char *want)
{
	char *out = expand_ok(in);

	assert_string_equal(out, want);
	free(out);
}

static void expect_error(const char *in, const char *fragment)
{
	struct strbuf err;
	char *out = NULL;

	strbuf_init(&err);
	assert_int_equal(expand_value(in, &vars, &out, &err), BP_ECONFIG);
	assert_null(out);
	assert_non_null(err.buf);
	assert_non_null(strstr(err.buf, fragment));
	strbuf_release(&err);
}

static void test_known_placeholders(void **state)
{
	(void)state;
	expect("${workspace}/target", "/ws/target");
	expect("${workspaceFolder}", "/ws");
	expect("${package}/configs/qemu/qemu-${arch}.toml",
	       "/ws/os/axvisor/configs/qemu/qemu-riscv64.toml");
	expect("${tmpDir}/x", "/tmp/x");
	expect("plain", "plain");
	expect("", "");
	expect("cost $5", "cost $5");
	expect("$${workspace}", "${workspace}");
}

static void test_environment(void **state)
{
	(void)state;
	setenv("BP_TEST_ARCH", "x86_64", 1);
	unsetenv("BP_TEST_UNSET");
	expect("${env:BP_TEST_ARCH}", "x86_64");
	expect("${env:BP_TEST_ARCH:-aarch64}", "x86_64");
	expect("${env:BP_TEST_UNSET:-aarch64}", "aarch64");
	expect("${env:BP_TEST_UNSET:-}", "");
	expect_error("${env:BP_TEST_UNSET}", "BP_TEST_UNSET is not set");
	expect_error("${env:BP_TEST_ARCH:x}", "malformed");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("${workspce}", "unknown placeholder ${workspce}");
	expect_error("${workspace", "unterminated placeholder");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_placeholders),
	    cmocka_unit_test(test_environment),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
