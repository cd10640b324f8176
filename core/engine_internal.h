/* The engine's private structures, shared by the core files that make up
 * loading (pipeline, options, loader), running (engine) and reporting. */
#ifndef BOOTPIPE_ENGINE_INTERNAL_H
#define BOOTPIPE_ENGINE_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bootpipe/engine.h>

#include "entry.h"
#include "err.h"
#include "expand.h"
#include "loader.h"
#include "options.h"
#include "strbuf.h"

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
	struct stage_options options;
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

	struct loader loader;
	struct entry_list overrides;
	char *workspace_override;
	char *stop_after;
	bool dry_run;
	bool quiet;
	bool log_json;
	bp_log_sink_fn sink;
	void *sink_user;
	enum bp_log_level log_level;

	struct pipeline_file file;
	char *name;
	char *description;
	struct bp_stage *stages;
	size_t stage_count;
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
