/* Logging through the host: every line carries its source (a stage name or
 * "bootpipe") and goes to a sink the embedder can replace. */
#ifndef BOOTPIPE_LOG_H
#define BOOTPIPE_LOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bp_stage;

enum bp_log_level {
	BP_LOG_ERROR = 0,
	BP_LOG_WARN = 1,
	BP_LOG_INFO = 2,
	BP_LOG_DEBUG = 3,
};

/* "error", "warn", "info", "debug". */
const char *bp_log_level_name(enum bp_log_level level);

/*
 * A log sink receives finished lines (no trailing newline). @source and
 * @message are borrowed for the duration of the call.
 */
typedef void (*bp_log_sink_fn)(void *user, enum bp_log_level level,
			       const char *source, const char *message);

/* Which of the guest's streams console bytes came from. */
enum bp_console_stream {
	BP_CONSOLE_OUT = 1, /* the guest console (QEMU's stdout) */
	BP_CONSOLE_ERR = 2, /* QEMU's own messages (its stderr) */
};

/*
 * A console sink receives the guest's output as it arrives: raw bytes, not
 * lines, not NUL-terminated, borrowed for the call. @source is the stage.
 * Returns how many of the @len bytes it took; the rest are dropped (and
 * counted by the host) so a slow reader never stalls a run.
 */
typedef size_t (*bp_console_sink_fn)(void *user, enum bp_console_stream stream,
				     const char *source, const char *data,
				     size_t len);

#if defined(__GNUC__)
#define BP_PRINTF(fmt_index, first_arg)                                        \
	__attribute__((format(printf, fmt_index, first_arg)))
#else
#define BP_PRINTF(fmt_index, first_arg)
#endif

/* Logs one line from @self, prefixed with the stage name. */
void bp_log(struct bp_stage *self, enum bp_log_level level, const char *fmt,
	    ...) BP_PRINTF(3, 4);

/*
 * Reports progress of a long transfer or job. The host draws a bar on a
 * terminal, and otherwise writes a line (JSON with --log-format json) every
 * few seconds. @total is 0 when unknown. Call with done
 * == total (or bp_progress_end) to finish the bar.
 */
void bp_progress(struct bp_stage *self, const char *what, uint64_t done,
		 uint64_t total);
void bp_progress_end(struct bp_stage *self);

/*
 * Copies guest output to the embedder's console sink (default: the
 * process's stdout and stderr), beside the log sink. Nothing is written
 * with --quiet. Stages call this instead of writing fd 1 themselves; the
 * console log file and pattern matching are the stage's business. Returns
 * the bytes the sink took (@len when quiet).
 */
size_t bp_console_write(struct bp_stage *self, enum bp_console_stream stream,
			const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
