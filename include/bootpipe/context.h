/*
 * The shared context: a typed key/value store passed from stage to stage.
 *
 * Ownership: setters copy their inputs; getters return borrowed pointers
 * valid until that key changes or the context is freed; bp_ctx_take_ptr
 * takes ownership of the pointer even when it fails. Getting a key with the
 * wrong type returns BP_ETYPE (and a message, see bp_ctx_error), never
 * crashes. Keys are dotted and namespaced by their producer; well-known keys
 * are macros in keys.h.
 *
 * NULL: a NULL context makes getters return BP_EINVAL (or false, NULL)
 * and setters BP_EINVAL; keys and values must not be NULL. Threads: a
 * context is not locked; use it from one thread at a time.
 */
#ifndef BOOTPIPE_CONTEXT_H
#define BOOTPIPE_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bp_ctx;

enum bp_type {
	BP_TYPE_NONE = 0, /* key absent */
	BP_TYPE_STR,
	BP_TYPE_INT,
	BP_TYPE_BOOL,
	BP_TYPE_LIST,
	BP_TYPE_PTR,
};

/* "none", "str", "int", "bool", "list", "ptr". */
const char *bp_type_name(enum bp_type type);

/* A new empty context, or NULL when out of memory. */
struct bp_ctx *bp_ctx_new(void);

/* Frees the context, running the destructor of every tagged pointer. */
void bp_ctx_free(struct bp_ctx *ctx);

/* Message of the last failed call on @ctx; borrowed, "" when none. */
const char *bp_ctx_error(const struct bp_ctx *ctx);

/* Setters: copy @key and the value; replace any previous value. */
int bp_ctx_set_str(struct bp_ctx *ctx, const char *key, const char *value);
int bp_ctx_set_int(struct bp_ctx *ctx, const char *key, int64_t value);
int bp_ctx_set_bool(struct bp_ctx *ctx, const char *key, bool value);
int bp_ctx_set_list(struct bp_ctx *ctx, const char *key,
		    const char *const *items, size_t count);

/* Appends a copy of @item to the list at @key, creating it when absent;
 * BP_ETYPE when @key holds another type. */
int bp_ctx_list_append(struct bp_ctx *ctx, const char *key, const char *item);

/*
 * Stores @ptr under @key with a type @tag (a static string that getters
 * must name). Takes @ptr: @destroy (may be NULL) runs when the key is
 * replaced or removed, the context is freed, or this call fails.
 */
int bp_ctx_take_ptr(struct bp_ctx *ctx, const char *key, const char *tag,
		    void *ptr, void (*destroy)(void *ptr));

/*
 * Getters: 0 and the value, BP_ENOENT when absent, BP_ETYPE when the key
 * holds another type. Returned pointers are borrowed.
 */
int bp_ctx_get_str(const struct bp_ctx *ctx, const char *key, const char **out);
int bp_ctx_get_int(const struct bp_ctx *ctx, const char *key, int64_t *out);
int bp_ctx_get_bool(const struct bp_ctx *ctx, const char *key, bool *out);
/* @items is NULL-terminated as well as counted. */
int bp_ctx_get_list(const struct bp_ctx *ctx, const char *key,
		    const char *const **items, size_t *count);
int bp_ctx_get_ptr(const struct bp_ctx *ctx, const char *key, const char *tag,
		   void **out);

/* The type held at @key, BP_TYPE_NONE when absent. */
enum bp_type bp_ctx_type(const struct bp_ctx *ctx, const char *key);

/* True when @key is present, whatever its type. */
bool bp_ctx_has(const struct bp_ctx *ctx, const char *key);

/* Removes @key; 0 or BP_ENOENT. */
int bp_ctx_remove(struct bp_ctx *ctx, const char *key);

/* Number of keys, and the key at @index in insertion order (borrowed). */
size_t bp_ctx_count(const struct bp_ctx *ctx);
const char *bp_ctx_key_at(const struct bp_ctx *ctx, size_t index);

/* Convenience: the string at @key, or @fallback when absent or not a
 * string. Borrowed. */
const char *bp_ctx_str_or(const struct bp_ctx *ctx, const char *key,
			  const char *fallback);

#ifdef __cplusplus
}
#endif
#endif
