/* The engine through its public API, as an embedder uses it: load, run,
 * read the context and the outcome, write reports. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
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

static char fixtures[PATH_MAX];
static char cases[PATH_MAX];
static char lines[8192];

static void capture(void *user, enum bp_log_level level, const char *source,
		    const char *message)
{
	size_t len = strlen(lines);

	(void)user;
	snprintf(lines + len, sizeof(lines) - len, "%s|%s|%s\n",
		 bp_log_level_name(level), source, message);
}

static struct bp_engine *engine_for_tests(void)
{
	struct bp_engine *e = bp_engine_new();

	assert_non_null(e);
	assert_int_equal(bp_engine_add_plugin_dir(e, fixtures), 0);
	bp_engine_set_log_sink(e, capture, NULL);
	lines[0] = '\0';
	return e;
}

static char *case_path(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", cases, name);
	return path;
}

static void test_load_run_and_read_context(void **state)
{
	struct bp_engine *e = engine_for_tests();
	const char *value;

	(void)state;
	assert_int_equal(bp_engine_load(e, case_path("ok.ini")), 0);
	assert_string_equal(bp_engine_pipeline_name(e), "fixture-ok");
	assert_int_equal(bp_engine_stage_count(e), 2);
	assert_int_equal(bp_engine_run(e), 0);
	assert_int_equal(bp_engine_outcome(e), BP_OUTCOME_PASS);
	assert_int_equal(bp_engine_outcome(e), BP_OUTCOME_PASS);
	assert_int_equal(bp_ctx_get_str(bp_engine_ctx(e), "fx.value", &value),
			 0);
	assert_string_equal(value, "hello");
	assert_int_equal(bp_stage_status(bp_engine_stage_at(e, 1)),
			 BP_STAGE_OK);
	assert_non_null(strstr(lines, "info|consumer|run value=- count=16"));
	bp_engine_free(e);
}

static void test_options_set_by_the_embedder(void **state)
{
	struct bp_engine *e = engine_for_tests();

	(void)state;
	assert_int_equal(bp_engine_set_option(e, "fx-ok", "value", "api"), 0);
	assert_int_equal(bp_engine_set_assignment(e, "consumer.count=9"), 0);
	assert_int_equal(bp_engine_set_assignment(e, "nodot=1"), BP_ECONFIG);
	assert_int_equal(bp_engine_load(e, case_path("ok.ini")), 0);
	bp_engine_run(e);
	assert_non_null(strstr(lines, "fx-ok|run value=api"));
	assert_non_null(strstr(lines, "consumer|run value=- count=9"));
	bp_engine_free(e);
}

static void test_stop_after(void **state)
{
	struct bp_engine *e = engine_for_tests();

	(void)state;
	assert_int_equal(bp_engine_set_stop_after(e, "fx-ok"), 0);
	assert_int_equal(bp_engine_load(e, case_path("ok.ini")), 0);
	assert_int_equal(bp_engine_run(e), 0);
	assert_int_equal(bp_engine_outcome(e), BP_OUTCOME_PASS);
	assert_int_equal(bp_stage_status(bp_engine_stage_at(e, 1)),
			 BP_STAGE_PENDING);
	assert_null(strstr(lines, "consumer|run"));
	bp_engine_free(e);
}

static void test_failed_run_and_reports(void **state)
{
	struct bp_engine *e = engine_for_tests();
	char json_path[] = "/tmp/bp-report-XXXXXX";
	char xml_path[PATH_MAX];
	json_error_t jerr;
	json_t *root;
	FILE *fp;
	char xml[4096];
	size_t n;
	int fd = mkstemp(json_path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(xml_path, sizeof(xml_path), "%s.xml", json_path);
	setenv("TRACE", "/dev/null", 1);
	assert_int_equal(bp_engine_load(e, case_path("run-fails.ini")), 0);
	assert_int_equal(bp_engine_run(e), BP_EIO);
	assert_int_equal(bp_engine_outcome(e), BP_OUTCOME_INFRA);
	assert_string_equal(bp_engine_error(e),
			    "stage second (fx-ok 1.0): run failed as asked "
			    "(status -6)");
	assert_int_equal(bp_engine_write_report(e, "json", json_path), 0);
	assert_int_equal(bp_engine_write_report(e, "junit", xml_path), 0);
	assert_int_equal(bp_engine_write_report(e, "yaml", xml_path),
			 BP_ECONFIG);

	root = json_load_file(json_path, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "outcome")),
			    "infra");
	assert_int_equal(json_integer_value(json_object_get(root, "exit_code")),
			 3);
	assert_int_equal(json_array_size(json_object_get(root, "stages")), 3);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(root, "stages"), 2), "status")),
	    "not-run");
	json_decref(root);

	fp = fopen(xml_path, "r");
	assert_non_null(fp);
	n = fread(xml, 1, sizeof(xml) - 1, fp);
	xml[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(xml,
			       "<testsuite name=\"run-fails\" tests=\"4\" "
			       "failures=\"0\" errors=\"2\" skipped=\"1\""));
	/* infra: no verdict could be had, an <error>, not a <failure> */
	assert_non_null(strstr(xml, "<error message=\"run failed as asked "
				    "(status -6)\">"));
	assert_non_null(strstr(xml, "<error message=\"infra (exit 3): "));
	assert_non_null(strstr(xml, "<skipped message=\"not run"));
	unlink(json_path);
	unlink(xml_path);
	bp_engine_free(e);
}

