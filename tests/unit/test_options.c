/* Option binding on its own (core/options.c): a declared table, a list of
 * entries as the pipeline reader makes them, and the error object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bootpipe/bootpipe.h>

#include "options.h"

static const struct bp_option table[] = {
    {"timeout", BP_OPT_INT, "30", "seconds", 0, NULL},
    {"kvm", BP_OPT_BOOL, "false", "use KVM", 0, NULL},
    {"image", BP_OPT_STR, NULL, "the image file", BP_OPT_REQUIRED, NULL},
    {"machine", BP_OPT_ENUM, "virt", "the board", 0, "virt|raspi3b|sbsa"},
    {"args", BP_OPT_LIST, "-nographic\n-m 1G", "extra args", 0, NULL},
    {"dir", BP_OPT_STR, "${workspace}/out", "output", 0, NULL},
    {"retries", BP_OPT_INT, NULL, "attempts", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const struct expand_vars vars = {
    .workspace = "/ws",
    .package = "/ws/os/axvisor",
    .tmp_dir = "/tmp",
    .arch = "aarch64",
};

struct fixture {
	struct entry_list entries;
	struct stage_options opts;
	struct bp_err err;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->opts.stage = "launch";
	f->opts.plugin = "qemu-launch";
	f->opts.table = table;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	options_release(&f->opts);
	entry_list_release(&f->entries);
	err_clear(&f->err);
	free(f);
	return 0;
}

static void add(struct fixture *f, const char *section, const char *key,
		const char *value, int line)
{
	assert_int_equal(entry_list_add(&f->entries, section, key, value,
					line ? "p.ini" : "--set", line),
			 0);
}

static int bind(struct fixture *f)
{
	return options_bind(&f->opts, &f->entries, "p.ini", &vars, &f->err);
}

/* The message of a failed bind must contain @part. */
static void bind_fails(struct fixture *f, int status, const char *part)
{
	assert_int_equal(bind(f), status);
	assert_int_equal(f->err.status, status);
	if (!strstr(err_msg(&f->err), part))
		fail_msg("expected \"%s\" in \"%s\"", part, err_msg(&f->err));
}

static void test_defaults_and_typed_reads(void **state)
{
	struct fixture *f = *state;
	const char *const *items;
	const char *s;
	size_t count;
	int64_t i;
	bool b;

	add(f, "launch", "image", "disk.img", 4);
	assert_int_equal(bind(f), 0);
	assert_string_equal(err_msg(&f->err), "");
	assert_int_equal(options_int(&f->opts, "timeout", &i), 0);
	assert_int_equal(i, 30);
	assert_int_equal(options_bool(&f->opts, "kvm", &b), 0);
	assert_false(b);
	assert_int_equal(options_str(&f->opts, "machine", &s), 0);
	assert_string_equal(s, "virt");
	/* defaults are expanded like values */
	assert_int_equal(options_str(&f->opts, "dir", &s), 0);
	assert_string_equal(s, "/ws/out");
	/* a list default holds one item per line */
	assert_int_equal(options_list(&f->opts, "args", &items, &count), 0);
	assert_int_equal(count, 2);
	assert_string_equal(items[0], "-nographic");
	assert_string_equal(items[1], "-m 1G");
	assert_null(items[2]);
	/* unset without a default, undeclared, or of another type */
	assert_int_equal(options_int(&f->opts, "retries", &i), BP_ENOENT);
	assert_int_equal(options_int(&f->opts, "nope", &i), BP_EINVAL);
	assert_int_equal(options_int(&f->opts, "image", &i), BP_ETYPE);
	assert_int_equal(options_str(&f->opts, "args", &s), BP_ETYPE);
	assert_int_equal(options_str(NULL, "image", &s), BP_EINVAL);
	/* where each value came from */
	assert_string_equal(options_origin(&f->opts, "image"), "p.ini:4");
	assert_string_equal(options_origin(&f->opts, "timeout"), "default");
	assert_true(options_is_set(&f->opts, "image"));
	assert_false(options_is_set(&f->opts, "timeout"));
	assert_false(options_is_set(&f->opts, "nope"));
}

/* Only the stage's own section counts, and never its `plugin` key. */
static void test_values_of_the_section(void **state)
{
	struct fixture *f = *state;
	const char *const *items;
	const char *s;
	size_t count;
	int64_t i;
	bool b;

	add(f, "pipeline", "stages", "launch other", 2);
	add(f, "launch", "plugin", "qemu-launch", 4);
	add(f, "launch", "image", "${package}/disk.img", 5);
	add(f, "launch", "timeout", "0x10", 6);
	add(f, "launch", "kvm", "Yes", 7);
	add(f, "launch", "args", "-smp 2", 8);
	add(f, "launch", "args", "", 9);
	add(f, "launch", "args", "-s", 10);
	add(f, "other", "image", "ignored", 12);
	assert_int_equal(bind(f), 0);
	assert_int_equal(options_str(&f->opts, "image", &s), 0);
	assert_string_equal(s, "/ws/os/axvisor/disk.img");
	assert_int_equal(options_int(&f->opts, "timeout", &i), 0);
	assert_int_equal(i, 16);
	assert_int_equal(options_bool(&f->opts, "kvm", &b), 0);
	assert_true(b);
	/* an explicit list replaces the default; empty lines add nothing */
	assert_int_equal(options_list(&f->opts, "args", &items, &count), 0);
	assert_int_equal(count, 2);
	assert_string_equal(items[0], "-smp 2");
	assert_string_equal(items[1], "-s");
	assert_string_equal(options_origin(&f->opts, "args"), "p.ini:8");
}

