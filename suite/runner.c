/* The test_commands runner, byte for byte what axbuild writes. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

/* Every marker is the OS's upper-case name and a fixed suffix, as in
 * axbuild's grouped_runner.rs. */
#define RUNNER_MARKERS(os, OS, profile)                                        \
	{                                                                      \
		.runner_name = os "-run-case-tests",                           \
		.runner_path = "/usr/bin/" os "-run-case-tests",               \
		.profile_script = profile, .begin = OS "_GROUPED_TEST_BEGIN",  \
		.passed = OS "_GROUPED_TEST_PASSED",                           \
		.failed = OS "_GROUPED_TEST_FAILED",                           \
		.all_passed = OS "_GROUPED_TESTS_PASSED",                      \
		.all_failed = OS "_GROUPED_TESTS_FAILED",                      \
		.success_regex = "(?m)^" OS "_GROUPED_TESTS_PASSED\\s*$",      \
		.fail_regex = "(?m)^" OS "_GROUPED_TEST_FAILED:",              \
	}

static const struct {
	const char *os;
	struct suite_runner_markers markers;
} runners[] = {
    {"axvisor", RUNNER_MARKERS("axvisor", "AXVISOR", NULL)},
    {"starry",
     RUNNER_MARKERS("starry", "STARRY", "99-starry-run-case-tests.sh")},
};

const struct suite_runner_markers *suite_runner_markers_for(const char *os)
{
	for (size_t i = 0; i < sizeof(runners) / sizeof(runners[0]); i++) {
		if (strcmp(os, runners[i].os) == 0)
			return &runners[i].markers;
	}
	return NULL;
}

/* 'value' with each ' as '\'' (axbuild's shell_single_quote). */
static void quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

char *suite_runner_label(const char *command)
{
	const char *start = command, *end;
	unsigned char digest[EVP_MAX_MD_SIZE], len_le[8];
	unsigned int dlen = 0;
	uint64_t n;
	char *out = NULL;

	while (*start && strchr(" \t\r\n\v\f", *start))
		start++;
	end = start + strlen(start);
	while (end > start && strchr(" \t\r\n\v\f", end[-1]))
		end--;
	n = (uint64_t)(end - start);
	if (!memchr(start, '\n', n) && n <= 120)
		return strndup(start, n);
	for (int i = 0; i < 8; i++)
		len_le[i] = (unsigned char)(n >> (8 * i));
	{
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
		    !EVP_DigestUpdate(md, len_le, sizeof(len_le)) ||
		    !EVP_DigestUpdate(md, start, n) ||
		    !EVP_DigestFinal_ex(md, digest, &dlen)) {
			EVP_MD_CTX_free(md);
			return NULL;
		}
		EVP_MD_CTX_free(md);
	}
	if (asprintf(&out, "inline-command:%02x%02x%02x%02x", digest[0],
		     digest[1], digest[2], digest[3]) < 0)
		return NULL;
	return out;
}

/* One marker line of a step, after taking the time: @status_field and
 * @status_arg add the exit status to the PASSED and FAILED lines. */
static void marker_line(FILE *f, const char *indent, const char *marker,
			const char *status_field, const char *status_arg,
			const char *label)
{
	fprintf(f,
		"%snow=$(date +%%s 2>/dev/null || printf unknown)\n"
		"%sprintf '%%s: step=%%s/%%s epoch=%%s %scommand=%%s\\n' ",
		indent, indent, status_field);
	quoted(f, marker);
	fprintf(f, " \"$step\" \"$total\" \"$now\" %s", status_arg);
	quoted(f, label);
	fputc('\n', f);
}

char *suite_runner_script(const struct suite_runner_markers *m,
			  const char *const *commands, size_t count)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "#!/bin/sh\nset -u\nfailed=0\ntotal=%zu\nstep=0\n", count);
	for (size_t i = 0; i < count; i++) {
		char *label = suite_runner_label(commands[i]);

		if (!label) {
			fclose(f);
			free(buf);
			return NULL;
		}
		fputs("step=$((step + 1))\n", f);
		marker_line(f, "", m->begin, "", "", label);
		fputs("if sh -c ", f);
		quoted(f, commands[i]);
		fputs("; then\n", f);
		marker_line(f, "\t", m->passed, "status=0 ", "", label);
		fputs("else\n\tstatus=$?\n", f);
		marker_line(f, "\t", m->failed, "status=%s ", "\"$status\" ",
			    label);
		fputs("\tfailed=1\nfi\n", f);
		free(label);
	}
	fputs("if [ \"$failed\" -eq 0 ]; then\n\tprintf '%s\\n' ", f);
	quoted(f, m->all_passed);
	fputs("\n\texit 0\nfi\nprintf '%s\\n' ", f);
	quoted(f, m->all_failed);
	fputs("\nexit 1\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *suite_runner_profile_script(const struct suite_runner_markers *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!m->profile_script || !(f = open_memstream(&buf, &len)))
		return NULL;
	fputs("if [ \"${AXBUILD_GROUPED_AUTORUN_DONE:-0}\" = \"1\" ]; then\n"
	      "\treturn 0 2>/dev/null || exit 0\nfi\n"
	      "export AXBUILD_GROUPED_AUTORUN_DONE=1\n\nif [ -x ",
	      f);
	quoted(f, m->runner_path);
	fputs(" ]; then\n\t", f);
	quoted(f, m->runner_path);
	fputs("\nfi\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *suite_runner_shell_init_cmd(const struct suite_runner_markers *m)
{
	char *out = NULL;

	if (m->profile_script)
		return NULL;
	if (asprintf(&out, "exec %s", m->runner_path) < 0)
		return NULL;
	return out;
}
