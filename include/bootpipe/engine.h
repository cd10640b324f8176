/*
 * The engine: loads a pipeline file, its stage plugins and their options,
 * then runs the stages in order over one shared context.
 *
 *   struct bp_engine *e = bp_engine_new();
 *   bp_engine_set_option(e, "launch", "timeout", "60");
 *   if (bp_engine_load(e, "pipelines/demo-aarch64.ini") == 0)
 *           bp_engine_run(e);  (0 or the failing stage's status)
 *   printf("%s\n", bp_outcome_name(bp_engine_outcome(e)));
 *   bp_engine_free(e);
 *
 * NULL: an engine argument may be NULL in every call; actions then return
 * BP_EINVAL, getters 0, "" or NULL, setters do nothing. Other pointer
 * arguments must not be NULL unless a comment says so.
 *
 * Threads: one engine is used by one thread at a time (the embedder's);
 * stages run on that thread. Different engines are independent and may
 * run on different threads at once. bp_engine_cancel is the exception: any
 * thread or a signal handler may call it at any time. The log and console
 * sinks are called on the engine's thread.
 */
#ifndef BOOTPIPE_ENGINE_H
#define BOOTPIPE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bootpipe/context.h>
#include <bootpipe/error.h>
#include <bootpipe/log.h>
#include <bootpipe/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bp_engine;

/* A new engine, or NULL when out of memory. */
struct bp_engine *bp_engine_new(void);

/* Runs cleanup of every initialised stage (reverse order), unloads the
 * plugins and frees everything. NULL is a no-op. */
void bp_engine_free(struct bp_engine *engine);

/* Message of the last failure (borrowed, "" when none), already in the
 * form "stage NAME (PLUGIN VERSION): message" for stage failures. */
const char *bp_engine_error(const struct bp_engine *engine);

/* --- configuration, before bp_engine_load ----------------------------- */

/* Adds a plugin directory, searched before BOOTPIPE_PLUGIN_PATH. Copies. */
int bp_engine_add_plugin_dir(struct bp_engine *engine, const char *dir);

/* Overrides STAGE.KEY with VALUE (copied), as `--set` does. For a list
 * option, each call adds one item; the first replaces the file's value. */
int bp_engine_set_option(struct bp_engine *engine, const char *stage,
			 const char *key, const char *value);

/* Parses "stage.key=value" and calls bp_engine_set_option; BP_ECONFIG
 * with a message for a malformed assignment. */
int bp_engine_set_assignment(struct bp_engine *engine, const char *assignment);

/*
 * The workspace root (copied). Without it the engine uses `[pipeline]
 * workspace`, else the nearest parent of the current directory holding a
 * Cargo.toml with a [workspace] table, else the current directory.
 */
int bp_engine_set_workspace(struct bp_engine *engine, const char *path);

/* Plan mode: stages say what they would do and do nothing. */
void bp_engine_set_dry_run(struct bp_engine *engine, bool dry_run);

/* Runs the stages up to and including @stage only (copied); NULL runs
 * all. Later stages are still loaded and checked. */
int bp_engine_set_stop_after(struct bp_engine *engine, const char *stage);

/* Quiet: stages do not copy guest output to the terminal. */
void bp_engine_set_quiet(struct bp_engine *engine, bool quiet);

/* Replaces the log sink (default: stderr, text) and the level shown. */
void bp_engine_set_log_sink(struct bp_engine *engine, bp_log_sink_fn sink,
			    void *user);
void bp_engine_set_log_level(struct bp_engine *engine, enum bp_log_level level);

/* Replaces the console sink that receives guest output (default:
 * bp_console_sink_stdio). */
void bp_engine_set_console_sink(struct bp_engine *engine,
				bp_console_sink_fn sink, void *user);

/* The built-in console sink: BP_CONSOLE_OUT to fd 1, BP_CONSOLE_ERR to
 * fd 2, whole. @user is ignored. */
size_t bp_console_sink_stdio(void *user, enum bp_console_stream stream,
			     const char *source, const char *data, size_t len);

/* Bytes the console sink did not take during the last run. */
uint64_t bp_engine_console_dropped(const struct bp_engine *engine);

/* Tells stages the sink speaks JSON lines (progress then goes as lines). */
void bp_engine_set_log_json(struct bp_engine *engine, bool json);

/* The built-in stderr sink: text (colour on a terminal unless NO_COLOR)
 * or JSON lines. @user is ignored. */
void bp_log_sink_text(void *user, enum bp_log_level level, const char *source,
		      const char *message);
void bp_log_sink_json(void *user, enum bp_log_level level, const char *source,
		      const char *message);

/* Logs a line with source "bootpipe" through the engine's sink. */
void bp_engine_log(struct bp_engine *engine, enum bp_log_level level,
		   const char *fmt, ...) BP_PRINTF(3, 4);

/*
 * Asks @engine to stop: the running stage sees bp_stage_cancelled() turn
 * true and bp_stage_cancel_fd() become readable, stops what it waits for
 * and cleans up; no later stage starts and the run ends "interrupted".
 * Async-signal-safe and callable from any thread (a watchdog, a signal
 * handler); repeated calls are harmless. It stays cancelled until freed.
 */
void bp_engine_cancel(struct bp_engine *engine);
bool bp_engine_cancelled(const struct bp_engine *engine);

