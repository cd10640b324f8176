/*
 * Console matchers: success and fail patterns (PCRE2, JIT) run over a raw
 * byte stream, line by line and on the current unterminated line, in
 * bounded memory. Shared by the launch stage, `bootpipe replay`, the
 * matcher bench and the fuzz target; it depends on nothing but PCRE2,
 * through plugins/common/pattern.c.
 *
 * Semantics a user can rely on:
 * - a line is the bytes between two '\n' (a '\r' stays part of the line, so
 *   `\s*$` eats it); the final unterminated line is matched too (prompts
 *   have no newline): on every feed while it is short, and when a long one
 *   has grown by half since its last match, so a line that arrives a byte
 *   at a time is not rescanned per byte; matcher_flush() matches the rest
 *   when the stream pauses;
 * - every pattern sees each line twice when the line holds ANSI escapes:
 *   raw, and with the escapes removed, so colouring does not break
 *   `^...$` patterns; nothing else is ever stripped;
 * - on one line fail patterns win over success patterns, and within a
 *   kind the first pattern listed wins; the first line with a match gives
 *   the verdict and later input is ignored;
 * - a line longer than MATCHER_LINE_CAP that arrives in pieces is matched
 *   on its last MATCHER_LINE_CAP / 2 bytes (with `^` not matching there);
 * - a verdict found on an unterminated line names the whole line: the
 *   feeds after it complete the excerpt up to the line's '\n';
 * - after matcher_expect_echo(TEXT) (bootpipe typed TEXT into the guest),
 *   the guest's echo of it is not matched: TEXT with ANSI escapes and the
 *   breaks of a line editor wrapping it at the terminal's width ("\r",
 *   "\n", an overwritten " \r") ignored, from the line it begins on to
 *   the end of the line it ends on (see echo_match.h). Until the echo has
 *   ended, unterminated lines are not matched, so a half-echoed command
 *   cannot give a verdict, and a complete line that may begin a wrapped
 *   echo is held until the next line (or the end of the stream) says
 *   whether it does: at most twice TEXT's length plus 1 KiB is held. A
 *   guest that has not echoed within MATCHER_ECHO_LINES lines is taken not
 *   to echo, and matched as usual.
 */
#ifndef BOOTPIPE_LAUNCH_MATCHER_H
#define BOOTPIPE_LAUNCH_MATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MATCHER_LINE_CAP (64u * 1024u)
#define MATCHER_EXCERPT_MAX 160
#define MATCHER_ECHO_LINES 4

enum matcher_kind {
	MATCHER_NONE = 0,
	MATCHER_FAIL,
	MATCHER_SUCCESS,
};

struct matcher_hit {
	enum matcher_kind kind;
	size_t index;	     /* position in its kind's list */
	const char *pattern; /* borrowed from the matcher */
	uint64_t line;	     /* 1-based line of the stream */
	bool stripped;	     /* matched once ANSI escapes were removed */
	bool partial;	     /* the line has not ended yet: excerpt may grow */
	/* the line, printable (escapes as \xHH), possibly cut */
	char excerpt[MATCHER_EXCERPT_MAX * 4 + 4];
};

struct matcher;

/* A matcher with no patterns, or NULL when out of memory. */
struct matcher *matcher_new(void);
void matcher_free(struct matcher *m);

/*
 * Compiles @pattern (copied) and appends it to @kind's list. On a bad
 * pattern returns a negative bp_status (BP_ECONFIG) and writes
 * `"PATTERN": REASON at offset N` into @err.
 */
int matcher_add(struct matcher *m, enum matcher_kind kind, const char *pattern,
		char *err, size_t errlen);

size_t matcher_count(const struct matcher *m, enum matcher_kind kind);

/* Forgets the stream (verdict, line count, carried line); keeps the
 * patterns. */
void matcher_reset(struct matcher *m);

/* Feeds the next bytes of the stream. True once a verdict is known. */
bool matcher_feed(struct matcher *m, const char *buf, size_t len);

/* Ends the stream. True once a verdict is known. */
bool matcher_finish(struct matcher *m);

/* True when the unterminated line has bytes not matched yet; a caller that
 * waits for more input calls matcher_flush() within a short while. */
bool matcher_pending(const struct matcher *m);

/* Matches the unterminated line now. True once a verdict is known. */
bool matcher_flush(struct matcher *m);

/* Skips the guest's echo of @text (copied), see above. Returns 0 or
 * BP_ENOMEM. */
int matcher_expect_echo(struct matcher *m, const char *text);

/* Echoes skipped since the reset (0 or 1), however many lines each. */
uint64_t matcher_echo_skipped(const struct matcher *m);

/* The verdict (borrowed), NULL while there is none. */
const struct matcher_hit *matcher_verdict(const struct matcher *m);

/* True once the verdict's line has ended (or the stream has), so its
 * excerpt is the whole line. */
bool matcher_verdict_complete(const struct matcher *m);

/* Complete lines seen so far. */
uint64_t matcher_lines(const struct matcher *m);

/* Matches that PCRE2 could not finish (match or JIT stack limits); such a
 * line counts as not matching. */
uint64_t matcher_errors(const struct matcher *m);

/* Bytes handed to PCRE2 since the reset (subject past the start offset,
 * summed over calls): the matcher's work, counted for tests. */
uint64_t matcher_scanned(const struct matcher *m);

/*
 * A literal watcher: reports the first appearance of a fixed string in a
 * stream, across chunk boundaries, in memory bounded by its length.
 */
struct literal_watch;

struct literal_watch *literal_watch_new(const char *literal);
void literal_watch_free(struct literal_watch *w);
void literal_watch_reset(struct literal_watch *w);
/* True when the literal has appeared (in this chunk or before). */
bool literal_watch_feed(struct literal_watch *w, const char *buf, size_t len);

#endif
