/* The test_commands runner, byte for byte what axbuild writes. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

static const struct suite_runner_markers axvisor = {
    .runner_name = "axvisor-run-case-tests",
    .runner_path = "/usr/bin/axvisor-run-case-tests",
    .profile_script = NULL,
    .begin = "AXVISOR_GROUPED_TEST_BEGIN",
    .passed = "AXVISOR_GROUPED_TEST_PASSED",
    .failed = "AXVISOR_GROUPED_TEST_FAILED",
    .all_passed = "AXVISOR_GROUPED_TESTS_PASSED",
    .all_failed = "AXVISOR_GROUPED_TESTS_FAILED",
    .success_regex = "(?m)^AXVISOR_GROUPED_TESTS_PASSED\\s*$",
    .fail_regex = "(?m)^AXVISOR_GROUPED_TEST_FAILED:",
};

static const struct suite_runner_markers starry = {
    .runner_name = "starry-run-case-tests",
    .runner_path = "/usr/bin/starry-run-case-tests",
    .profile_script = "99-starry-run-case-tests.sh",
    .begin = "STARRY_GROUPED_TEST_BEGIN",
    .passed = "STARRY_GROUPED_TEST_PASSED",
    .failed = "STARRY_GROUPED_TEST_FAILED",
    .all_passed = "STARRY_GROUPED_TESTS_PASSED",
    .all_failed = "STARRY_GROUPED_TESTS_FAILED",
    .success_regex = "(?m)^STARRY_GROUPED_TESTS_PASSED\\s*$",
    .fail_regex = "(?m)^STARRY_GROUPED_TEST_FAILED:",
};

const struct suite_runner_markers *suite_runner_markers_for(const char *os)
{
	if (strcmp(os, "axvisor") == 0)
		return &axvisor;
	if (strcmp(os, "starry") == 0)
		return &starry;
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
		fputs("step=$((step + 1))\nnow=$(date +%s 2>/dev/null || "
		      "printf unknown)\nprintf '%s: step=%s/%s epoch=%s "
		      "command=%s\\n' ",
		      f);
		quoted(f, m->begin);
		fputs(" \"$step\" \"$total\" \"$now\" ", f);
		quoted(f, label);
		fputs("\nif sh -c ", f);
		quoted(f, commands[i]);
		fputs("; then\n\tnow=$(date +%s 2>/dev/null || printf "
		      "unknown)\n\tprintf '%s: step=%s/%s epoch=%s status=0 "
		      "command=%s\\n' ",
		      f);
		quoted(f, m->passed);
		fputs(" \"$step\" \"$total\" \"$now\" ", f);
		quoted(f, label);
		fputs("\nelse\n\tstatus=$?\n\tnow=$(date +%s 2>/dev/null || "
		      "printf unknown)\n\tprintf '%s: step=%s/%s epoch=%s "
		      "status=%s command=%s\\n' ",
		      f);
		quoted(f, m->failed);
		fputs(" \"$step\" \"$total\" \"$now\" \"$status\" ", f);
		quoted(f, label);
		fputs("\n\tfailed=1\nfi\n", f);
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
