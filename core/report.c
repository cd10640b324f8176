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

/* engine_fail only: the report reads the engine through its public getters */
#include "engine_internal.h"
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

static void xml_escaped(FILE *fp, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '&':
			fputs("&amp;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		default:
			/* XML 1.0 forbids most control characters */
			if (c < 0x20 && c != '\n' && c != '\t')
				fputc('?', fp);
			else
				fputc(c, fp);
		}
	}
}

static void junit_case(FILE *fp, const char *suite, const char *name,
		       double time, const char *kind, const char *message,
		       const char *body)
{
	fputs("    <testcase classname=\"", fp);
	xml_escaped(fp, suite);
	fputs("\" name=\"", fp);
	xml_escaped(fp, name);
	fprintf(fp, "\" time=\"%.3f\"", time);
	if (!kind) {
		fputs("/>\n", fp);
		return;
	}
	fprintf(fp, ">\n      <%s message=\"", kind);
	xml_escaped(fp, message);
	fputs("\">", fp);
	xml_escaped(fp, body ? body : "");
	fprintf(fp, "</%s>\n    </testcase>\n", kind);
}

static void write_junit(struct bp_engine *e, FILE *fp)
{
	const char *suite = bp_engine_pipeline_name(e);
	const struct bp_ctx *ctx = bp_engine_ctx(e);
	const char *log = bp_ctx_str_or(ctx, BP_KEY_RUN_CONSOLE_LOG, NULL);
	const char *verdict = bp_ctx_str_or(ctx, BP_KEY_RUN_VERDICT, "");
	enum bp_outcome outcome = bp_engine_outcome(e);
	size_t count = bp_engine_stage_count(e), failures = 0, skipped = 0;
	double duration = bp_engine_duration(e);
	char message[256];

	for (size_t i = 0; i < count; i++) {
		enum bp_stage_status st =
		    bp_stage_status(bp_engine_stage_at(e, i));

		failures += st == BP_STAGE_FAILED;
		skipped += st == BP_STAGE_PENDING;
	}
	failures += outcome != BP_OUTCOME_PASS;
	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(fp,
		"<testsuites tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n",
		count + 1, failures, duration);
	fputs("  <testsuite name=\"", fp);
	xml_escaped(fp, suite);
	fprintf(
	    fp,
	    "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
	    "time=\"%.3f\">\n",
	    count + 1, failures, skipped, duration);
	for (size_t i = 0; i < count; i++) {
		const struct bp_stage *s = bp_engine_stage_at(e, i);
		char name[300];

		snprintf(name, sizeof(name), "stage %s", bp_stage_name(s));
		if (bp_stage_status(s) == BP_STAGE_FAILED)
			junit_case(fp, suite, name, bp_stage_duration(s),
				   "failure", bp_stage_error(s),
				   bp_stage_error(s));
		else if (bp_stage_status(s) == BP_STAGE_PENDING)
			junit_case(fp, suite, name, 0, "skipped",
				   "not run: an earlier stage failed", NULL);
		else
			junit_case(fp, suite, name, bp_stage_duration(s), NULL,
				   NULL, NULL);
	}
	snprintf(message, sizeof(message), "outcome %s (exit %d)",
		 bp_outcome_name(outcome), (int)outcome);
	if (outcome == BP_OUTCOME_PASS)
		junit_case(fp, suite, "verdict", duration, NULL, NULL, NULL);
	else
		junit_case(fp, suite, "verdict", duration, "failure", message,
			   verdict[0] ? verdict : bp_engine_error(e));
	if (log) {
		fputs("    <system-out>console log: ", fp);
		xml_escaped(fp, log);
		fputs("</system-out>\n", fp);
	}
	fputs("  </testsuite>\n</testsuites>\n", fp);
}

int bp_engine_write_report(struct bp_engine *e, const char *format,
			   const char *path)
{
	char *tmp = str_printf("%s.tmp", path);
	FILE *fp;
	json_t *root;
	int rc = 0;

	if (!tmp)
		return BP_ENOMEM;
	if (strcmp(format, "json") != 0 && strcmp(format, "junit") != 0) {
		free(tmp);
		return engine_fail(e, BP_ECONFIG,
				   "unknown report format `%s`: use json=PATH "
				   "or junit=PATH",
				   format);
	}
	/* written beside and renamed, so CI never reads half a report */
	fp = fopen(tmp, "w");
	if (!fp) {
		rc = engine_fail(e, BP_EIO, "cannot write report %s: %s", tmp,
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
		write_junit(e, fp);
	}
	if (fclose(fp) != 0 && rc == 0)
		rc = engine_fail(e, BP_EIO, "cannot write report %s: %s", tmp,
				 strerror(errno));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = engine_fail(e, BP_EIO, "cannot rename %s to %s: %s", tmp,
				 path, strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}
