/* Run summaries for CI: a JSON document (jansson) and JUnit XML that
 * GitLab and GitHub test reporters read. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/engine.h>
#include <bootpipe/keys.h>

#include "run_report.h"
#include "strbuf.h"
#include "utf8.h"

static const char *status_word(enum bp_stage_status s)
{
	switch (s) {
	case BP_STAGE_PENDING:
		return "not-run";
	case BP_STAGE_OK:
		return "ok";
	case BP_STAGE_FAILED:
		return "failed";
	}
	return "unknown";
}

static json_t *ctx_list_json(const struct bp_ctx *ctx, const char *key)
{
	const char *const *items;
	size_t count;
	json_t *a;

	if (bp_ctx_get_list(ctx, key, &items, &count))
		return NULL;
	a = json_array();
	for (size_t i = 0; a && i < count; i++)
		json_array_append_new(a, json_text(items[i]));
	return a;
}

static void set_str_if(json_t *o, const char *name, const struct bp_ctx *ctx,
		       const char *key)
{
	const char *v = bp_ctx_str_or(ctx, key, NULL);

	if (v)
		json_object_set_new(o, name, json_text(v));
}

static json_t *report_json(struct bp_engine *e)
{
	const struct bp_ctx *ctx = bp_engine_ctx(e);
	json_t *root = json_object(), *stages = json_array(), *qemu;
	int64_t attempts;
	bool flaky;
	json_t *list;

	if (!root || !stages) {
		json_decref(root);
		json_decref(stages);
		return NULL;
	}
	json_object_set_new(root, "pipeline",
			    json_text(bp_engine_pipeline_name(e)));
	json_object_set_new(root, "file",
			    json_text(bp_engine_pipeline_path(e)));
	json_object_set_new(root, "description",
			    json_text(bp_engine_pipeline_description(e)));
	json_object_set_new(root, "outcome",
			    json_text(bp_outcome_name(bp_engine_outcome(e))));
	json_object_set_new(root, "exit_code",
			    json_integer(bp_engine_outcome(e)));
	json_object_set_new(root, "duration", json_real(bp_engine_duration(e)));
	json_object_set_new(root, "dry_run",
			    json_boolean(bp_engine_dry_run(e)));
	if (bp_engine_error(e)[0])
		json_object_set_new(root, "error",
				    json_text(bp_engine_error(e)));
	for (size_t i = 0; i < bp_engine_stage_count(e); i++) {
		const struct bp_stage *s = bp_engine_stage_at(e, i);
		json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:f}", "name",
				      bp_stage_name(s), "plugin",
				      bp_stage_plugin_name(s), "version",
				      json_text(bp_stage_plugin_version(s)),
				      "status", status_word(bp_stage_status(s)),
				      "duration", bp_stage_duration(s));

		if (o && bp_stage_error(s)[0])
			json_object_set_new(o, "error",
					    json_text(bp_stage_error(s)));
		json_array_append_new(stages, o);
	}
	json_object_set_new(root, "stages", stages);
	qemu = json_object();
	list = ctx_list_json(ctx, BP_KEY_QEMU_ARGV);
	if (list)
		json_object_set_new(qemu, "argv", list);
	set_str_if(qemu, "accel", ctx, BP_KEY_QEMU_ACCEL);
	json_object_set_new(root, "qemu", qemu);
	set_str_if(root, "console_log", ctx, BP_KEY_RUN_CONSOLE_LOG);
	set_str_if(root, "verdict", ctx, BP_KEY_RUN_VERDICT);
	if (bp_ctx_get_int(ctx, BP_KEY_RUN_ATTEMPTS, &attempts) == 0)
		json_object_set_new(root, "attempts", json_integer(attempts));
	list = ctx_list_json(ctx, BP_KEY_RUN_ATTEMPT_OUTCOMES);
	if (list)
		json_object_set_new(root, "attempt_outcomes", list);
	if (bp_ctx_get_bool(ctx, BP_KEY_RUN_FLAKY, &flaky) == 0)
		json_object_set_new(root, "flaky", json_boolean(flaky));
	return root;
}

static void junit_case(FILE *fp, const char *suite, const char *name,
		       double time, const char *kind, const char *message,
		       const char *body)
{
	fputs("    <testcase classname=\"", fp);
	xml_text(fp, suite);
	fputs("\" name=\"", fp);
	xml_text(fp, name);
	fprintf(fp, "\" time=\"%.3f\"", time);
	if (!kind) {
		fputs("/>\n", fp);
		return;
	}
	fprintf(fp, ">\n      <%s message=\"", kind);
	xml_text(fp, message);
	fputs("\">", fp);
	xml_text(fp, body ? body : "");
	fprintf(fp, "</%s>\n    </testcase>\n", kind);
}

/* fail and no-verdict are the guest's verdict (<failure>); config, infra,
 * crash, timeout and interrupted mean no verdict could be had (<error>). */
