/* Lists of pipeline entries (entry.h). */
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

#include "entry.h"
#include "strbuf.h"

int entry_list_add(struct entry_list *list, const char *section,
		   const char *key, const char *value, const char *file,
		   int line)
{
	struct pipeline_entry *e;

	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 32;
		struct pipeline_entry *n =
		    realloc(list->items, cap * sizeof(*n));

		if (!n)
			return BP_ENOMEM;
		list->items = n;
		list->cap = cap;
	}
	e = &list->items[list->count];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value);
	e->file = strdup(file);
	e->line = line;
	if (!e->section || !e->key || !e->value || !e->file) {
		free(e->section);
		free(e->key);
		free(e->value);
		free(e->file);
		return BP_ENOMEM;
	}
	list->count++;
	return 0;
}

char *entry_origin(const struct pipeline_entry *e)
{
	if (e->line <= 0)
		return strdup(e->file);
	return str_printf("%s:%d", e->file, e->line);
}

void entry_list_release(struct entry_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].section);
		free(list->items[i].key);
		free(list->items[i].value);
		free(list->items[i].file);
	}
	free(list->items);
	memset(list, 0, sizeof(*list));
}
