/* --exec: the typed line, its marker, and what passes for the marker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "exec.h"
#include "matcher.h"

#define TOKEN "0123456789abcdef"

static struct matcher *marker_matcher(const struct exec_cmd *x)
{
	struct matcher *m = matcher_new();
	char err[512];

	assert_non_null(m);
	assert_int_equal(
	    matcher_add(m, MATCHER_SUCCESS, x->pattern, err, sizeof(err)), 0);
	return m;
}

static void test_typed_line(void **state)
{
	struct exec_cmd x;

	(void)state;
	assert_int_equal(exec_prepare_token(&x, "make check", TOKEN), 0);
	assert_string_equal(x.typed,
			    "eval 'make check'; printf "
			    "'\\nbootpipe-exit-%s:%s\\n' " TOKEN " \"$?\"");
	exec_free(&x);
	/* quoted whole, whatever it ends in */
	assert_int_equal(exec_prepare_token(&x, "it's & # x", TOKEN), 0);
	assert_memory_equal(x.typed, "eval 'it'\\''s & # x'; printf ", 29);
	exec_free(&x);
}

/* The guest's echo of the typed line (even when it is not skipped as
 * one), and a marker with another token, are not the marker. */
static void test_echo_and_fakes_do_not_match(void **state)
{
	static const char out[] =
	    "~ # eval 'make check'; printf '\\nbootpipe-exit-%s:%s\\n' " TOKEN
	    " \"$?\"\r\n"
	    "bootpipe-exit-fedcba9876543210:0\r\n"
	    "x bootpipe-exit-" TOKEN ":0\r\n"
	    "build output\r\n"
	    "\r\n"
	    "bootpipe-exit-" TOKEN ":7\r\n";
	struct exec_cmd x;
	struct matcher *m;
	const struct matcher_hit *hit;

	(void)state;
	assert_int_equal(exec_prepare_token(&x, "make check", TOKEN), 0);
	m = marker_matcher(&x);
	assert_true(matcher_feed(m, out, strlen(out)));
	hit = matcher_verdict(m);
	assert_non_null(hit);
	assert_int_equal(hit->line, 6);
	assert_int_equal(exec_status(&x, hit), 7);
	matcher_free(m);
	exec_free(&x);
}

static void test_status_range(void **state)
{
	struct matcher_hit hit = {.kind = MATCHER_SUCCESS};
	struct exec_cmd x;

	(void)state;
	assert_int_equal(exec_prepare_token(&x, "true", TOKEN), 0);
	hit.pattern = x.pattern;
	strcpy(hit.excerpt, "bootpipe-exit-" TOKEN ":255\\x0d");
	assert_int_equal(exec_status(&x, &hit), 255);
	strcpy(hit.excerpt, "bootpipe-exit-" TOKEN ":256");
	assert_int_equal(exec_status(&x, &hit), -1);
	strcpy(hit.excerpt, "bootpipe-exit-fedcba9876543210:0");
	assert_int_equal(exec_status(&x, &hit), -1);
	hit.kind = MATCHER_FAIL;
	strcpy(hit.excerpt, "bootpipe-exit-" TOKEN ":0");
	assert_int_equal(exec_status(&x, &hit), -1);
	exec_free(&x);
}

/* Two runs never share a token. */
static void test_fresh_tokens(void **state)
{
	struct exec_cmd a, b;

	(void)state;
	assert_int_equal(exec_prepare(&a, "true"), 0);
	assert_int_equal(exec_prepare(&b, "true"), 0);
	assert_int_equal(strlen(a.token), EXEC_TOKEN_LEN);
	assert_string_not_equal(a.token, b.token);
	exec_free(&a);
	exec_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_typed_line),
	    cmocka_unit_test(test_echo_and_fakes_do_not_match),
	    cmocka_unit_test(test_status_range),
	    cmocka_unit_test(test_fresh_tokens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
