/* The engine's private structures, shared by the core files that make up
 * loading (pipeline, options, loader), running (engine) and reporting. */
#ifndef BOOTPIPE_ENGINE_INTERNAL_H
#define BOOTPIPE_ENGINE_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bootpipe/engine.h>

#include "err.h"
#include "strbuf.h"

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

/* Where each section header appeared, for messages about sections. */
struct section_mark {
	char *name;
	char *file;
	int line;
};

struct pipeline_file {
	char *path;		   /* as given */
	struct entry_list entries; /* merged, includes first */
	struct section_mark *sections;
	size_t section_count;
};

struct loaded_plugin {
	char *path;
	void *handle;
	struct bp_plugin desc; /* the engine's zeroed, size-gated copy */
	/* the option table copied entry by entry with the plugin's stride;
	 * desc.options points here */
	struct bp_option *options;
	struct loaded_plugin *next;
};

struct opt_value {
	const struct bp_option *decl;
	bool set;     /* by the pipeline or --set, not a default */
	char *origin; /* "file:line", "--set" or "default" */
	char *str;    /* BP_OPT_STR, BP_OPT_ENUM */
	int64_t i;
	bool b;
	char **items; /* BP_OPT_LIST, NULL-terminated */
	size_t count;
};

struct progress_state {
	double started;
	double last_draw;
	bool drawn;
};

struct bp_stage {
	struct bp_engine *engine;
	char *name;
	char *listed_at; /* "file:line" of its name in `stages` */
	struct loaded_plugin *plugin;
	struct opt_value *opts;
	size_t opt_count;
	void *state;
	bool inited;
	enum bp_stage_status status;
	double duration;
	struct bp_err err;
	struct progress_state progress;
};

struct bp_engine {
	struct bp_ctx *ctx;
	struct bp_err err;

	/* cancel.c: set by bp_engine_cancel, possibly from a signal handler */
	volatile sig_atomic_t cancelled;
	int cancel_fds[2]; /* self-pipe, readable once cancelled */
	bp_console_sink_fn console;
	void *console_user;
	uint64_t console_dropped;

	char **plugin_dirs;
	size_t plugin_dir_count;
	struct entry_list overrides;
	char *workspace_override;
	char *stop_after;
	bool dry_run;
	bool quiet;
	bool log_json;
	bool allow_unsafe_plugins;
	bp_log_sink_fn sink;
	void *sink_user;
	enum bp_log_level log_level;

	struct pipeline_file file;
	char *name;
	char *description;
	struct bp_stage *stages;
	size_t stage_count;
	struct loaded_plugin *plugins;
	bool loaded;
	enum bp_outcome outcome;
	double run_duration;
};

int engine_fail(struct bp_engine *engine, int status, const char *fmt, ...)
    BP_PRINTF(3, 4);

/* pipeline.c: reads @path and its includes into @file; --set entries in
 * @overrides win over the file. Errors go to @err. */
int pipeline_read(struct bp_err *err, const char *path,
		  const struct entry_list *overrides,
		  struct pipeline_file *file);
/* Calls @fn for every word of [pipeline] stages in order; *listed says
 * whether a `stages` key exists at all. */
int pipeline_foreach_stage(const struct pipeline_file *file,
			   int (*fn)(void *user, const char *name,
				     const struct pipeline_entry *where),
			   void *user, bool *listed);
/* The last entry of SECTION.KEY, or NULL. */
const struct pipeline_entry *pipeline_last(const struct pipeline_file *file,
					   const char *section,
					   const char *key);
/* The file name without directory and extension; malloc'ed. */
char *pipeline_default_name(const char *path);
void pipeline_file_release(struct pipeline_file *file);
int entry_list_add(struct entry_list *list, const char *section,
		   const char *key, const char *value, const char *file,
		   int line);
void entry_list_release(struct entry_list *list);
/* "file:line", or "--set" for a command-line override; malloc'ed. */
char *entry_origin(const struct pipeline_entry *e);

/* expand.c: placeholder expansion of pipeline values. */
struct expand_vars {
	const char *workspace;
	const char *package;
	const char *tmp_dir;
	const char *arch;
};
/* Expands ${...} in @in; unknown placeholders and unset ${env:X} are
 * errors described in @err. */
int expand_value(const char *in, const struct expand_vars *vars, char **out,
		 struct strbuf *err);

/* workspace.c */
char *workspace_discover(void);

/* loader.c */
int loader_find(struct bp_engine *engine, const char *name_or_path,
		struct loaded_plugin **out);
void loader_release_all(struct bp_engine *engine);
bool plugin_name_valid(const char *name);

/* plugin_header.c: the descriptor header read from a plugin file without
 * loading it (ELF64 of this machine's byte order only). 0 or -1. */
struct plugin_header {
	uint32_t magic;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t size;
};
int plugin_header_peek(const char *path, struct plugin_header *out);

/* options.c: fills stage->opts from the entries of its section. */
int options_bind(struct bp_engine *engine, struct bp_stage *stage,
		 const struct pipeline_file *file,
		 const struct expand_vars *vars);
void options_release(struct bp_stage *stage);
/* The declared option closest to @key, for "did you mean" hints. */
const char *options_closest(const struct bp_option *table, const char *key);

/* cancel.c: the cancel pipe and the signal handlers' list of engines. */
int cancel_init(struct bp_engine *engine);
void cancel_release(struct bp_engine *engine);
/* The engine whose stages run on this thread (bp_interrupted() reads it). */
void cancel_set_running(struct bp_engine *engine);
/* signals.c calls this for every live engine. */
void cancel_all_engines(void);
/* signals.c: a stop signal arrived; its self-pipe (-1 without handlers). */
bool signal_received(void);
int signal_fd(void);

/* log.c */
void engine_vlog(struct bp_engine *engine, enum bp_log_level level,
		 const char *source, const char *fmt, va_list ap);
double monotonic_seconds(void);

#endif