static const char *junit_kind(enum bp_outcome o)
{
	return o == BP_OUTCOME_FAIL || o == BP_OUTCOME_NO_VERDICT ? "failure"
								  : "error";
}

/* The suite's name: the pipeline's, else "bootpipe" (a config error may
 * come before any name is known), with the --set overrides, so a run
 * with overrides is told apart from one without. malloc'ed. */
static char *junit_suite_name(const struct bp_engine *e)
{
	const char *name = bp_engine_pipeline_name(e), *stage, *key, *value;
	size_t count = bp_engine_override_count(e);
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_adds(&sb, name[0] ? name : "bootpipe");
	for (size_t i = 0; i < count; i++) {
		if (bp_engine_override_at(e, i, &stage, &key, &value) == 0)
			strbuf_addf(&sb, "%s%s.%s=%s", i ? ", " : " (--set ",
				    stage, key, value);
	}
	if (count)
		strbuf_addch(&sb, ')');
	return strbuf_detach(&sb);
}

/* The last @max lines of the console log, for <system-out>. */
static void console_tail(FILE *fp, const char *log, int max)
{
	FILE *in = fopen(log, "r");
	char *buf = malloc(16385);
	size_t n = 0, end, start;
	long size;
	int lines = 0;

	if (in && buf && fseek(in, 0, SEEK_END) == 0 &&
	    (size = ftell(in)) >= 0 &&
	    fseek(in, size > 16384 ? size - 16384 : 0, SEEK_SET) == 0) {
		n = fread(buf, 1, 16384, in);
		buf[n] = '\0';
		end = n && buf[n - 1] == '\n' ? n - 1 : n;
		for (start = end; start > 0; start--)
			if (buf[start - 1] == '\n' && ++lines == max)
				break;
		fputs("\n--- last console lines\n", fp);
		xml_text(fp, buf + start);
	}
	free(buf);
	if (in)
		fclose(in);
}

