/* The argv vector patch-qemu edits. */
#include "strv.h"

#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

static int reserve(struct strv *s, size_t extra)
{
	size_t cap = s->cap ? s->cap : 16;
	char **v;

	if (s->n + extra + 1 <= s->cap)
		return 0;
	while (cap < s->n + extra + 1)
		cap *= 2;
	v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return BP_ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

int strv_init(struct strv *s, const char *const *items, size_t count)
{
	s->v = NULL;
	s->n = 0;
	s->cap = 0;
	if (reserve(s, count))
		return BP_ENOMEM;
	s->v[0] = NULL;
	for (size_t i = 0; i < count; i++) {
		if (strv_push(s, items[i])) {
			strv_free(s);
			return BP_ENOMEM;
		}
	}
	return 0;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
	s->cap = 0;
}

int strv_insert(struct strv *s, size_t index, const char *item)
{
	char *copy = strdup(item);

	if (!copy || reserve(s, 1)) {
		free(copy);
		return BP_ENOMEM;
	}
	memmove(s->v + index + 1, s->v + index, (s->n - index) * sizeof(*s->v));
	s->v[index] = copy;
	s->n++;
	s->v[s->n] = NULL;
	return 0;
}

int strv_push(struct strv *s, const char *item)
{
	return strv_insert(s, s->n, item);
}

int strv_set(struct strv *s, size_t index, const char *item)
{
	char *copy = strdup(item);

	if (!copy)
		return BP_ENOMEM;
	strv_take_at(s, index, copy);
	return 0;
}

void strv_take_at(struct strv *s, size_t index, char *item)
{
	free(s->v[index]);
	s->v[index] = item;
}

void strv_remove(struct strv *s, size_t index)
{
	free(s->v[index]);
	memmove(s->v + index, s->v + index + 1,
		(s->n - index - 1) * sizeof(*s->v));
	s->n--;
	s->v[s->n] = NULL;
}

long strv_find(const struct strv *s, const char *item, size_t from)
{
	for (size_t i = from; i < s->n; i++)
		if (!strcmp(s->v[i], item))
			return (long)i;
	return -1;
}
