/*
 * The echo of a typed line, wrapped or not: a two-mode NFA over the typed
 * text. A state is a position in the text (its characters read so far)
 * and a mode: plain, or after a space that may be one the line editor
 * inserted (it must be followed by '\r' to be one). Each state keeps the
 * line its match began on, the latest when several meet.
 */
#include "echo_match.h"

#include <stdlib.h>
#include <string.h>

struct echo_match {
	char *text;
	size_t len;
	size_t *cur, *next; /* 2 * (len + 1): plain, then after a space */
	size_t hi;	    /* highest live position */
	size_t found;	    /* start line of the whole echo, or NONE */
};

struct echo_match *echo_match_new(const char *text)
{
	struct echo_match *e = calloc(1, sizeof(*e));
	size_t n = strlen(text), o = 0;

	if (!e)
		return NULL;
	e->text = malloc(n + 1);
	if (e->text) {
		for (size_t i = 0; i < n; i++)
			if (text[i] != '\r' && text[i] != '\n')
				e->text[o++] = text[i];
		e->text[o] = '\0';
		e->len = o;
		e->cur = malloc(2 * (o + 1) * sizeof(size_t));
		e->next = malloc(2 * (o + 1) * sizeof(size_t));
	}
	if (!e->text || !e->len || !e->cur || !e->next) {
		echo_match_free(e);
		return NULL;
	}
	echo_match_restart(e);
	return e;
}

void echo_match_free(struct echo_match *e)
{
	if (!e)
		return;
	free(e->text);
	free(e->cur);
	free(e->next);
	free(e);
}

void echo_match_restart(struct echo_match *e)
{
	for (size_t i = 0; i < 2 * (e->len + 1); i++)
		e->cur[i] = ECHO_MATCH_NONE;
	e->hi = 0;
	e->found = ECHO_MATCH_NONE;
}

static void put(size_t *a, size_t k, size_t line, size_t *top)
{
	if (a[k] == ECHO_MATCH_NONE || line > a[k])
		a[k] = line;
	if (k > *top)
		*top = k;
}

static void step(struct echo_match *e, unsigned char c, size_t line)
{
	size_t n = e->len, *cur = e->cur, *nx = e->next, top = 0;
	size_t *cur_sp = cur + n + 1, *nx_sp = nx + n + 1;
	size_t clear = e->hi + 1 < n ? e->hi + 1 : n;

	/* positions past hi + 1 are never read before they are written */
	for (size_t i = 0; i <= clear; i++)
		nx[i] = nx_sp[i] = ECHO_MATCH_NONE;
	if ((unsigned char)e->text[0] == c)
		put(nx, 1, line, &top);
	for (size_t i = 1; i <= e->hi; i++) {
		size_t s = cur[i], t = cur_sp[i];

		if (s != ECHO_MATCH_NONE) {
			if (i < n && (unsigned char)e->text[i] == c)
				put(nx, i + 1, s, &top);
			/* a line break between two characters */
			if (c == '\r' || c == '\n')
				put(nx, i, s, &top);
			/* maybe the space a wrap inserts before its '\r' */
			else if (c == ' ')
				put(nx_sp, i, s, &top);
		}
		if (t != ECHO_MATCH_NONE && c == '\r')
			put(nx, i, t, &top);
	}
	e->cur = nx;
	e->next = cur;
	e->hi = top;
	if (top == n && nx[n] != ECHO_MATCH_NONE)
		e->found = nx[n];
}

bool echo_match_feed(struct echo_match *e, const char *s, size_t len,
		     size_t line)
{
	for (size_t i = 0; i < len && e->found == ECHO_MATCH_NONE; i++)
		step(e, (unsigned char)s[i], line);
	return e->found != ECHO_MATCH_NONE;
}

size_t echo_match_start(const struct echo_match *e)
{
	return e->found;
}

size_t echo_match_pending_from(const struct echo_match *e)
{
	const size_t *sp = e->cur + e->len + 1;
	size_t from = ECHO_MATCH_NONE;

	for (size_t i = 1; i <= e->hi && i < e->len; i++) {
		if (e->cur[i] < from)
			from = e->cur[i];
		if (sp[i] < from)
			from = sp[i];
	}
	return from;
}
