/* Summary table, JSON and JUnit for a suite run. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/bootpipe.h>

#include "report.h"
#include "utf8.h"

#define CONSOLE_TAIL (64 * 1024)

static const char *outcome_word(const struct suite_result *r)
{
	return r->ran ? bp_outcome_name((enum bp_outcome)r->outcome)
		      : "not-run";
}

void suite_print_summary(FILE *out, const struct suite_list *l,
			 const struct suite_result *r, double duration)
{
	size_t width = 4, passed = 0, not_run = 0;

	for (size_t i = 0; i < l->count; i++) {
		size_t n =
		    strlen(l->cases[i].display) + (l->cases[i].variant ? 0 : 0);

		if (n > width)
			width = n;
	}
	fprintf(out, "\n%-8s %-*s %-12s %-12s %8s  %s\n", "os", (int)width,
		"case", "arch", "outcome", "time", "reason");
	for (size_t i = 0; i < l->count; i++) {
		const struct suite_case *c = &l->cases[i];
		char arch[64];

		snprintf(arch, sizeof(arch), "%s%s%s", c->arch,
			 c->variant ? "-" : "", c->variant ? c->variant : "");
		fprintf(out, "%-8s %-*s %-12s %-12s %7.1fs  %s\n", c->os,
			(int)width, c->display, arch, outcome_word(&r[i]),
			r[i].duration,
			r[i].ran && r[i].outcome && r[i].reason ? r[i].reason
								: "");
		passed += r[i].ran && r[i].outcome == BP_OUTCOME_PASS;
		not_run += !r[i].ran;
	}
	fprintf(out, "\n%zu of %zu passed", passed, l->count);
	if (not_run)
		fprintf(out, ", %zu not run", not_run);
	fprintf(out, " (%.1fs)\n", duration);
}

/* The last CONSOLE_TAIL bytes of @path, NUL-terminated; NULL if none. */
static char *console_tail(const char *path)
{
	struct stat st;
	char *buf;
	ssize_t n;
	off_t from;
	int fd;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	from = st.st_size > CONSOLE_TAIL ? st.st_size - CONSOLE_TAIL : 0;
	buf = malloc(CONSOLE_TAIL + 1);
	n = buf ? pread(fd, buf, CONSOLE_TAIL, from) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static json_t *to_json(const struct suite_list *l, const struct suite_result *r,
		       double duration, int exit_code)
{
	json_t *root = json_object(), *cases = json_array();

	for (size_t i = 0; i < l->count; i++) {
		const struct suite_case *c = &l->cases[i];
		json_t *o = json_object();

		json_object_set_new(o, "os", json_string(c->os));
		json_object_set_new(o, "group", json_string(c->group));
		json_object_set_new(o, "case", json_text(c->display));
		json_object_set_new(o, "arch", json_string(c->arch));
		json_object_set_new(o, "variant", json_text(c->variant));
		json_object_set_new(o, "build_group",
				    json_text(c->build_group));
		json_object_set_new(o, "qemu_config",
				    json_text(c->qemu_config));
		json_object_set_new(o, "outcome",
				    json_string(outcome_word(&r[i])));
		json_object_set_new(o, "exit_code",
				    r[i].ran ? json_integer(r[i].outcome)
					     : json_null());
		json_object_set_new(o, "duration", json_real(r[i].duration));
		json_object_set_new(o, "reason", json_text(r[i].reason));
		json_object_set_new(o, "flaky", json_boolean(r[i].flaky));
		json_object_set_new(o, "console_log",
				    json_text(r[i].console_log));
		json_object_set_new(o, "dir", json_text(r[i].dir));
		json_array_append_new(cases, o);
	}
	json_object_set_new(root, "outcome",
			    json_string(bp_outcome_name(exit_code)));
	json_object_set_new(root, "exit_code", json_integer(exit_code));
	json_object_set_new(root, "duration", json_real(duration));
	json_object_set_new(root, "cases", cases);
	return root;
}

static void junit_case(FILE *f, const struct suite_case *c,
		       const struct suite_result *r)
{
	const char *kind = NULL;
	char *tail;

	fputs("    <testcase classname=\"", f);
	fprintf(f, "%s.%s.%s%s%s", c->os, c->group, c->arch,
		c->variant ? "-" : "", c->variant ? c->variant : "");
	fputs("\" name=\"", f);
	xml_text(f, c->display);
	fprintf(f, "\" time=\"%.3f\">\n", r->duration);
	if (r->flaky)
		fputs("      <properties><property name=\"flaky\" "
		      "value=\"true\"/></properties>\n",
		      f);
	if (!r->ran)
		kind = "skipped";
	else if (r->outcome == BP_OUTCOME_FAIL ||
		 r->outcome == BP_OUTCOME_NO_VERDICT)
		kind = "failure";
	else if (r->outcome != BP_OUTCOME_PASS)
		kind = "error";
	if (kind) {
		fprintf(f, "      <%s type=\"%s\" message=\"", kind,
			outcome_word(r));
		xml_text(f, r->ran ? r->reason : "not run");
		fprintf(f, "\"/>\n");
	}
	tail = console_tail(r->console_log);
	if (tail) {
		fputs("      <system-out>", f);
		xml_text(f, tail);
		fputs("</system-out>\n", f);
		free(tail);
	}
	if (r->flaky)
		fputs(
		    "      <system-err>flaky: passed on a retry</system-err>\n",
		    f);
	fputs("    </testcase>\n", f);
}

static void write_junit(FILE *f, const struct suite_list *l,
			const struct suite_result *r, double duration)
{
	size_t failures = 0, errors = 0, skipped = 0;

	for (size_t i = 0; i < l->count; i++) {
		if (!r[i].ran)
			skipped++;
		else if (r[i].outcome == BP_OUTCOME_FAIL ||
			 r[i].outcome == BP_OUTCOME_NO_VERDICT)
			failures++;
		else if (r[i].outcome != BP_OUTCOME_PASS)
			errors++;
	}
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"skipped=\"%zu\" time=\"%.3f\">\n"
		"  <testsuite name=\"bootpipe test\" tests=\"%zu\" "
		"failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
		"time=\"%.3f\">\n",
		l->count, failures, errors, skipped, duration, l->count,
		failures, errors, skipped, duration);
	for (size_t i = 0; i < l->count; i++)
		junit_case(f, &l->cases[i], &r[i]);
	fputs("  </testsuite>\n</testsuites>\n", f);
}

