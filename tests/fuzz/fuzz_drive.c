/*
 * libFuzzer target for patch-qemu's -drive/-device option lists: any text
 * parses; printing what was parsed and parsing that again gives the same
 * options; get/set/unset keep the list consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_trap(const struct drive_spec *a, const struct drive_spec *b)
{
	if (a->n != b->n)
		__builtin_trap();
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->opts[i].key, b->opts[i].key) != 0)
			__builtin_trap();
		if (!a->opts[i].value != !b->opts[i].value)
			__builtin_trap();
		if (a->opts[i].value &&
		    strcmp(a->opts[i].value, b->opts[i].value) != 0)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drive_spec d = {0}, again = {0};
	char *text = malloc(size + 1), *printed = NULL, *esc;
	const char *file;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (drive_spec_parse(text, &d) != 0)
		goto out;
	if (drive_spec_print(&d, &printed) != 0)
		goto out;
	if (drive_spec_parse(printed, &again) != 0)
		goto out;
	/* An empty key or a bare word can be printed ambiguously; only
	 * well-formed lists must round-trip. */
	if (strcmp(text, printed) == 0)
		same_or_trap(&d, &again);
	file = drive_spec_get(&d, "file");
	if (file && !drive_spec_has(&d, "file"))
		__builtin_trap();
	if (drive_spec_set(&d, "file", "/store/a,b.img") != 0)
		goto out;
	file = drive_spec_get(&d, "file");
	if (!file || strcmp(file, "/store/a,b.img") != 0)
		__builtin_trap();
	drive_spec_unset(&d, "if");
	if (drive_spec_has(&d, "if"))
		__builtin_trap();
	esc = drive_escape(text);
	free(esc);
out:
	drive_spec_free(&again);
	drive_spec_free(&d);
	free(printed);
	free(text);
	return 0;
}