/* The overrides are public, and the JUnit suite name carries them whole,
 * however long. */
static void test_report_names_overrides(void **state)
{
	struct bp_engine *e = engine_for_tests();
	char path[] = "/tmp/bp-junit-XXXXXX";
	const char *stage, *key, *value;
	char *long_value = calloc(1, 3001), *xml, *want;
	int fd = mkstemp(path);
	size_t n;
	FILE *fp;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_non_null(long_value);
	memset(long_value, 'v', 3000);
	assert_int_equal(bp_engine_override_count(e), 0);
	assert_int_equal(bp_engine_set_assignment(e, "consumer.count=9"), 0);
	assert_int_equal(bp_engine_set_option(e, "fx-ok", "value", long_value),
			 0);
	assert_int_equal(bp_engine_override_count(e), 2);
	assert_int_equal(bp_engine_override_at(e, 0, &stage, &key, &value), 0);
	assert_string_equal(stage, "consumer");
	assert_string_equal(key, "count");
	assert_string_equal(value, "9");
	assert_int_equal(bp_engine_override_at(e, 2, &stage, &key, &value),
			 BP_EINVAL);
	assert_int_equal(bp_engine_override_at(NULL, 0, &stage, &key, &value),
			 BP_EINVAL);
	assert_int_equal(bp_engine_override_count(NULL), 0);
	assert_int_equal(bp_engine_load(e, case_path("ok.ini")), 0);
	bp_engine_run(e);
	assert_int_equal(bp_engine_write_report(e, "junit", path), 0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	xml = calloc(1, 65536);
	assert_non_null(xml);
	n = fread(xml, 1, 65535, fp);
	fclose(fp);
	xml[n] = '\0';
	want = calloc(1, 3200);
	assert_non_null(want);
	snprintf(want, 3200,
		 "<testsuite name=\"fixture-ok (--set consumer.count=9, "
		 "fx-ok.value=%s)\"",
		 long_value);
	assert_non_null(strstr(xml, want));
	unlink(path);
	free(want);
	free(xml);
	free(long_value);
	bp_engine_free(e);
}

static void test_find_plugin_rejections(void **state)
{
	static const struct {
		const char *name;
		const char *message;
	} cases_[] = {
	    {"fx-garbage", "cannot load plugin"},
	    {"fx-nosym", "no exported `bootpipe_plugin` symbol"},
	    {"fx-badmagic", "bad magic 0x12345678"},
	    {"fx-major", "plugin ABI 2.0 is incompatible"},
	    {"fx-minor", "plugin needs ABI 1.1"},
	    /* dlopen fails first (undefined symbol); the header is read
	     * from the file to say why */
	    {"fx-future", "plugin needs ABI 1.1 but this bootpipe has ABI "
			  "1.0: upgrade bootpipe"},
	    {"fx-small", "descriptor is 16 bytes"},
	    {"fx-norun", "has no .run function"},
	    {"fx-misnamed", "descriptor says `other`"},
	    {"fx-absent", "no plugin named `fx-absent`"},
	    {"Bad/Name", "cannot load plugin Bad/Name"},
	    {"Bad Name", "invalid plugin name"},
	};
	const struct bp_plugin *p;
	const char *path;

	(void)state;
	for (size_t i = 0; i < sizeof(cases_) / sizeof(cases_[0]); i++) {
		struct bp_engine *e = engine_for_tests();

		assert_true(
		    bp_engine_find_plugin(e, cases_[i].name, &p, &path) < 0);
		if (!strstr(bp_engine_error(e), cases_[i].message))
			fail_msg("%s: got \"%s\"", cases_[i].name,
				 bp_engine_error(e));
		bp_engine_free(e);
	}
	{
		struct bp_engine *e = engine_for_tests();

		assert_int_equal(bp_engine_find_plugin(e, "fx-ok", &p, &path),
				 0);
		assert_string_equal(p->name, "fx-ok");
		assert_int_equal(p->abi_major, BP_ABI_MAJOR);
		assert_non_null(strstr(path, "/fx-ok.so"));
		bp_engine_free(e);
	}
}

/* an option table with a smaller entry than this engine's struct: read
 * with the plugin's stride, later fields zero */
static void test_option_table_stride(void **state)
{
	struct bp_engine *e = engine_for_tests();
	const struct bp_plugin *p;
	const char *path;

	(void)state;
	assert_int_equal(bp_engine_find_plugin(e, "fx-optsmall", &p, &path), 0);
	assert_true(p->option_size < sizeof(struct bp_option));
	assert_string_equal(p->options[0].key, "alpha");
	assert_string_equal(p->options[1].key, "beta");
	assert_int_equal(p->options[1].type, BP_OPT_INT);
	assert_string_equal(p->options[1].default_value, "7");
	assert_string_equal(p->options[2].key, "gamma");
	assert_null(p->options[2].choices);
	assert_null(p->options[3].key);
	bp_engine_free(e);
	e = engine_for_tests();
	assert_int_equal(bp_engine_set_option(e, "fx-optsmall", "beta", "9"),
			 0);
	assert_int_equal(bp_engine_load(e, case_path("optsmall.ini")), 0);
	bp_engine_run(e);
	assert_int_equal(bp_engine_outcome(e), BP_OUTCOME_PASS);
	assert_non_null(strstr(lines, "alpha=a beta=9 gamma=1"));
	bp_engine_free(e);
}

static int count_plugins(void *user, const char *path,
			 const struct bp_plugin *plugin, const char *error)
{
	int *counts = user;

	(void)path;
	counts[plugin ? 0 : 1]++;
	if (!plugin)
		assert_non_null(error);
	return 0;
}

static void test_foreach_plugin(void **state)
{
	struct bp_engine *e = engine_for_tests();
	int counts[2] = {0, 0};

	(void)state;
	assert_int_equal(bp_engine_foreach_plugin(e, count_plugins, counts), 0);
	/* fx-ok, fx-second, fx-consumer, fx-required, fx-optsmall load; 12
	 * are rejected */
	assert_true(counts[0] >= 5);
	assert_int_equal(counts[1], 12);
	bp_engine_free(e);
}

static void test_workspace_discovery(void **state)
{
	char root[] = "/tmp/bp-ws-XXXXXX";
	char sub[PATH_MAX], old[PATH_MAX], file[PATH_MAX + 32];
	struct bp_engine *e;
	const char *ws;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(file, sizeof(file), "%s/Cargo.toml", root);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fputs("[workspace]\nmembers = [\"os/axvisor\"]\n", fp);
	fclose(fp);
	snprintf(sub, sizeof(sub), "%s/os", root);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(file, sizeof(file), "%s/os/Cargo.toml", root);
	fp = fopen(file, "w");
	fputs("[package]\nname = \"member\"\n", fp);
	fclose(fp);
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(sub), 0);

	e = engine_for_tests();
	assert_int_equal(bp_engine_load(e, case_path("ok.ini")), 0);
	assert_int_equal(
	    bp_ctx_get_str(bp_engine_ctx(e), BP_KEY_WORKSPACE, &ws), 0);
	assert_string_equal(ws, root);
	bp_engine_free(e);

	assert_int_equal(chdir(old), 0);
	unlink(file);
	rmdir(sub);
	snprintf(file, sizeof(file), "%s/Cargo.toml", root);
	unlink(file);
	rmdir(root);
}