int suite_write_report(const char *format, const char *path,
		       const struct suite_list *l, const struct suite_result *r,
		       double duration, int exit_code, char *err, size_t errlen)
{
	char *tmp = NULL;
	FILE *f;
	int rc = 0;

	if (strcmp(format, "json") != 0 && strcmp(format, "junit") != 0) {
		snprintf(err, errlen,
			 "unknown report format `%s`; expected json or junit",
			 format);
		return -1;
	}
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			 strerror(errno));
		free(tmp);
		return -1;
	}
	if (strcmp(format, "json") == 0) {
		json_t *doc = to_json(l, r, duration, exit_code);

		rc = json_dumpf(doc, f, JSON_INDENT(2)) ? -1 : 0;
		fputc('\n', f);
		json_decref(doc);
	} else {
		write_junit(f, l, r, duration);
	}
	if (ferror(f))
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
			 strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

static bool same(const char *a, json_t *b)
{
	const char *s = json_string_value(b);

	return a ? s && strcmp(a, s) == 0 : !s;
}

int suite_keep_failed(struct suite_list *l, const char *path, char *err,
		      size_t errlen)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);
	json_t *cases = doc ? json_object_get(doc, "cases") : NULL;
	size_t kept = 0;

	if (!json_is_array(cases)) {
		snprintf(err, errlen,
			 "%s:%d: not a bootpipe test JSON report (%s); give "
			 "the file --report json=PATH wrote",
			 path, jerr.line, doc ? "no cases" : jerr.text);
		json_decref(doc);
		return -1;
	}
	for (size_t i = 0; i < l->count; i++) {
		const struct suite_case *c = &l->cases[i];
		bool failed = false;
		size_t k;
		json_t *o;

		json_array_foreach(cases, k, o)
		{
			if (same(c->os, json_object_get(o, "os")) &&
			    same(c->group, json_object_get(o, "group")) &&
			    same(c->display, json_object_get(o, "case")) &&
			    same(c->arch, json_object_get(o, "arch")) &&
			    same(c->variant, json_object_get(o, "variant")) &&
			    !same("pass", json_object_get(o, "outcome")))
				failed = true;
		}
		if (failed)
			l->cases[kept++] = l->cases[i];
		else
			suite_case_release(&l->cases[i]);
	}
	l->count = kept;
	json_decref(doc);
	return 0;
}