/* The last --set of a scalar wins. */
static void test_last_set_wins(void **state)
{
	struct fixture *f = *state;
	int64_t i;

	add(f, "launch", "image", "a.img", 3);
	add(f, "launch", "timeout", "60", 0);
	add(f, "launch", "timeout", "90", 0);
	assert_int_equal(bind(f), 0);
	assert_int_equal(options_int(&f->opts, "timeout", &i), 0);
	assert_int_equal(i, 90);
	assert_string_equal(options_origin(&f->opts, "timeout"), "--set");
}

static void test_set_twice_in_the_file(void **state)
{
	struct fixture *f = *state;

	add(f, "launch", "image", "a.img", 3);
	add(f, "launch", "timeout", "60", 4);
	add(f, "launch", "timeout", "90", 7);
	bind_fails(f, BP_ECONFIG,
		   "p.ini:7: [launch] timeout is set twice (first at "
		   "p.ini:4); keep one");
}

static void test_unknown_key_with_hint(void **state)
{
	struct fixture *f = *state;

	add(f, "launch", "timeuot", "60", 5);
	bind_fails(f, BP_ECONFIG,
		   "p.ini:5: [launch] has no option `timeuot` (plugin "
		   "qemu-launch); did you mean `timeout`?");
}

static void test_stage_workspace_is_refused(void **state)
{
	struct fixture *f = *state;

	add(f, "launch", "workspace", "/elsewhere", 6);
	bind_fails(f, BP_ECONFIG,
		   "set it in [pipeline] workspace = /elsewhere");
}

static void test_wrong_types(void **state)
{
	static const struct {
		const char *key;
		const char *value;
		const char *message;
	} cases[] = {
	    {"timeout", "soon",
	     "p.ini:9: [launch] timeout = soon is not an "
	     "integer"},
	    {"timeout", "12abc", "is not an integer"},
	    {"kvm", "maybe", "kvm = maybe is not a boolean (true/false"},
	    {"machine", "pc", "machine = pc is not one of virt|raspi3b|sbsa"},
	    {"machine", "vir", "is not one of"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *fs = NULL;

		assert_int_equal(setup(&fs), 0);
		add(fs, "launch", "image", "a.img", 3);
		add(fs, "launch", cases[i].key, cases[i].value, 9);
		bind_fails(fs, BP_ECONFIG, cases[i].message);
		teardown(&fs);
	}
}

static void test_required_missing(void **state)
{
	struct fixture *f = *state;

	bind_fails(f, BP_ECONFIG,
		   "p.ini: stage [launch] needs option `image` (the image "
		   "file): add `image = ...` to its section or pass --set "
		   "launch.image=VALUE");
}

static void test_expansion_error_names_the_line(void **state)
{
	struct fixture *f = *state;

	add(f, "launch", "image", "${workspce}/a.img", 11);
	bind_fails(f, BP_ECONFIG, "p.ini:11: [launch] image: ");
	assert_non_null(strstr(err_msg(&f->err), "workspce"));
}

/* A default that does not convert is the plugin's fault. */
static void test_bad_default_is_a_plugin_error(void **state)
{
	static const struct bp_option bad[] = {
	    {"count", BP_OPT_INT, "many", "how many", 0, NULL},
	    {NULL, 0, NULL, NULL, 0, NULL},
	};
	struct fixture *f = *state;

	f->opts.table = bad;
	bind_fails(f, BP_EPLUGIN,
		   "plugin qemu-launch declares a bad default for count: ");
	assert_non_null(strstr(err_msg(&f->err), "count = many is not an"));
}

/* No table: every key is unknown, nothing is required. */
static void test_no_table(void **state)
{
	struct fixture *f = *state;

	f->opts.table = NULL;
	assert_int_equal(bind(f), 0);
	assert_int_equal(f->opts.count, 0);
	add(f, "launch", "x", "1", 2);
	options_release(&f->opts);
	bind_fails(f, BP_ECONFIG, "has no option `x`");
}

/* A value far longer than any message buffer is reported whole. */
static void test_long_value_in_message(void **state)
{
	struct fixture *f = *state;
	size_t n = 10000;
	char *value = malloc(n + 1);

	assert_non_null(value);
	memset(value, '7', n);
	value[n] = '\0';
	value[n / 2] = 'x';
	add(f, "launch", "image", "a.img", 3);
	add(f, "launch", "timeout", value, 4);
	assert_int_equal(bind(f), BP_ECONFIG);
	assert_non_null(strstr(err_msg(&f->err), value));
	free(value);
}

static void test_closest(void **state)
{
	(void)state;
	assert_string_equal(options_closest(table, "machin"), "machine");
	assert_string_equal(options_closest(table, "arg"), "args");
	assert_null(options_closest(table, "completely-different"));
	assert_null(options_closest(NULL, "timeout"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_defaults_and_typed_reads),
	    T(test_values_of_the_section),
	    T(test_last_set_wins),
	    T(test_set_twice_in_the_file),
	    T(test_unknown_key_with_hint),
	    T(test_stage_workspace_is_refused),
	    cmocka_unit_test(test_wrong_types),
	    T(test_required_missing),
	    T(test_expansion_error_names_the_line),
	    T(test_bad_default_is_a_plugin_error),
	    T(test_no_table),
	    T(test_long_value_in_message),
	    cmocka_unit_test(test_closest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
