/*
 * Console matchers: success and fail patterns (PCRE2, JIT) run over a raw
 * byte stream, line by line and on the current unterminated line, in
 * bounded memory. Shared by the launch stage, `bootpipe replay`, the
 * matcher bench and the fuzz target; it depends on nothing but PCRE2.
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
 *   on its last MATCHER_LINE_CAP / 2 bytes (with `^` not matching there).
 */
#ifndef BOOTPIPE_LAUNCH_MATCHER_H
#define BOOTPIPE_LAUNCH_MATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MATCHER_LINE_CAP (64u * 1024u)
#define MATCHER_EXCERPT_MAX 160

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
	bool partial;	     /* matched on a line without its '\n' yet */
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

/* The verdict (borrowed), NULL while there is none. */
const struct matcher_hit *matcher_verdict(const struct matcher *m);

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