static int write_junit(struct bp_engine *e, FILE *fp)
{
	const struct bp_ctx *ctx = bp_engine_ctx(e);
	const char *log = bp_ctx_str_or(ctx, BP_KEY_RUN_CONSOLE_LOG, NULL);
	const char *verdict = bp_ctx_str_or(ctx, BP_KEY_RUN_VERDICT, "");
	const char *reason = verdict[0] ? verdict : bp_engine_error(e);
	enum bp_outcome outcome = bp_engine_outcome(e);
	const char *kind = junit_kind(outcome);
	bool pass = outcome == BP_OUTCOME_PASS, flaky = false;
	size_t count = bp_engine_stage_count(e), failures = 0, errors = 0,
	       skipped = 0;
	double duration = bp_engine_duration(e);
	int64_t attempts = 0;
	char *suite = junit_suite_name(e), *message;

	if (!suite)
		return BP_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		enum bp_stage_status st =
		    bp_stage_status(bp_engine_stage_at(e, i));
		bool failed = st == BP_STAGE_FAILED;

		failures += failed && !strcmp(kind, "failure");
		errors += failed && !strcmp(kind, "error");
		skipped += st == BP_STAGE_PENDING;
	}
	failures += !pass && !strcmp(kind, "failure");
	errors += !pass && !strcmp(kind, "error");
	bp_ctx_get_int(ctx, BP_KEY_RUN_ATTEMPTS, &attempts);
	bp_ctx_get_bool(ctx, BP_KEY_RUN_FLAKY, &flaky);
	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(fp,
		"<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"time=\"%.3f\">\n",
		count + 1, failures, errors, duration);
	fputs("  <testsuite name=\"", fp);
	xml_text(fp, suite);
	fprintf(fp,
		"\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"skipped=\"%zu\" time=\"%.3f\">\n",
		count + 1, failures, errors, skipped, duration);
	/* a pass after a retry is a pass, and visibly flaky */
	if (attempts > 0)
		fprintf(fp,
			"    <properties>\n"
			"      <property name=\"attempts\" value=\"%lld\"/>\n"
			"      <property name=\"flaky\" value=\"%s\"/>\n"
			"    </properties>\n",
			(long long)attempts, flaky ? "true" : "false");
	for (size_t i = 0; i < count; i++) {
		const struct bp_stage *s = bp_engine_stage_at(e, i);
		char *name = str_printf("stage %s", bp_stage_name(s));

		if (!name) {
			free(suite);
			return BP_ENOMEM;
		}
		if (bp_stage_status(s) == BP_STAGE_FAILED)
			junit_case(fp, suite, name, bp_stage_duration(s), kind,
				   bp_stage_error(s), bp_stage_error(s));
		else if (bp_stage_status(s) == BP_STAGE_PENDING)
			junit_case(fp, suite, name, 0, "skipped",
				   "not run: an earlier stage failed", NULL);
		else
			junit_case(fp, suite, name, bp_stage_duration(s), NULL,
				   NULL, NULL);
		free(name);
	}
	message =
	    str_printf("%s (exit %d): %s", bp_outcome_name(outcome),
		       (int)outcome, reason[0] ? reason : "no reason recorded");
	if (!message) {
		free(suite);
		return BP_ENOMEM;
	}
	if (pass)
		junit_case(fp, suite, flaky ? "verdict (flaky)" : "verdict",
			   duration, NULL, NULL, NULL);
	else
		junit_case(fp, suite, "verdict", duration, kind, message,
			   reason);
	if (log) {
		fputs("    <system-out>console log: ", fp);
		xml_text(fp, log);
		console_tail(fp, log, 40);
		fputs("</system-out>\n", fp);
	}
	fputs("  </testsuite>\n</testsuites>\n", fp);
	free(message);
	free(suite);
	return 0;
}

int report_write(struct bp_engine *e, const char *format, const char *path,
		 struct bp_err *err)
{
	char *tmp = str_printf("%s.tmp", path);
	FILE *fp;
	json_t *root;
	int rc = 0;

	if (!tmp)
		return BP_ENOMEM;
	if (strcmp(format, "json") != 0 && strcmp(format, "junit") != 0) {
		free(tmp);
		return err_set(err, BP_ECONFIG,
			       "unknown report format `%s`: use json=PATH "
			       "or junit=PATH",
			       format);
	}
	/* written beside and renamed, so CI never reads half a report */
	fp = fopen(tmp, "w");
	if (!fp) {
		rc = err_set(err, BP_EIO, "cannot write report %s: %s", tmp,
			     strerror(errno));
		free(tmp);
		return rc;
	}
	if (strcmp(format, "json") == 0) {
		root = report_json(e);
		if (!root || json_dumpf(root, fp, JSON_INDENT(2)) < 0)
			rc = BP_ENOMEM;
		fputc('\n', fp);
		json_decref(root);
	} else {
		rc = write_junit(e, fp);
	}
	if (fclose(fp) != 0 && rc == 0)
		rc = err_set(err, BP_EIO, "cannot write report %s: %s", tmp,
			     strerror(errno));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = err_set(err, BP_EIO, "cannot rename %s to %s: %s", tmp,
			     path, strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}
