/*
 * Commands of the bootpipe CLI that live in files of their own; main.c
 * parses the command line and dispatches to them.
 */
#ifndef BOOTPIPE_CLI_H
#define BOOTPIPE_CLI_H

#include <stdbool.h>

/*
 * `bootpipe matrix [--shard I/N] PIPELINE...`: prints a CI job matrix as
 * one line of JSON, {"include":[{"pipeline":...,"name":...,"arch":...}]}.
 * @shard is "I/N" (1-based) or NULL for all. Returns the exit code.
 */
int cli_matrix(char *const *pipelines, int count, const char *shard);

/*
 * `bootpipe test [SUITE_DIR] [OPTIONS]`: the AxVisor / ArceOS / StarryOS
 * CI suites under test-suit/. @argv[0] is "test". Returns the exit code.
 */
int cli_test(int argc, char **argv);

/* Whether a --report of @format can be written at @path, before anything
 * runs: 0, or 2 after a message on stderr that starts with @who. */
int cli_report_check(const char *who, const char *format, const char *path);

/* <dir of this executable>/../share/bootpipe, resolved when it exists
 * (malloc'ed; NULL when out of memory). */
char *cli_share_dir(void);

/*
 * When @pipeline (or a file it includes) names ${env:BOOTPIPE_DEMO_WORKSPACE}
 * and that variable is unset: makes the per-user demo workspace
 * ($XDG_CACHE_HOME/bootpipe/demo, linked to share/bootpipe/demo) and sets
 * the variable. 0, or -1 after a message on stderr.
 */
int cli_demo_prepare(const char *pipeline);

#include <stdbool.h>

struct bp_engine;

/* What `bootpipe image` takes from the command line; all may be NULL. */
struct cli_image_opts {
	const char *workspace; /* --workspace */
	const char *store;     /* --store */
	const char *pipeline;  /* --pipeline */
	/* used outside any workspace when nothing else names a store */
	const char *default_pipeline;
	/* readies a pipeline before it is loaded (the demo's workspace);
	 * 0 or -1 after a message */
	int (*prepare)(const char *pipeline);
	bool dry_run;
	bool remote; /* ls --remote */
};

/*
 * `bootpipe image ls|pull NAME|rm NAME|verify [NAME]` on @engine (already
 * configured from the command line; loaded only when a pipeline is
 * given). @args starts with the verb. Returns the exit code.
 */
int cli_image(struct bp_engine *engine, char *const *args, int count,
	      const struct cli_image_opts *o);

/*
 * The pipeline file @arg names: a path (it has a '/' or exists), else
 * NAME or NAME.ini in ./pipelines, <workspace>/pipelines (@workspace or
 * discovery), $XDG_CONFIG_HOME/bootpipe/pipelines, the shipped ones.
 * 0 with *out malloc'ed, or an exit code after a message on stderr;
 * *why (when not NULL) gets that message, malloc'ed, or NULL.
 */
int cli_pipeline_resolve(const char *arg, const char *workspace, char **out,
			 char **why);

/* Whether the file itself says [pipeline] include_only = true. */
bool cli_pipeline_include_only(const char *path);

/* `bootpipe pipelines [DIR]`: DIR, else every directory of the search
 * path in order. Returns the exit code. */
int cli_pipelines_list(char *const *args, int count, const char *workspace);

/*
 * --log-format json (core/cli_jsonlog.c): start makes stderr a pipe whose
 * lines a thread writes out as JSON objects (passing JSON through); end
 * drains it and writes the end line (outcome, exit_code, reason; @reason
 * NULL or "": the last error line seen); stop only drains (atexit).
 */
int cli_jsonlog_start(void);
void cli_jsonlog_end(int exit_code, const char *outcome, const char *message,
		     const char *reason);
void cli_jsonlog_stop(void);

#endif