/* `plugin = sub/x.so` is relative to the pipeline file, not the cwd */
static void test_relative_plugin_path(void **state)
{
	char dir[] = "/tmp/bp-relplugin-XXXXXX";
	char path[PATH_MAX + 64], so[PATH_MAX + 64], cmd[3 * PATH_MAX];
	struct bp_engine *e;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(so, sizeof(so), "%s/sub/fx-ok.so", dir);
	snprintf(cmd, sizeof(cmd), "cp %s/fx-ok.so %s", fixtures, so);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/p.ini", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("[pipeline]\nstages = local\n[local]\nplugin = sub/fx-ok.so\n",
	      fp);
	fclose(fp);

	e = engine_for_tests(); /* the cwd is not dir */
	assert_int_equal(bp_engine_load(e, path), 0);
	assert_int_equal(bp_engine_run(e), 0);
	assert_int_equal(bp_engine_outcome(e), BP_OUTCOME_PASS);
	bp_engine_free(e);

	unlink(so);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

/* a failed load leaves nothing behind and the engine can load again */
static void test_load_again_after_failure(void **state)
{
	struct bp_engine *e = engine_for_tests();

	(void)state;
	assert_int_equal(bp_engine_load(e, case_path("unknown-key.ini")),
			 BP_ECONFIG);
	assert_int_equal(bp_engine_stage_count(e), 0);
	assert_string_equal(bp_engine_pipeline_name(e), "");
	assert_int_equal(bp_engine_load(e, case_path("ok.ini")), 0);
	assert_int_equal(bp_engine_run(e), 0);
	assert_int_equal(bp_engine_outcome(e), BP_OUTCOME_PASS);
	bp_engine_free(e);
}

