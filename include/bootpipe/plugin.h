/*
 * The plugin ABI: every stage plugin exports exactly one descriptor,
 * `bootpipe_plugin`, defined with BP_PLUGIN_DEFINE so its header is always
 * right. The engine checks magic, ABI version and size before it reads
 * anything else, then copies the descriptor (gated by `size`) and never
 * reads the plugin's copy again.
 *
 * ABI rules: the header (magic, abi_major, abi_minor, size) is frozen for
 * ever; fields are only ever appended, each append bumps BP_ABI_MINOR; the
 * engine loads plugins of its own major and of any minor up to its own.
 * Host functions carry the symbol version of the minor that added them
 * (BOOTPIPE_1.0, ...), so a plugin names what it needs; the ABI
 * changelog is in docs/HACKING.md.
 *
 * NULL: a NULL stage handle is accepted everywhere (getters return false,
 * "" or NULL, bp_fail just returns its status); other pointers must not be
 * NULL unless said. Threads: the engine calls init, run and cleanup on its
 * own thread, one stage at a time; a stage that starts threads must join
 * them before returning and must not call bp_* functions from them except
 * bp_stage_cancelled and bp_stage_cancel_fd, which are safe anywhere.
 */
#ifndef BOOTPIPE_PLUGIN_H
#define BOOTPIPE_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bootpipe/context.h>
#include <bootpipe/error.h>
#include <bootpipe/log.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BP_PLUGIN_MAGIC 0x47504225u /* "%BPG" little-endian */
#define BP_ABI_MAJOR 1
#define BP_ABI_MINOR 0
#define BP_PLUGIN_SYMBOL "bootpipe_plugin"

/* A running stage instance: the handle a plugin logs, fails and reads its
 * options through. Owned by the engine. */
struct bp_stage;

enum bp_opt_type {
	BP_OPT_STR = 1,
	BP_OPT_INT,  /* int64, decimal or 0x hex */
	BP_OPT_BOOL, /* true/false, yes/no, on/off, 1/0 */
	BP_OPT_LIST, /* one value per line or repeated keys */
	BP_OPT_ENUM, /* one of `choices`, "a|b|c" */
};

enum bp_opt_flags {
	BP_OPT_REQUIRED = 1u << 0,
};

/*
 * One declared option. Tables end with an entry whose key is NULL. The
 * descriptor's option_size says how big each entry is, so fields can be
 * appended here: the engine reads each entry with the plugin's stride and
 * zeroes the fields the plugin did not know.
 */
struct bp_option {
	const char *key;
	enum bp_opt_type type;
	const char *default_value; /* NULL: no default; lists: one per line */
	const char *help;	   /* one line */
	unsigned flags;		   /* enum bp_opt_flags */
	const char *choices;	   /* BP_OPT_ENUM only */
};

/*
 * init runs once per stage instance at load time, after the options are
 * validated; it may store a state pointer in *state. run runs once per
 * execution. cleanup runs in reverse order, only when init succeeded (or
 * there is no init). All return 0 or a negative bp_status set with bp_fail.
 */
typedef int (*bp_init_fn)(struct bp_stage *self, void **state);
typedef int (*bp_run_fn)(struct bp_stage *self, void *state,
			 struct bp_ctx *ctx);
typedef void (*bp_cleanup_fn)(struct bp_stage *self, void *state);

struct bp_plugin {
	/* header, frozen */
	uint32_t magic;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t size; /* sizeof(struct bp_plugin) the plugin was built with */

	/* ABI 1.0 */
	const char *name;    /* [a-z0-9_-]+, required */
	const char *version; /* required */
	const char *summary;
	const struct bp_option *options;
	/* NULL-terminated context keys read (named `requires` before 1.0;
	 * renamed because `requires` is a C++20 keyword) */
	const char *const *needs;
	const char *const *provides; /* NULL-terminated context keys written */
	bp_init_fn init;
	bp_run_fn run; /* required */
	bp_cleanup_fn cleanup;
	/* sizeof(struct bp_option) the plugin was built with; 0 (older or
	 * hand-made descriptors) means the 1.0 layout. */
	uint32_t option_size;
};

