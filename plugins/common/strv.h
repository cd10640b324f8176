/* A growable, NULL-terminated vector of owned strings: the QEMU argv. */
#ifndef BP_STRV_H
#define BP_STRV_H

#include <stddef.h>

struct strv {
	char **v; /* NULL-terminated when n > 0 or cap > 0 */
	size_t n;
	size_t cap;
};

/* Copies @count items of @items. 0 or BP_ENOMEM. */
int strv_init(struct strv *s, const char *const *items, size_t count);
void strv_free(struct strv *s);
/* Inserts a copy of @item at @index (<= n). 0 or BP_ENOMEM. */
int strv_insert(struct strv *s, size_t index, const char *item);
int strv_push(struct strv *s, const char *item);
/* Replaces the item at @index by a copy of @item. */
int strv_set(struct strv *s, size_t index, const char *item);
/* Replaces the item at @index, taking @item (freed on failure). */
void strv_take_at(struct strv *s, size_t index, char *item);
void strv_remove(struct strv *s, size_t index);
/* The index of the first item equal to @item at or after @from, or -1. */
long strv_find(const struct strv *s, const char *item, size_t from);

#endif
