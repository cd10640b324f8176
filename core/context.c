/* The shared context: a typed key/value store in insertion order. A few
 * dozen keys per run, so a linear scan beats any hash here. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/context.h>
#include <bootpipe/error.h>
#include <bootpipe/log.h>

struct entry {
	char *key;
	enum bp_type type;
	union {
		char *str;
		int64_t i;
		bool b;
		struct {
			char **items; /* NULL-terminated */
			size_t count;
		} list;
		struct {
			const char *tag;
			void *ptr;
			void (*destroy)(void *ptr);
		} ptr;
	} v;
};

struct bp_ctx {
	struct entry *entries;
	size_t count;
	size_t cap;
	char error[256];
};

const char *bp_type_name(enum bp_type type)
{
	switch (type) {
	case BP_TYPE_NONE:
		return "none";
	case BP_TYPE_STR:
		return "str";
	case BP_TYPE_INT:
		return "int";
	case BP_TYPE_BOOL:
		return "bool";
	case BP_TYPE_LIST:
		return "list";
	case BP_TYPE_PTR:
		return "ptr";
	}
	return "unknown";
}

struct bp_ctx *bp_ctx_new(void)
{
	return calloc(1, sizeof(struct bp_ctx));
}

static void value_release(struct entry *e)
{
	switch (e->type) {
	case BP_TYPE_STR:
		free(e->v.str);
		break;
	case BP_TYPE_LIST:
		for (size_t i = 0; i < e->v.list.count; i++)
			free(e->v.list.items[i]);
		free(e->v.list.items);
		break;
	case BP_TYPE_PTR:
		if (e->v.ptr.destroy)
			e->v.ptr.destroy(e->v.ptr.ptr);
		break;
	case BP_TYPE_NONE:
	case BP_TYPE_INT:
	case BP_TYPE_BOOL:
		break;
	}
	e->type = BP_TYPE_NONE;
}

void bp_ctx_free(struct bp_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->count; i++) {
		value_release(&ctx->entries[i]);
		free(ctx->entries[i].key);
	}
	free(ctx->entries);
	free(ctx);
}

const char *bp_ctx_error(const struct bp_ctx *ctx)
{
	return ctx ? ctx->error : "";
}

static int ctx_fail(const struct bp_ctx *cctx, int status, const char *fmt, ...)
    BP_PRINTF(3, 4);

/* Getters take a const context but still record why they failed. */
static int ctx_fail(const struct bp_ctx *cctx, int status, const char *fmt, ...)
{
	struct bp_ctx *ctx = (struct bp_ctx *)cctx;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
	va_end(ap);
	return status;
}

static struct entry *find(const struct bp_ctx *ctx, const char *key)
{
	for (size_t i = 0; i < ctx->count; i++) {
		if (strcmp(ctx->entries[i].key, key) == 0)
			return &ctx->entries[i];
	}
	return NULL;
}

/* The entry for @key, emptied of its old value, or NULL when out of
 * memory. The caller fills it. */
static struct entry *slot(struct bp_ctx *ctx, const char *key)
{
	struct entry *e = find(ctx, key);
	char *k;

	if (e) {
		value_release(e);
		return e;
	}
	if (ctx->count == ctx->cap) {
		size_t cap = ctx->cap ? ctx->cap * 2 : 16;
		struct entry *n = realloc(ctx->entries, cap * sizeof(*n));

		if (!n)
			return NULL;
		ctx->entries = n;
		ctx->cap = cap;
	}
	k = strdup(key);
	if (!k)
		return NULL;
	e = &ctx->entries[ctx->count++];
	memset(e, 0, sizeof(*e));
	e->key = k;
	return e;
}

static bool valid_args(struct bp_ctx *ctx, const char *key)
{
	return ctx && key && key[0];
}

int bp_ctx_set_str(struct bp_ctx *ctx, const char *key, const char *value)
{
	struct entry *e;
	char *copy;

	if (!valid_args(ctx, key) || !value)
		return BP_EINVAL;
	copy = strdup(value);
	if (!copy)
		return BP_ENOMEM;
	e = slot(ctx, key);
	if (!e) {
		free(copy);
		return BP_ENOMEM;
	}
	e->type = BP_TYPE_STR;
	e->v.str = copy;
	return 0;
}

int bp_ctx_set_int(struct bp_ctx *ctx, const char *key, int64_t value)
{
	struct entry *e;

	if (!valid_args(ctx, key))
		return BP_EINVAL;
	e = slot(ctx, key);
	if (!e)
		return BP_ENOMEM;
	e->type = BP_TYPE_INT;
	e->v.i = value;
	return 0;
}

int bp_ctx_set_bool(struct bp_ctx *ctx, const char *key, bool value)
{
	struct entry *e;

	if (!valid_args(ctx, key))
		return BP_EINVAL;
	e = slot(ctx, key);
	if (!e)
		return BP_ENOMEM;
	e->type = BP_TYPE_BOOL;
	e->v.b = value;
	return 0;
}

static void free_items(char **items, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(items[i]);
	free(items);
}

int bp_ctx_set_list(struct bp_ctx *ctx, const char *key,
		    const char *const *items, size_t count)
{
	struct entry *e;
	char **copy;

	if (!valid_args(ctx, key) || (count && !items))
		return BP_EINVAL;
	copy = calloc(count + 1, sizeof(*copy));
	if (!copy)
		return BP_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		copy[i] = strdup(items[i] ? items[i] : "");
		if (!copy[i]) {
			free_items(copy, i);
			return BP_ENOMEM;
		}
	}
	e = slot(ctx, key);
	if (!e) {
		free_items(copy, count);
		return BP_ENOMEM;
	}
	e->type = BP_TYPE_LIST;
	e->v.list.items = copy;
	e->v.list.count = count;
	return 0;
}