#if defined(__GNUC__)
#define BP_EXPORT __attribute__((visibility("default")))
#else
#define BP_EXPORT
#endif

/*
 * Defines the exported descriptor with a correct header:
 *   BP_PLUGIN_DEFINE(.name = "hello", .version = "1.0", .run = hello_run);
 */
#define BP_PLUGIN_DEFINE(...)                                                  \
	BP_EXPORT extern const struct bp_plugin bootpipe_plugin;               \
	const struct bp_plugin bootpipe_plugin = {                             \
	    .magic = BP_PLUGIN_MAGIC,                                          \
	    .abi_major = BP_ABI_MAJOR,                                         \
	    .abi_minor = BP_ABI_MINOR,                                         \
	    .size = (uint32_t)sizeof(struct bp_plugin),                        \
	    .option_size = (uint32_t)sizeof(struct bp_option),                 \
	    __VA_ARGS__}

/*
 * Records an error message on @self and returns @status, so that an error
 * path is one line:
 *   return bp_fail(self, BP_EIO, "cannot open %s: %s", path, strerror(errno));
 */
int bp_fail(struct bp_stage *self, int status, const char *fmt, ...)
    BP_PRINTF(3, 4);

/* The stage's instance name (its section) and its plugin's name. */
const char *bp_stage_name(const struct bp_stage *self);
const char *bp_stage_plugin_name(const struct bp_stage *self);

/* True in plan mode (--dry-run, bootpipe plan): do nothing, say what would
 * be done. */
bool bp_stage_dry_run(const struct bp_stage *self);

/* True with --quiet: do not copy guest output to the terminal. */
bool bp_stage_quiet(const struct bp_stage *self);

/* True when the log sink is JSON lines (machine readers). */
bool bp_stage_log_json(const struct bp_stage *self);

/*
 * Options, already validated against the declared table and expanded.
 * Getters return the explicit value or the default; BP_ENOENT when neither
 * exists, BP_ETYPE when @key is declared with another type, BP_EINVAL when
 * it is not declared at all. Strings are borrowed from the stage.
 */
int bp_stage_opt_str(const struct bp_stage *self, const char *key,
		     const char **out);
int bp_stage_opt_int(const struct bp_stage *self, const char *key,
		     int64_t *out);
int bp_stage_opt_bool(const struct bp_stage *self, const char *key, bool *out);
/* @items is NULL-terminated as well as counted; an unset list is empty. */
int bp_stage_opt_list(const struct bp_stage *self, const char *key,
		      const char *const **items, size_t *count);

/* True when the pipeline or the command line set @key (not a default). */
bool bp_stage_opt_is_set(const struct bp_stage *self, const char *key);

/* Where @key was set, "file:line", "--set" or "default"; borrowed. Use it
 * in messages about bad values. */
const char *bp_stage_opt_origin(const struct bp_stage *self, const char *key);

/*
 * Joins @argv into one line that a POSIX shell reads back as the same
 * words (single quotes where needed). malloc'ed; NULL when out of memory.
 */
char *bp_shell_join(const char *const *argv, size_t count);

/*
 * Cancel: true once bp_engine_cancel was called on the stage's engine (a
 * stop signal does that). The file descriptor becomes readable at that
 * moment, so a stage that waits in poll() can add it and stop promptly; it
 * stays readable. Never -1 for a valid stage.
 */
bool bp_stage_cancelled(const struct bp_stage *self);
int bp_stage_cancel_fd(const struct bp_stage *self);

/*
 * The same without a stage handle: the engine running stages on the
 * calling thread, else whether a stop signal arrived (fd -1 when the
 * embedder installed no handlers; poll() ignores negative fds).
 */
bool bp_interrupted(void);
int bp_interrupt_fd(void);

#ifdef __cplusplus
}
#endif
#endif
