/* The shared context: types, ownership and wrong-type errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bootpipe/context.h>
#include <bootpipe/error.h>

static void test_scalars_round_trip(void **state)
{
	struct bp_ctx *ctx = bp_ctx_new();
	char buf[] = "hello";
	const char *s;
	int64_t i;
	bool b;

	(void)state;
	assert_int_equal(bp_ctx_set_str(ctx, "a.str", buf), 0);
	buf[0] = 'j'; /* the context keeps its own copy */
	assert_int_equal(bp_ctx_set_int(ctx, "a.int", -42), 0);
	assert_int_equal(bp_ctx_set_bool(ctx, "a.bool", true), 0);
	assert_int_equal(bp_ctx_get_str(ctx, "a.str", &s), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(bp_ctx_get_int(ctx, "a.int", &i), 0);
	assert_int_equal(i, -42);
	assert_int_equal(bp_ctx_get_bool(ctx, "a.bool", &b), 0);
	assert_true(b);
	assert_int_equal(bp_ctx_count(ctx), 3);
	assert_string_equal(bp_ctx_key_at(ctx, 1), "a.int");
	bp_ctx_free(ctx);
}

static void test_wrong_type_is_an_error(void **state)
{
	struct bp_ctx *ctx = bp_ctx_new();
	const char *s = NULL;
	int64_t i;

	(void)state;
	bp_ctx_set_int(ctx, "n", 5);
	assert_int_equal(bp_ctx_get_str(ctx, "n", &s), BP_ETYPE);
	assert_null(s);
	assert_non_null(strstr(bp_ctx_error(ctx), "n is a int, not a str"));
	assert_int_equal(bp_ctx_get_int(ctx, "missing", &i), BP_ENOENT);
	assert_int_equal(bp_ctx_type(ctx, "n"), BP_TYPE_INT);
	assert_int_equal(bp_ctx_list_append(ctx, "n", "x"), BP_ETYPE);
	assert_string_equal(bp_ctx_str_or(ctx, "n", "fallback"), "fallback");
	bp_ctx_free(ctx);
}

static void test_lists_copy_and_append(void **state)
{
	struct bp_ctx *ctx = bp_ctx_new();
	const char *in[] = {"qemu-system-aarch64", "-nographic"};
	const char *const *items;
	size_t n;

	(void)state;
	assert_int_equal(bp_ctx_set_list(ctx, "argv", in, 2), 0);
	assert_int_equal(bp_ctx_list_append(ctx, "argv", "-S"), 0);
	assert_int_equal(bp_ctx_list_append(ctx, "new", "first"), 0);
	assert_int_equal(bp_ctx_get_list(ctx, "argv", &items, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(items[2], "-S");
	assert_null(items[3]);
	/* replacing a list with its own items must not read freed memory */
	assert_int_equal(bp_ctx_set_list(ctx, "argv", items, n), 0);
	assert_int_equal(bp_ctx_get_list(ctx, "argv", &items, &n), 0);
	assert_string_equal(items[0], "qemu-system-aarch64");
	assert_int_equal(bp_ctx_set_list(ctx, "empty", NULL, 0), 0);
	assert_int_equal(bp_ctx_get_list(ctx, "empty", &items, &n), 0);
	assert_int_equal(n, 0);
	bp_ctx_free(ctx);
}

static int destroyed;

static void count_destroy(void *p)
{
	destroyed++;
	free(p);
}

static void test_pointers_take_ownership(void **state)
{
	struct bp_ctx *ctx = bp_ctx_new();
	void *out = NULL;

	(void)state;
	destroyed = 0;
	assert_int_equal(
	    bp_ctx_take_ptr(ctx, "p", "thing", malloc(8), count_destroy), 0);
	assert_int_equal(bp_ctx_get_ptr(ctx, "p", "thing", &out), 0);
	assert_non_null(out);
	assert_int_equal(bp_ctx_get_ptr(ctx, "p", "other", &out), BP_ETYPE);
	/* replacing runs the destructor of the old value */
	assert_int_equal(
	    bp_ctx_take_ptr(ctx, "p", "thing", malloc(8), count_destroy), 0);
	assert_int_equal(destroyed, 1);
	/* take transfers ownership even when it fails */
	assert_int_equal(
	    bp_ctx_take_ptr(ctx, "", "thing", malloc(8), count_destroy),
	    BP_EINVAL);
	assert_int_equal(destroyed, 2);
	assert_int_equal(bp_ctx_remove(ctx, "p"), 0);
	assert_int_equal(destroyed, 3);
	assert_int_equal(bp_ctx_remove(ctx, "p"), BP_ENOENT);
	bp_ctx_take_ptr(ctx, "q", "thing", malloc(8), count_destroy);
	bp_ctx_free(ctx);
	assert_int_equal(destroyed, 4);
}

static void test_outcome_names(void **state)
{
	enum bp_outcome o;

	(void)state;
	assert_string_equal(bp_outcome_name(BP_OUTCOME_NO_VERDICT),
			    "no-verdict");
	assert_int_equal(bp_outcome_parse("timeout", &o), 0);
	assert_int_equal(o, 4);
	assert_int_equal(bp_outcome_parse("bogus", &o), BP_EINVAL);
	assert_int_equal(bp_outcome_from_status(BP_ECHECKSUM),
			 BP_OUTCOME_INFRA);
	assert_int_equal(bp_outcome_from_status(BP_ECONFIG), BP_OUTCOME_CONFIG);
	assert_int_equal(bp_outcome_from_status(BP_EINTR),
			 BP_OUTCOME_INTERRUPTED);
	assert_string_equal(bp_strerror(BP_ENET), "download failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scalars_round_trip),
	    cmocka_unit_test(test_wrong_type_is_an_error),
	    cmocka_unit_test(test_lists_copy_and_append),
	    cmocka_unit_test(test_pointers_take_ownership),
	    cmocka_unit_test(test_outcome_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
