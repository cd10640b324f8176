/*
 * The guest's echo of a line bootpipe typed, found in console text however
 * the guest's line editing wrapped it. A terminal narrower than the typed
 * line gets it back in pieces: the editor inserts line breaks ("\r\n",
 * "\r\r\n") or, on a terminal that wraps by itself, a space that the next
 * character overwrites and a carriage return (" \r"). The echo is the typed
 * text with any of those between its characters; ANSI escapes are removed
 * by the caller.
 *
 * The text is fed a line at a time (with the '\n' that ends each line, as
 * a line break between the pieces may be); each line is numbered by the
 * caller. Memory and time per byte are linear in the typed text's length.
 */
#ifndef BOOTPIPE_LAUNCH_ECHO_MATCH_H
#define BOOTPIPE_LAUNCH_ECHO_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#define ECHO_MATCH_NONE ((size_t)-1)

struct echo_match;

/* A search for @text (copied; no '\r' or '\n' in it), or NULL when out of
 * memory or @text is empty. */
struct echo_match *echo_match_new(const char *text);
void echo_match_free(struct echo_match *e);

/* Forgets what was fed. */
void echo_match_restart(struct echo_match *e);

/* Feeds @len bytes of line @line (numbers do not decrease). True once the
 * whole echo has been read; echo_match_start() says on which line it
 * began. */
bool echo_match_feed(struct echo_match *e, const char *s, size_t len,
		     size_t line);

/* The line the echo found began on, ECHO_MATCH_NONE before it is found. */
size_t echo_match_start(const struct echo_match *e);

/* The earliest line on which an echo still in progress began (at least its
 * first character was read), ECHO_MATCH_NONE when none is. */
size_t echo_match_pending_from(const struct echo_match *e);

#endif