static void *cancel_later(void *engine)
{
	usleep(50 * 1000);
	bp_engine_cancel(engine);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* another thread cancels: the waiting stage wakes on its cancel fd at
 * once, the next stage never starts, the outcome is interrupted */
static void test_cancel_from_another_thread(void **state)
{
	struct bp_engine *e = engine_for_tests();
	pthread_t t;
	double t0;

	(void)state;
	assert_int_equal(
	    bp_engine_set_option(e, "fx-ok", "wait_cancel_ms", "10000"), 0);
	assert_int_equal(bp_engine_load(e, case_path("ok.ini")), 0);
	assert_false(bp_engine_cancelled(e));
	t0 = now_s();
	assert_int_equal(pthread_create(&t, NULL, cancel_later, e), 0);
	assert_int_equal(bp_engine_run(e), BP_EINTR);
	pthread_join(t, NULL);
	assert_true(now_s() - t0 < 5.0);
	assert_true(bp_engine_cancelled(e));
	assert_int_equal(bp_engine_outcome(e), BP_OUTCOME_INTERRUPTED);
	assert_string_equal(bp_stage_error(bp_engine_stage_at(e, 0)),
			    "cancelled while waiting");
	assert_int_equal(bp_stage_status(bp_engine_stage_at(e, 1)),
			 BP_STAGE_PENDING);
	bp_engine_free(e);
}

/* cancelled before the run: no stage starts; other engines unaffected */
static void test_cancel_is_per_engine(void **state)
{
	struct bp_engine *a = engine_for_tests();
	struct bp_engine *b = engine_for_tests();

	(void)state;
	assert_int_equal(bp_engine_load(a, case_path("ok.ini")), 0);
	assert_int_equal(bp_engine_load(b, case_path("ok.ini")), 0);
	bp_engine_cancel(a);
	bp_engine_cancel(a); /* harmless twice */
	assert_int_equal(bp_engine_run(a), BP_EINTR);
	assert_int_equal(bp_engine_outcome(a), BP_OUTCOME_INTERRUPTED);
	assert_int_equal(bp_stage_status(bp_engine_stage_at(a, 0)),
			 BP_STAGE_PENDING);
	assert_non_null(strstr(bp_engine_error(a), "interrupted before"));
	bp_engine_run(b);
	assert_int_equal(bp_engine_outcome(b), BP_OUTCOME_PASS);
	assert_false(bp_engine_cancelled(b));
	bp_engine_free(a);
	bp_engine_free(b);
}

static char console_seen[256];

static size_t console_capture(void *user, enum bp_console_stream stream,
			      const char *source, const char *data, size_t len)
{
	size_t have = strlen(console_seen);
	size_t take = *(size_t *)user < len ? *(size_t *)user : len;

	snprintf(console_seen + have, sizeof(console_seen) - have, "%d|%s|%.*s",
		 (int)stream, source, (int)len, data);
	return take;
}

/* guest output goes to the embedder's console sink, not to fd 1; what
 * the sink refuses is counted; --quiet writes nothing */
static void test_console_sink(void **state)
{
	struct bp_engine *e = engine_for_tests();
	size_t limit = 4;

	(void)state;
	console_seen[0] = '\0';
	bp_engine_set_console_sink(e, console_capture, &limit);
	assert_int_equal(
	    bp_engine_set_option(e, "fx-ok", "console", "guest says hi"), 0);
	assert_int_equal(bp_engine_load(e, case_path("ok.ini")), 0);
	assert_int_equal(bp_engine_run(e), 0);
	assert_int_equal(bp_engine_outcome(e), BP_OUTCOME_PASS);
	assert_string_equal(console_seen, "1|fx-ok|guest says hi");
	assert_int_equal(bp_engine_console_dropped(e), 9);
	console_seen[0] = '\0';
	bp_engine_set_quiet(e, true);
	assert_int_equal(bp_engine_run(e), 0);
	assert_int_equal(bp_engine_outcome(e), BP_OUTCOME_PASS);
	assert_string_equal(console_seen, "");
	assert_int_equal(bp_engine_console_dropped(e), 0);
	bp_engine_free(e);
}

/* the NULL rule of engine.h: a NULL engine or stage never crashes */
static void test_null_engine_and_stage(void **state)
{
	(void)state;
	bp_engine_free(NULL);
	bp_engine_set_dry_run(NULL, true);
	bp_engine_set_quiet(NULL, true);
	bp_engine_set_log_sink(NULL, NULL, NULL);
	bp_engine_set_log_level(NULL, BP_LOG_DEBUG);
	bp_engine_set_log_json(NULL, true);
	bp_engine_set_console_sink(NULL, NULL, NULL);
	bp_engine_cancel(NULL);
	assert_false(bp_engine_cancelled(NULL));
	assert_int_equal(bp_engine_load(NULL, "x.ini"), BP_EINVAL);
	assert_int_equal(bp_engine_run(NULL), BP_EINVAL);
	assert_int_equal(bp_engine_outcome(NULL), BP_OUTCOME_CONFIG);
	assert_true(bp_engine_duration(NULL) == 0);
	assert_false(bp_engine_dry_run(NULL));
	assert_string_equal(bp_engine_error(NULL), "");
	assert_null(bp_engine_ctx(NULL));
	assert_int_equal(bp_engine_stage_count(NULL), 0);
	assert_null(bp_engine_stage_at(NULL, 0));
	assert_int_equal(bp_stage_status(NULL), BP_STAGE_PENDING);
	assert_string_equal(bp_stage_error(NULL), "");
	assert_string_equal(bp_stage_name(NULL), "");
	assert_false(bp_stage_cancelled(NULL));
	assert_int_equal(bp_stage_cancel_fd(NULL), -1);
	assert_int_equal(bp_fail(NULL, BP_EIO, "x"), BP_EIO);
	assert_int_equal(bp_console_write(NULL, BP_CONSOLE_OUT, "x", 1), 1);
}

int main(void)
{
	const char *data = getenv("BOOTPIPE_TEST_DATA");
	const char *build = getenv("BOOTPIPE_BUILD");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_run_and_read_context),
	    cmocka_unit_test(test_options_set_by_the_embedder),
	    cmocka_unit_test(test_stop_after),
	    cmocka_unit_test(test_failed_run_and_reports),
	    cmocka_unit_test(test_report_names_overrides),
	    cmocka_unit_test(test_find_plugin_rejections),
	    cmocka_unit_test(test_option_table_stride),
	    cmocka_unit_test(test_foreach_plugin),
	    cmocka_unit_test(test_workspace_discovery),
	    cmocka_unit_test(test_relative_plugin_path),
	    cmocka_unit_test(test_load_again_after_failure),
	    cmocka_unit_test(test_cancel_from_another_thread),
	    cmocka_unit_test(test_cancel_is_per_engine),
	    cmocka_unit_test(test_console_sink),
	    cmocka_unit_test(test_null_engine_and_stage),
	};

	if (!data || !build) {
		fprintf(stderr, "set BOOTPIPE_TEST_DATA and BOOTPIPE_BUILD\n");
		return 1;
	}
	snprintf(fixtures, sizeof(fixtures), "%s/tests/plugins", build);
	snprintf(cases, sizeof(cases), "%s/pipelines/cases", data);
	unsetenv("BOOTPIPE_PLUGIN_PATH");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