int bp_ctx_list_append(struct bp_ctx *ctx, const char *key, const char *item)
{
	struct entry *e;
	char **items;
	char *copy;

	if (!valid_args(ctx, key) || !item)
		return BP_EINVAL;
	e = find(ctx, key);
	if (!e)
		return bp_ctx_set_list(ctx, key, &item, 1);
	if (e->type != BP_TYPE_LIST)
		return ctx_fail(ctx, BP_ETYPE,
				"context key %s is a %s, not a list", key,
				bp_type_name(e->type));
	copy = strdup(item);
	if (!copy)
		return BP_ENOMEM;
	items =
	    realloc(e->v.list.items, (e->v.list.count + 2) * sizeof(*items));
	if (!items) {
		free(copy);
		return BP_ENOMEM;
	}
	items[e->v.list.count++] = copy;
	items[e->v.list.count] = NULL;
	e->v.list.items = items;
	return 0;
}

int bp_ctx_take_ptr(struct bp_ctx *ctx, const char *key, const char *tag,
		    void *ptr, void (*destroy)(void *ptr))
{
	struct entry *e = NULL;

	if (valid_args(ctx, key) && tag)
		e = slot(ctx, key);
	if (!e) {
		if (destroy)
			destroy(ptr);
		return valid_args(ctx, key) && tag ? BP_ENOMEM : BP_EINVAL;
	}
	e->type = BP_TYPE_PTR;
	e->v.ptr.tag = tag;
	e->v.ptr.ptr = ptr;
	e->v.ptr.destroy = destroy;
	return 0;
}

/* The entry at @key when it holds @type; otherwise a failure status. */
static int typed(const struct bp_ctx *ctx, const char *key, enum bp_type type,
		 const struct entry **out)
{
	const struct entry *e;

	if (!ctx || !key)
		return BP_EINVAL;
	e = find(ctx, key);
	if (!e)
		return ctx_fail(ctx, BP_ENOENT, "context has no key %s", key);
	if (e->type != type)
		return ctx_fail(ctx, BP_ETYPE,
				"context key %s is a %s, not a %s", key,
				bp_type_name(e->type), bp_type_name(type));
	*out = e;
	return 0;
}

int bp_ctx_get_str(const struct bp_ctx *ctx, const char *key, const char **out)
{
	const struct entry *e;
	int rc = typed(ctx, key, BP_TYPE_STR, &e);

	if (rc == 0)
		*out = e->v.str;
	return rc;
}

int bp_ctx_get_int(const struct bp_ctx *ctx, const char *key, int64_t *out)
{
	const struct entry *e;
	int rc = typed(ctx, key, BP_TYPE_INT, &e);

	if (rc == 0)
		*out = e->v.i;
	return rc;
}

int bp_ctx_get_bool(const struct bp_ctx *ctx, const char *key, bool *out)
{
	const struct entry *e;
	int rc = typed(ctx, key, BP_TYPE_BOOL, &e);

	if (rc == 0)
		*out = e->v.b;
	return rc;
}

int bp_ctx_get_list(const struct bp_ctx *ctx, const char *key,
		    const char *const **items, size_t *count)
{
	const struct entry *e;
	int rc = typed(ctx, key, BP_TYPE_LIST, &e);

	if (rc == 0) {
		*items = (const char *const *)e->v.list.items;
		*count = e->v.list.count;
	}
	return rc;
}

int bp_ctx_get_ptr(const struct bp_ctx *ctx, const char *key, const char *tag,
		   void **out)
{
	const struct entry *e;
	int rc = typed(ctx, key, BP_TYPE_PTR, &e);

	if (rc)
		return rc;
	if (!tag || strcmp(tag, e->v.ptr.tag) != 0)
		return ctx_fail(ctx, BP_ETYPE,
				"context key %s holds a %s, not a %s", key,
				e->v.ptr.tag, tag ? tag : "(null)");
	*out = e->v.ptr.ptr;
	return 0;
}

enum bp_type bp_ctx_type(const struct bp_ctx *ctx, const char *key)
{
	const struct entry *e = ctx && key ? find(ctx, key) : NULL;

	return e ? e->type : BP_TYPE_NONE;
}

bool bp_ctx_has(const struct bp_ctx *ctx, const char *key)
{
	return bp_ctx_type(ctx, key) != BP_TYPE_NONE;
}

int bp_ctx_remove(struct bp_ctx *ctx, const char *key)
{
	struct entry *e = ctx && key ? find(ctx, key) : NULL;
	size_t index;

	if (!e)
		return BP_ENOENT;
	index = (size_t)(e - ctx->entries);
	value_release(e);
	free(e->key);
	memmove(e, e + 1, (ctx->count - index - 1) * sizeof(*e));
	ctx->count--;
	return 0;
}

size_t bp_ctx_count(const struct bp_ctx *ctx)
{
	return ctx ? ctx->count : 0;
}

const char *bp_ctx_key_at(const struct bp_ctx *ctx, size_t index)
{
	return ctx && index < ctx->count ? ctx->entries[index].key : NULL;
}

const char *bp_ctx_str_or(const struct bp_ctx *ctx, const char *key,
			  const char *fallback)
{
	const struct entry *e = ctx && key ? find(ctx, key) : NULL;

	return e && e->type == BP_TYPE_STR ? e->v.str : fallback;
}