/*
 * Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT that call
 * bp_engine_cancel on every live engine (the first 32 created), so a run
 * stops as cleanly on a closed terminal as on Ctrl-C. A second signal gets
 * the default action. Embedders that handle signals themselves skip this
 * and call bp_engine_cancel.
 */
int bp_install_signal_handlers(void);

/* --- load and run ------------------------------------------------------- */

/*
 * Reads the pipeline file (and its includes), loads every plugin, validates
 * and expands the options, checks the needs/provides data flow and runs
 * each stage's init in order. On failure nothing stays initialised and the
 * error names file:line where it applies. BP_ECONFIG, BP_EPLUGIN, or the
 * status an init returned.
 */
int bp_engine_load(struct bp_engine *engine, const char *pipeline_path);

/*
 * Runs every stage once, in order, stopping at the first failure. Returns
 * 0 when every stage ran and returned 0, else the failing stage's status
 * (BP_EINTR when cancelled, BP_EINVAL when nothing is loaded). What the
 * run means is bp_engine_outcome: it comes from the context key
 * run.outcome when a stage set it (a guest that failed its test is a
 * stage that succeeded), else from the failing stage's status, else pass.
 */
int bp_engine_run(struct bp_engine *engine);

/* The shared context (borrowed); valid until bp_engine_free. Embedders may
 * set values between load and run. */
struct bp_ctx *bp_engine_ctx(struct bp_engine *engine);

/* The outcome of the last run (BP_OUTCOME_CONFIG before any). */
enum bp_outcome bp_engine_outcome(const struct bp_engine *engine);

/* The pipeline's name and description (borrowed; "" before load). */
const char *bp_engine_pipeline_name(const struct bp_engine *engine);
const char *bp_engine_pipeline_description(const struct bp_engine *engine);
const char *bp_engine_pipeline_path(const struct bp_engine *engine);

/* --- what happened, for reports ----------------------------------------- */

/* Wall time of the last bp_engine_run in seconds (0 before any). */
double bp_engine_duration(const struct bp_engine *engine);

/* Whether the engine is in plan mode (bp_engine_set_dry_run). */
bool bp_engine_dry_run(const struct bp_engine *engine);

/* The overrides given with bp_engine_set_option / --set, in that order:
 * a report names them so a run with overrides is told apart. Index
 * @index fills the three strings (borrowed from the engine) and returns
 * 0, or BP_EINVAL past the end. */
size_t bp_engine_override_count(const struct bp_engine *engine);
int bp_engine_override_at(const struct bp_engine *engine, size_t index,
			  const char **stage, const char **key,
			  const char **value);

enum bp_stage_status {
	BP_STAGE_PENDING = 0, /* not run (an earlier stage failed) */
	BP_STAGE_OK,
	BP_STAGE_FAILED,
};

size_t bp_engine_stage_count(const struct bp_engine *engine);
/* Borrowed, valid until bp_engine_free; NULL out of range. */
struct bp_stage *bp_engine_stage_at(struct bp_engine *engine, size_t index);
enum bp_stage_status bp_stage_status(const struct bp_stage *stage);
/* Wall time of the last run, in seconds. */
double bp_stage_duration(const struct bp_stage *stage);
const char *bp_stage_plugin_version(const struct bp_stage *stage);
const char *bp_stage_plugin_summary(const struct bp_stage *stage);
/* The stage's error message, "" when none (borrowed). */
const char *bp_stage_error(const struct bp_stage *stage);

/*
 * Records a failure the caller found itself before any load (a pipeline
 * file that cannot be found, a bad command-line value): the outcome
 * becomes that of @status and bp_engine_error the message, so the reports
 * written next describe it. Returns @status.
 */
int bp_engine_fail(struct bp_engine *engine, int status, const char *fmt, ...)
    BP_PRINTF(3, 4);

/* Writes the run's summary; @format is "json" or "junit". */
int bp_engine_write_report(struct bp_engine *engine, const char *format,
			   const char *path);

/* --- plugins ------------------------------------------------------------- */

/*
 * Loads (once) and checks the plugin @name_or_path with the search path,
 * without configuring a stage; *out is the engine's copy of the
 * descriptor, borrowed until bp_engine_free. *path_out (may be NULL) gets
 * the file it came from (borrowed).
 */
int bp_engine_find_plugin(struct bp_engine *engine, const char *name_or_path,
			  const struct bp_plugin **out, const char **path_out);

/*
 * Calls @fn for every plugin file in the search path, first found wins per
 * name. @plugin is NULL and @error says why when a file was rejected.
 * Stops early when @fn returns non-zero.
 */
typedef int (*bp_plugin_visit_fn)(void *user, const char *path,
				  const struct bp_plugin *plugin,
				  const char *error);
int bp_engine_foreach_plugin(struct bp_engine *engine, bp_plugin_visit_fn fn,
			     void *user);

/* The version of the libbootpipe loaded, "MAJOR.MINOR.PATCH" (the headers'
 * is BP_VERSION_NUM in version.h). */
const char *bp_version(void);

/*
 * Plugin files or directories writable by other users, or owned by someone
 * other than root and the current user, are refused at load time (anyone
 * who can write them can run code as this process). @allow lifts that
 * check, for throwaway builds in shared places; off by default.
 */
void bp_engine_set_allow_unsafe_plugins(struct bp_engine *engine, bool allow);

#ifdef __cplusplus
}
#endif
#endif
