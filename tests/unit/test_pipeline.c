/* The read-only pipeline API (bootpipe/pipeline.h): merging of includes,
 * stages, raw values with their origins, and refusal of files that are
 * not regular files (a FIFO include used to hang). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bootpipe/bootpipe.h>

#include "testutil.h"

static char root[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(root, sizeof(root), "pipeline");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(root);
}

static char *at(const char *name)
{
	return tu_asprintf("%s/%s", root, name);
}

static void test_includes_merge_with_origins(void **state)
{
	char *base = at("base.ini"), *top = at("top.ini");
	struct bp_pipeline *p = NULL;
	struct bp_pipeline_value v;
	size_t lists = 0;

	(void)state;
	tu_write_file(base, "[pipeline]\n"
			    "name = base\n"
			    "stages = a b\n"
			    "[a]\n"
			    "arch = riscv64\n"
			    "list = one\n"
			    "list = two\n"
			    "[b]\n"
			    "keep = ${workspace}/x\n");
	tu_write_file(top, "; the including file wins\n"
			   "[pipeline]\n"
			   "include = base.ini\n"
			   "description = on top\n"
			   "[a]\n"
			   "arch = x86_64\n");
	assert_int_equal(bp_pipeline_open(top, &p), 0);
	assert_string_equal(bp_pipeline_error(p), "");
	assert_string_equal(bp_pipeline_path(p), top);
	assert_string_equal(bp_pipeline_name(p), "base");
	assert_int_equal(bp_pipeline_stage_count(p), 2);
	assert_string_equal(bp_pipeline_stage_at(p, 0), "a");
	assert_string_equal(bp_pipeline_stage_at(p, 1), "b");
	assert_null(bp_pipeline_stage_at(p, 2));
	assert_int_equal(bp_pipeline_get(p, "a", "arch", &v), 0);
	assert_string_equal(v.value, "x86_64");
	assert_string_equal(v.file, top);
	assert_int_equal(v.line, 6);
	/* raw: placeholders are not expanded */
	assert_int_equal(bp_pipeline_get(p, "b", "keep", &v), 0);
	assert_string_equal(v.value, "${workspace}/x");
	assert_string_equal(v.file, base);
	assert_int_equal(v.line, 9);
	assert_int_equal(bp_pipeline_get(p, "b", "none", &v), BP_ENOENT);
	for (size_t i = 0; bp_pipeline_value_at(p, i, &v) == 0; i++)
		lists += strcmp(v.key, "list") == 0;
	assert_int_equal(lists, 2);
	assert_int_equal(
	    bp_pipeline_value_at(p, bp_pipeline_value_count(p), &v), BP_ENOENT);
	bp_pipeline_free(p);
	free(base);
	free(top);
}

static void test_unnamed_gets_file_stem(void **state)
{
	char *path = at("my-board.ini");
	struct bp_pipeline *p = NULL;

	(void)state;
	tu_write_file(path, "[pipeline]\nstages = x\n");
	assert_int_equal(bp_pipeline_open(path, &p), 0);
	assert_string_equal(bp_pipeline_name(p), "my-board");
	bp_pipeline_free(p);
	free(path);
}

static void test_errors_name_file_and_line(void **state)
{
	char *path = at("bad.ini"), *missing = at("missing.ini");
	struct bp_pipeline *p = NULL;
	char *want;

	(void)state;
	tu_write_file(path, "[pipeline]\nstages = x\nthis is not ini\n");
	assert_int_equal(bp_pipeline_open(path, &p), BP_ECONFIG);
	want = tu_asprintf("%s:3: cannot parse", path);
	assert_non_null(strstr(bp_pipeline_error(p), want));
	bp_pipeline_free(p);
	free(want);
	assert_int_equal(bp_pipeline_open(missing, &p), BP_ECONFIG);
	want = tu_asprintf("cannot open pipeline file %s: %s", missing,
			   strerror(ENOENT));
	assert_string_equal(bp_pipeline_error(p), want);
	bp_pipeline_free(p);
	free(want);
	free(path);
	free(missing);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* a FIFO nobody writes, as the file or as an include, is refused at
 * once (opening it blocking would wait for a writer for ever) */
static void test_fifo_and_devices_refused(void **state)
{
	char *fifo = at("fifo.ini"), *top = at("inc-fifo.ini");
	char *dev = at("inc-dev.ini");
	struct bp_pipeline *p = NULL;
	double t0 = now_s();
	char *want;

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	tu_write_file(top, "[pipeline]\nstages = x\ninclude = fifo.ini\n");
	assert_int_equal(bp_pipeline_open(top, &p), BP_ECONFIG);
	want = tu_asprintf("%s:3: include %s/fifo.ini is a FIFO, not a "
			   "regular file: give the path of a file",
			   top, root);
	assert_string_equal(bp_pipeline_error(p), want);
	free(want);
	bp_pipeline_free(p);
	assert_int_equal(bp_pipeline_open(fifo, &p), BP_ECONFIG);
	want = tu_asprintf("pipeline file %s is a FIFO, not a regular file: "
			   "give the path of a file",
			   fifo);
	assert_string_equal(bp_pipeline_error(p), want);
	free(want);
	bp_pipeline_free(p);
	tu_write_file(dev, "[pipeline]\ninclude = /dev/zero\nstages = x\n");
	assert_int_equal(bp_pipeline_open(dev, &p), BP_ECONFIG);
	assert_non_null(strstr(bp_pipeline_error(p), "character device"));
	bp_pipeline_free(p);
	assert_int_equal(bp_pipeline_open(root, &p), BP_ECONFIG);
	assert_non_null(strstr(bp_pipeline_error(p), "is a directory"));
	bp_pipeline_free(p);
	assert_true(now_s() - t0 < 2.0);
	free(fifo);
	free(top);
	free(dev);
}

/* bp_open_config, which the TOML and vm config readers share */
static void test_open_config(void **state)
{
	char *file = at("ok.toml"), *why = NULL;
	int fd;

	(void)state;
	tu_write_file(file, "a = 1\n");
	fd = bp_open_config(file, "TOML file", &why);
	assert_true(fd >= 0);
	assert_null(why);
	close(fd);
	assert_int_equal(bp_open_config("/dev/null", "QEMU config", &why),
			 BP_ECONFIG);
	assert_string_equal(why, "QEMU config /dev/null is a character "
				 "device, not a regular file: give the path "
				 "of a file");
	free(why);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_includes_merge_with_origins),
	    cmocka_unit_test(test_unnamed_gets_file_stem),
	    cmocka_unit_test(test_errors_name_file_and_line),
	    cmocka_unit_test(test_fifo_and_devices_refused),
	    cmocka_unit_test(test_open_config),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
