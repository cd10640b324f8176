/*
 * QEMU option lists as -drive and -device take them: comma separated
 * key=value pairs in any order, ",," is a literal comma inside a value, a
 * bare word is a flag. Parsing keeps every option and their order, so
 * printing what was parsed gives the same text back (modulo escapes).
 */
#ifndef BP_DRIVE_H
#define BP_DRIVE_H

#include <stdbool.h>
#include <stddef.h>

struct drive_opt {
	char *key;
	char
	    *value; /* NULL for a bare word ("readonly", or -device's driver) */
};

struct drive_spec {
	struct drive_opt *opts;
	size_t n;
};

/* Parses @text into *out. 0 or BP_ENOMEM. Never fails on content: QEMU
 * decides what is valid. */
int drive_spec_parse(const char *text, struct drive_spec *out);
void drive_spec_free(struct drive_spec *d);

/* The value of @key (last one wins, as in QEMU), NULL when absent or a bare
 * word. */
const char *drive_spec_get(const struct drive_spec *d, const char *key);
bool drive_spec_has(const struct drive_spec *d, const char *key);

/* Replaces every @key's value with a copy of @value, or appends key=value
 * when absent. 0 or BP_ENOMEM. */
int drive_spec_set(struct drive_spec *d, const char *key, const char *value);
/* Removes every @key. */
void drive_spec_unset(struct drive_spec *d, const char *key);

/* Prints the spec, writing ",," for commas inside keys and values;
 * malloc'ed into *out. 0 or BP_ENOMEM. */
int drive_spec_print(const struct drive_spec *d, char **out);

/* Escapes one value for use inside an option list (',' -> ",,"). */
char *drive_escape(const char *value);

#endif
