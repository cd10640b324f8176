/* Byte counts in options: 512M, 64G, plain numbers; and their names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "byte_size.h"

static uint64_t parsed(const char *text)
{
	uint64_t n = 12345;

	assert_true(byte_size_parse(text, &n));
	return n;
}

static void test_parse(void **unused)
{
	(void)unused;
	assert_int_equal(parsed("0"), 0);
	assert_int_equal(parsed("1048576"), 1048576);
	assert_int_equal(parsed("512K"), 512 * 1024);
	assert_int_equal(parsed("512k"), 512 * 1024);
	assert_int_equal(parsed("2M"), 2 * 1024 * 1024);
	assert_int_equal(parsed("2MiB"), 2 * 1024 * 1024);
	assert_int_equal(parsed("2MB"), 2 * 1024 * 1024);
	assert_int_equal(parsed(" 64 G "), (uint64_t)64 << 30);
	assert_int_equal(parsed("1T"), (uint64_t)1 << 40);
	assert_int_equal(parsed("100B"), 100);
	assert_int_equal(parsed("18446744073709551615"), UINT64_MAX);
}

static void test_refused(void **unused)
{
	static const char *const bad[] = {
	    "",		 "G",	    "-1",   "1.5G", "2X",
	    "2Gi",	 "2 G B",   "2GBB", "0x10", "18446744073709551616",
	    "16777216T", "2M junk",
	};
	uint64_t n = 7;

	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (byte_size_parse(bad[i], &n))
			fail_msg("`%s` was taken as %llu", bad[i],
				 (unsigned long long)n);
	}
	assert_int_equal(n, 7);
}

static void test_format(void **unused)
{
	char out[64];

	(void)unused;
	byte_size_format((uint64_t)64 << 30, out, sizeof(out));
	assert_string_equal(out, "64 GiB");
	byte_size_format(2 * 1024 * 1024, out, sizeof(out));
	assert_string_equal(out, "2 MiB");
	byte_size_format(1536, out, sizeof(out));
	assert_string_equal(out, "1536 bytes");
	byte_size_format(0, out, sizeof(out));
	assert_string_equal(out, "0 bytes");
	byte_size_format((uint64_t)3 << 40, out, sizeof(out));
	assert_string_equal(out, "3 TiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
