/* The `key = value` lines of pipeline files and --set, with their origin:
 * what the pipeline reader produces and option binding consumes. */
#ifndef BOOTPIPE_ENTRY_H
#define BOOTPIPE_ENTRY_H

#include <stddef.h>

/* One `key = value` line (or continuation line) of a pipeline file, or one
 * --set. Lists of these keep file order. */
struct pipeline_entry {
	char *section;
	char *key;
	char *value;
	char *file; /* "--set" for command-line overrides */
	int line;
};

struct entry_list {
	struct pipeline_entry *items;
	size_t count;
	size_t cap;
};

/* Appends a copy of the strings; 0 or BP_ENOMEM. */
int entry_list_add(struct entry_list *list, const char *section,
		   const char *key, const char *value, const char *file,
		   int line);
void entry_list_release(struct entry_list *list);
/* "file:line", or "--set" for a command-line override; malloc'ed. */
char *entry_origin(const struct pipeline_entry *e);

#endif
