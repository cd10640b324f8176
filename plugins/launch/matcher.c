/*
 * Console matchers over a byte stream (see matcher.h for the semantics).
 *
 * Speed: complete lines that arrive together are searched as one block
 * per pattern (a second compilation with PCRE2_MULTILINE, so `^`/`$`
 * still hold at line boundaries), which lets PCRE2's JIT skip ahead with
 * its first-character scans instead of paying a call per line. A block
 * hit is only a candidate: its line is then matched alone with the
 * line-mode code, which is the definition of a match. Patterns whose
 * meaning could differ when more text surrounds the line (lookarounds,
 * atomic groups, possessive quantifiers, \A \z \Z \G \K, verbs, option
 * resets) are never searched in blocks, only line by line.
 */
#include "matcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

#include "echo_match.h"
#include "pattern.h"

#define ESC 0x1b

/* An unterminated line up to this long is matched on every feed; a longer
 * one when the bytes since its last match make up half of it, so that a
 * line arriving a byte at a time costs O(n), not O(n^2). */
#define PART_EAGER 256u

struct pattern {
	char *text;
	enum matcher_kind kind;
	size_t index;
	pcre2_code *line_code;
	pcre2_code *block_code; /* NULL: searched line by line only */
	bool line_jit;
	bool block_jit;
};

struct matcher {
	struct pattern *pats;
	size_t npats;
	size_t cap;
	size_t count[3];

	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;

	/* the current unterminated line, bounded */
	char *part;
	size_t part_len;
	bool part_cut;	 /* lost its beginning: `^` must not match */
	size_t part_new; /* bytes appended since it was last matched */
	char *scratch;	 /* a line without its ANSI escapes */

	/* bootpipe's typed text whose echo is skipped, NULL: none (or found) */
	struct echo_match *echo;
	unsigned echo_lines; /* complete lines left to find the echo in */
	uint64_t echo_skipped;
	/* complete lines that may begin an echo the guest wrapped, not
	 * matched until the next line says whether they do */
	char *held;
	size_t held_len, held_max;
	struct held_line *held_lines;
	size_t nheld, held_lines_cap;

	uint64_t lines;
	uint64_t errors;
	uint64_t scanned;
	bool have_verdict;
	struct matcher_hit hit;
};

struct held_line {
	size_t off, len;
	bool notbol;
	uint64_t line;
};

struct matcher *matcher_new(void)
{
	struct matcher *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->part = malloc(MATCHER_LINE_CAP);
	m->scratch = malloc(MATCHER_LINE_CAP);
	m->md = pcre2_match_data_create(1, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	/* patterns in consoles are simple; 1 MiB is far more than enough and
	 * a pattern that needs more reports an error, not a crash */
	m->jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if (!m->part || !m->scratch || !m->md || !m->mctx || !m->jstack) {
		matcher_free(m);
		return NULL;
	}
	pcre2_jit_stack_assign(m->mctx, NULL, m->jstack);
	return m;
}

void matcher_free(struct matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->npats; i++) {
		free(m->pats[i].text);
		pcre2_code_free(m->pats[i].line_code);
		pcre2_code_free(m->pats[i].block_code);
	}
	free(m->pats);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	pcre2_jit_stack_free(m->jstack);
	free(m->part);
	free(m->scratch);
	echo_match_free(m->echo);
	free(m->held);
	free(m->held_lines);
	free(m);
}

/* Constructs whose result may change when text surrounds the line. The
 * test is textual and errs on the side of line-by-line matching. */
static bool block_safe(const char *p)
{
	static const char *const unsafe[] = {
	    "(?>", "(?=", "(?!", "(?<=", "(?<!", "(*", "(?(", "(?^", "\\A",
	    "\\z", "\\Z", "\\G", "\\K",	 "++",	 "*+", "?+",  "}+",  NULL,
	};

	for (size_t i = 0; unsafe[i]; i++)
		if (strstr(p, unsafe[i]))
			return false;
	/* an option group that unsets something, e.g. (?i-m) */
	for (const char *q = strstr(p, "(?"); q; q = strstr(q + 2, "(?")) {
		const char *r = q + 2;

		while ((*r >= 'a' && *r <= 'z') || (*r >= 'A' && *r <= 'Z'))
			r++;
		if (*r == '-')
			return false;
	}
	return true;
}

static pcre2_code *compile(const char *pattern, uint32_t options, bool *jit,
			   char *err, size_t errlen)
{
	pcre2_code *re = pattern_compile(pattern, options, err, errlen);

	if (!re)
		return NULL;
	/* without JIT (e.g. a W^X policy) the interpreter still works */
	/* Memcheck cannot follow JIT code and reports its reads as
	 * uninitialised; the interpreter matches the same. */
	*jit = !getenv("BOOTPIPE_NO_JIT") &&
	       pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
	return re;
}

int matcher_add(struct matcher *m, enum matcher_kind kind, const char *pattern,
		char *err, size_t errlen)
{
	struct pattern p = {.kind = kind};
	int status = BP_ENOMEM;

	if (kind != MATCHER_FAIL && kind != MATCHER_SUCCESS) {
		snprintf(err, errlen, "\"%s\": unknown pattern kind", pattern);
		return BP_EINVAL;
	}
	p.line_code = compile(pattern, 0, &p.line_jit, err, errlen);
	if (!p.line_code)
		return BP_ECONFIG;
	if (block_safe(pattern)) {
		p.block_code = compile(pattern, PCRE2_MULTILINE, &p.block_jit,
				       err, errlen);
		if (!p.block_code) {
			status = BP_ECONFIG;
			goto free_codes;
		}
	}
	p.text = strdup(pattern);
	if (!p.text)
		goto nomem;
	if (m->npats == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct pattern *n = realloc(m->pats, cap * sizeof(*n));

		if (!n)
			goto nomem;
		m->pats = n;
		m->cap = cap;
	}
	p.index = m->count[kind]++;
	m->pats[m->npats++] = p;
	return 0;

nomem:
	snprintf(err, errlen, "\"%s\": out of memory", pattern);
free_codes:
	free(p.text);
	pcre2_code_free(p.block_code);
	pcre2_code_free(p.line_code);
	return status;
}

size_t matcher_count(const struct matcher *m, enum matcher_kind kind)
{
	return kind == MATCHER_FAIL || kind == MATCHER_SUCCESS ? m->count[kind]
							       : 0;
}

void matcher_reset(struct matcher *m)
{
	m->part_len = 0;
	m->part_cut = false;
	m->part_new = 0;
	m->lines = 0;
	m->errors = 0;
	m->scanned = 0;
	m->have_verdict = false;
	memset(&m->hit, 0, sizeof(m->hit));
	echo_match_free(m->echo);
	m->echo = NULL;
	m->echo_skipped = 0;
	m->held_len = m->nheld = 0;
}

static void release_held(struct matcher *m, size_t n);

int matcher_expect_echo(struct matcher *m, const char *text)
{
	size_t n;

	/* lines held for an earlier echo are guest output now */
	release_held(m, m->nheld);
	echo_match_free(m->echo);
	m->echo = NULL;
	if (!text || !text[strspn(text, "\r\n")])
		return 0;
	m->echo = echo_match_new(text);
	if (!m->echo)
		return BP_ENOMEM;
	m->echo_lines = MATCHER_ECHO_LINES;
	/* room for the echo wrapped, with the prompt and line editing's
	 * escapes around it */
	n = strlen(text);
	n = n < MATCHER_LINE_CAP / 4 ? 2 * n + 1024 : MATCHER_LINE_CAP;
	/* nothing is held now; hold_line allocates the buffer at its new size
	 */
	if (n > m->held_max) {
		free(m->held);
		m->held = NULL;
	}
	m->held_max = n;
	return 0;
}

uint64_t matcher_echo_skipped(const struct matcher *m)
{
	return m->echo_skipped;
}

const struct matcher_hit *matcher_verdict(const struct matcher *m)
{
	return m->have_verdict ? &m->hit : NULL;
}

uint64_t matcher_lines(const struct matcher *m)
{
	return m->lines;
}

uint64_t matcher_errors(const struct matcher *m)
{
	return m->errors;
}

uint64_t matcher_scanned(const struct matcher *m)
{
	return m->scanned;
}

bool matcher_pending(const struct matcher *m)
{
	return !m->have_verdict && m->part_new;
}

static bool run_match(struct matcher *m, const pcre2_code *code, bool jit,
		      const char *s, size_t len, size_t start, uint32_t opts,
		      size_t *at)
{
	int rc;

	m->scanned += len - start;
	if (jit)
		rc = pcre2_jit_match(code, (PCRE2_SPTR)s, len, start, opts,
				     m->md, m->mctx);
	else
		rc = pcre2_match(code, (PCRE2_SPTR)s, len, start, opts, m->md,
				 m->mctx);
	if (rc >= 0) {
		if (at)
			*at = pcre2_get_ovector_pointer(m->md)[0];
		return true;
	}
	if (rc != PCRE2_ERROR_NOMATCH)
		m->errors++;
	return false;
}

static bool line_matches(struct matcher *m, const struct pattern *p,
			 const char *s, size_t len, bool notbol)
{
	return run_match(m, p->line_code, p->line_jit, s, len, 0,
			 notbol ? PCRE2_NOTBOL : 0, NULL);
}

/* Removes CSI, OSC/DCS/APC/PM strings and two- or three-byte escapes;
 * @out holds at least @n bytes. */
static size_t ansi_strip(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c != ESC) {
			out[o++] = (char)c;
			i++;
			continue;
		}
		if (++i >= n)
			break;
		c = (unsigned char)s[i++];
		if (c == '[') {
			while (i < n && s[i] >= 0x30 && s[i] <= 0x3f)
				i++;
			while (i < n && s[i] >= 0x20 && s[i] <= 0x2f)
				i++;
			if (i < n && s[i] >= 0x40 && s[i] <= 0x7e)
				i++;
		} else if (c == ']' || c == 'P' || c == '_' || c == '^') {
			while (i < n && s[i] != 0x07 &&
			       !(s[i] == ESC && i + 1 < n && s[i + 1] == '\\'))
				i++;
			if (i < n)
				i += s[i] == 0x07 ? 1 : 2;
		} else if (c >= 0x20 && c <= 0x2f && i < n) {
			i++; /* ESC ( B and friends */
		}
	}
	return o;
}

static void set_excerpt(struct matcher_hit *h, const char *s, size_t len)
{
	size_t o = 0, n = len;
	static const char hex[] = "0123456789abcdef";

	while (n && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == MATCHER_EXCERPT_MAX) {
			memcpy(h->excerpt + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			h->excerpt[o++] = '\\';
			h->excerpt[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			h->excerpt[o++] = (char)c;
		} else {
			h->excerpt[o++] = '\\';
			h->excerpt[o++] = 'x';
			h->excerpt[o++] = hex[c >> 4];
			h->excerpt[o++] = hex[c & 15];
		}
	}
	h->excerpt[o] = '\0';
}

static void record(struct matcher *m, const struct pattern *p, uint64_t line,
		   const char *s, size_t len, bool stripped, bool partial)
{
	m->have_verdict = true;
	m->hit.kind = p->kind;
	m->hit.index = p->index;
	m->hit.pattern = p->text;
	m->hit.line = line;
	m->hit.stripped = stripped;
	m->hit.partial = partial;
	set_excerpt(&m->hit, s, len);
}

/* The stripped copy of a line in m->scratch; a line longer than the
 * scratch is stripped on its first MATCHER_LINE_CAP bytes. */
static size_t strip_line(struct matcher *m, const char *s, size_t len)
{
	return ansi_strip(s, len < MATCHER_LINE_CAP ? len : MATCHER_LINE_CAP,
			  m->scratch);
}

/* The full check of one line (raw, then stripped when it has escapes),
 * fail patterns first. True when it gave the verdict. */
static bool check_line(struct matcher *m, const char *s, size_t len,
		       bool notbol, uint64_t line, bool partial)
{
	bool esc = memchr(s, ESC, len) != NULL;
	size_t slen = esc ? strip_line(m, s, len) : 0;

	for (int kind = MATCHER_FAIL; kind <= MATCHER_SUCCESS; kind++) {
		for (size_t i = 0; i < m->npats; i++) {
			const struct pattern *p = &m->pats[i];

			if (p->kind != (enum matcher_kind)kind)
				continue;
			if (line_matches(m, p, s, len, notbol)) {
				record(m, p, line, s, len, false, partial);
				return true;
			}
			if (esc &&
			    line_matches(m, p, m->scratch, slen, notbol)) {
				record(m, p, line, m->scratch, slen, true,
				       partial);
				return true;
			}
		}
	}
	return false;
}

static void stop_awaiting_echo(struct matcher *m)
{
	echo_match_free(m->echo);
	m->echo = NULL;
}

/* Matches the first @n held lines as the guest output they turned out to
 * be, each counting as a line the echo was not in; once too many went by,
 * the echo is no longer awaited and all are matched. */
static void release_held(struct matcher *m, size_t n)
{
	size_t i, keep_from;

	for (i = 0; i < m->nheld && (i < n || !m->echo); i++) {
		const struct held_line *h = &m->held_lines[i];

		if (!m->have_verdict)
			check_line(m, m->held + h->off, h->len, h->notbol,
				   h->line, false);
		if (m->echo && --m->echo_lines == 0)
			stop_awaiting_echo(m);
	}
	if (i == 0)
		return;
	keep_from = i < m->nheld ? m->held_lines[i].off : m->held_len;
	memmove(m->held, m->held + keep_from, m->held_len - keep_from);
	m->held_len -= keep_from;
	memmove(m->held_lines, m->held_lines + i,
		(m->nheld - i) * sizeof(*m->held_lines));
	m->nheld -= i;
	for (size_t k = 0; k < m->nheld; k++)
		m->held_lines[k].off -= keep_from;
}

/* Keeps a copy of the line; false when it does not fit the bound. */
static bool hold_line(struct matcher *m, const char *s, size_t len, bool notbol)
{
	struct held_line *h;

	if (m->held_len + len > m->held_max)
		return false;
	if (!m->held && !(m->held = malloc(m->held_max)))
		return false;
	if (m->nheld == m->held_lines_cap) {
		size_t cap = m->held_lines_cap ? 2 * m->held_lines_cap : 8;

		h = realloc(m->held_lines, cap * sizeof(*h));
		if (!h)
			return false;
		m->held_lines = h;
		m->held_lines_cap = cap;
	}
	h = &m->held_lines[m->nheld++];
	h->off = m->held_len;
	h->len = len;
	h->notbol = notbol;
	h->line = m->lines + 1;
	memcpy(m->held + m->held_len, s, len);
	m->held_len += len;
	return true;
}

/* The held lines and then @s through the echo search: where the echo
 * begins (a held line's index, m->nheld for @s) in *found, else where one
 * in progress begins in *from; ECHO_MATCH_NONE: nowhere. */
static void scan_echo(struct matcher *m, const char *s, size_t len,
		      size_t *found, size_t *from)
{
	echo_match_restart(m->echo);
	*found = *from = ECHO_MATCH_NONE;
	for (size_t i = 0; i <= m->nheld; i++) {
		size_t slen;

		if (i < m->nheld)
			slen = strip_line(m, m->held + m->held_lines[i].off,
					  m->held_lines[i].len);
		else
			slen = strip_line(m, s, len);
		if (echo_match_feed(m->echo, m->scratch, slen, i) ||
		    echo_match_feed(m->echo, "\n", 1, i)) {
			*found = echo_match_start(m->echo);
			return;
		}
	}
	*from = echo_match_pending_from(m->echo);
}

/* A complete line while the echo is awaited. The echo, which may span
 * several lines when the guest wrapped it, is skipped; lines that may
 * begin it are held; other lines are matched as usual. True when a line
 * gave the verdict. */
static bool echo_line(struct matcher *m, const char *s, size_t len, bool notbol)
{
	size_t found, from;

	scan_echo(m, s, len, &found, &from);
	if (found != ECHO_MATCH_NONE) {
		release_held(m, found);
		if (!m->echo || m->have_verdict)
			return m->have_verdict ||
			       check_line(m, s, len, notbol, m->lines + 1,
					  false);
		m->echo_skipped++;
		m->held_len = m->nheld = 0;
		stop_awaiting_echo(m);
		return false;
	}
	release_held(m, from < m->nheld ? from : m->nheld);
	if (m->have_verdict)
		return true;
	if (m->echo && from != ECHO_MATCH_NONE && hold_line(m, s, len, notbol))
		return false;
	release_held(m, m->nheld);
	if (m->echo && --m->echo_lines == 0)
		stop_awaiting_echo(m);
	return m->have_verdict ||
	       check_line(m, s, len, notbol, m->lines + 1, false);
}

/* Complete lines r[0, n) one by one while the echo is awaited; returns the
 * bytes consumed (all, or up to where the echo stopped being awaited or a
 * verdict was found). */
static size_t echo_block(struct matcher *m, const char *r, size_t n)
{
	size_t off = 0;

	while (m->echo && off < n && !m->have_verdict) {
		const char *nl = memchr(r + off, '\n', n - off);
		size_t le = nl ? (size_t)(nl - r) : n;

		echo_line(m, r + off, le - off, false);
		m->lines++;
		off = le + 1;
	}
	return off;
}

static uint64_t count_newlines(const char *s, size_t n)
{
	uint64_t c = 0;

	/* a plain loop the compiler vectorises */
	for (size_t i = 0; i < n; i++)
		c += s[i] == '\n';
	return c;
}

static size_t line_start(const char *r, size_t from, size_t at)
{
	/* a plain loop: only candidate matches get here */
	while (at > from && r[at - 1] != '\n')
		at--;
	return at;
}

static size_t line_end(const char *r, size_t at, size_t limit)
{
	const char *nl = at < limit ? memchr(r + at, '\n', limit - at) : NULL;

	return nl ? (size_t)(nl - r) : limit;
}

/* Offset of the first line in r[0, limit) (raw) that @p matches. */
static bool first_line(struct matcher *m, const struct pattern *p,
		       const char *r, size_t limit, size_t *out)
{
	size_t off = 0, at;

	while (off < limit) {
		size_t ls, le;

		if (p->block_code) {
			if (!run_match(m, p->block_code, p->block_jit, r, limit,
				       off, 0, &at) ||
			    at >= limit)
				return false;
			ls = line_start(r, off, at);
		} else {
			ls = off;
			at = off;
		}
		le = line_end(r, at, limit);
		if (line_matches(m, p, r + ls, le - ls, false)) {
			*out = ls;
			return true;
		}
		off = le + 1;
	}
	return false;
}

/* Complete lines r[0, n), each ending in '\n', the first being line
 * m->lines + 1. */
static void check_block(struct matcher *m, const char *r, size_t n)
{
	const struct pattern *best = NULL;
	size_t best_ls = n, limit = n, ls, scan_end, p;
	bool stripped = false;
	const char *e;

	for (int kind = MATCHER_FAIL; kind <= MATCHER_SUCCESS; kind++) {
		for (size_t i = 0; i < m->npats; i++) {
			const struct pattern *pat = &m->pats[i];

			if (pat->kind != (enum matcher_kind)kind)
				continue;
			/* only a strictly earlier line can beat the best */
			if (first_line(m, pat, r, limit, &ls) && ls < best_ls) {
				best = pat;
				best_ls = ls;
				limit = ls;
			}
		}
	}

	/* lines with escapes, up to and including the best line, stripped */
	scan_end = best ? line_end(r, best_ls, n) : n;
	p = 0;
	while (p < scan_end && (e = memchr(r + p, ESC, scan_end - p))) {
		size_t at = (size_t)(e - r), le, slen;
		const struct pattern *hit = NULL;

		ls = line_start(r, p, at);
		le = line_end(r, at, n);
		slen = strip_line(m, r + ls, le - ls);
		for (int kind = MATCHER_FAIL; kind <= MATCHER_SUCCESS && !hit;
		     kind++) {
			for (size_t i = 0; i < m->npats && !hit; i++) {
				const struct pattern *pat = &m->pats[i];

				if (pat->kind != (enum matcher_kind)kind)
					continue;
				if (line_matches(m, pat, m->scratch, slen,
						 false))
					hit = pat;
			}
		}
		if (hit && (ls < best_ls || (hit->kind == MATCHER_FAIL &&
					     best->kind == MATCHER_SUCCESS))) {
			best = hit;
			best_ls = ls;
			stripped = true;
			break;
		}
		p = le + 1;
	}

	if (!best) {
		m->lines += count_newlines(r, n);
		return;
	}
	ls = best_ls;
	if (stripped) {
		size_t slen = strip_line(m, r + ls, line_end(r, ls, n) - ls);

		record(m, best, m->lines + 1 + count_newlines(r, ls),
		       m->scratch, slen, true, false);
	} else {
		record(m, best, m->lines + 1 + count_newlines(r, ls), r + ls,
		       line_end(r, ls, n) - ls, false, false);
	}
	m->lines += count_newlines(r, n);
}

/* Appends to the carried line, keeping its last half-cap bytes when it
 * would outgrow the cap. */
static void part_append(struct matcher *m, const char *s, size_t n)
{
	const size_t keep = MATCHER_LINE_CAP / 2;

	m->part_new += n;
	if (m->part_len + n <= MATCHER_LINE_CAP) {
		memcpy(m->part + m->part_len, s, n);
		m->part_len += n;
		return;
	}
	m->part_cut = true;
	if (n >= keep) {
		memcpy(m->part, s + n - keep, keep);
	} else {
		size_t old = keep - n;

		memmove(m->part, m->part + m->part_len - old, old);
		memcpy(m->part + old, s, n);
	}
	m->part_len = keep;
}

/* Matches the carried unterminated line, now when @force or when it is
 * short or mostly new (see PART_EAGER), otherwise later. */
static void check_part(struct matcher *m, bool force)
{
	/* while the echo is awaited, a line may be a half-echoed command */
	if (!m->part_new || m->have_verdict || m->echo)
		return;
	if (!force && m->part_len > PART_EAGER && m->part_new < m->part_len / 2)
		return;
	check_line(m, m->part, m->part_len, m->part_cut, m->lines + 1, true);
	m->part_new = 0;
}

/* Ends the carried line with its '\n': matched whole, once more. */
static void end_part(struct matcher *m)
{
	if (m->echo)
		echo_line(m, m->part, m->part_len, m->part_cut);
	else
		check_line(m, m->part, m->part_len, m->part_cut, m->lines + 1,
			   false);
	m->lines++;
	m->part_len = 0;
	m->part_cut = false;
	m->part_new = 0;
}

/* The excerpt of a verdict found on an unterminated line, from the line
 * as far as it has arrived. */
static void hit_excerpt(struct matcher *m)
{
	if (m->hit.stripped)
		set_excerpt(&m->hit, m->scratch,
			    strip_line(m, m->part, m->part_len));
	else
		set_excerpt(&m->hit, m->part, m->part_len);
}

/* After a verdict on an unterminated line: its rest, up to the '\n'. */
static void complete_hit(struct matcher *m, const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);

	if (!m->hit.partial)
		return;
	part_append(m, buf, nl ? (size_t)(nl - buf) : len);
	if (!nl)
		return;
	hit_excerpt(m);
	m->hit.partial = false;
}

bool matcher_verdict_complete(const struct matcher *m)
{
	return m->have_verdict && !m->hit.partial;
}

bool matcher_flush(struct matcher *m)
{
	check_part(m, true);
	return m->have_verdict;
}

bool matcher_feed(struct matcher *m, const char *buf, size_t len)
{
	const char *nl, *last;
	size_t start = 0, end;

	if (!buf || len == 0)
		return m->have_verdict;
	if (m->have_verdict) {
		complete_hit(m, buf, len);
		return true;
	}
	nl = memchr(buf, '\n', len);
	if (!nl) {
		part_append(m, buf, len);
		check_part(m, false);
		return m->have_verdict;
	}
	if (m->part_len || m->part_cut) {
		part_append(m, buf, (size_t)(nl - buf));
		end_part(m);
		if (m->have_verdict)
			return true;
		start = (size_t)(nl - buf) + 1;
	}
	last = memrchr(buf + start, '\n', len - start);
	end = last ? (size_t)(last - buf) + 1 : start;
	if (m->echo && end > start)
		start += echo_block(m, buf + start, end - start);
	if (m->have_verdict)
		return true;
	if (end > start)
		check_block(m, buf + start, end - start);
	if (m->have_verdict || end == len)
		return m->have_verdict;
	part_append(m, buf + end, len - end);
	check_part(m, false);
	return m->have_verdict;
}

bool matcher_finish(struct matcher *m)
{
	/* lines held as a possible echo are guest output after all */
	release_held(m, m->nheld);
	/* the stream ended, and with it the line a verdict is on */
	if (m->have_verdict && m->hit.partial) {
		hit_excerpt(m);
		m->hit.partial = false;
	}
	/* the unterminated last line: its bytes not matched yet, if any */
	check_part(m, true);
	if (m->part_len || m->part_cut)
		m->lines++;
	m->part_len = 0;
	m->part_cut = false;
	m->part_new = 0;
	return m->have_verdict;
}

struct literal_watch {
	char *lit;
	size_t len;
	char *tail; /* the last len - 1 bytes seen */
	size_t tail_len;
	char *tmp;
	bool seen;
};

struct literal_watch *literal_watch_new(const char *literal)
{
	struct literal_watch *w = calloc(1, sizeof(*w));
	size_t len = strlen(literal);

	if (!w)
		return NULL;
	w->len = len;
	w->lit = strdup(literal);
	w->tail = malloc(len + 1);
	w->tmp = malloc(2 * len + 1);
	if (!w->lit || !w->tail || !w->tmp) {
		literal_watch_free(w);
		return NULL;
	}
	return w;
}

void literal_watch_free(struct literal_watch *w)
{
	if (!w)
		return;
	free(w->lit);
	free(w->tail);
	free(w->tmp);
	free(w);
}

void literal_watch_reset(struct literal_watch *w)
{
	w->tail_len = 0;
	w->seen = false;
}

bool literal_watch_feed(struct literal_watch *w, const char *buf, size_t n)
{
	size_t keep = w->len ? w->len - 1 : 0;

	if (w->seen || w->len == 0 || n == 0)
		return w->seen;
	if (w->tail_len) {
		size_t k = n < keep ? n : keep;

		memcpy(w->tmp, w->tail, w->tail_len);
		memcpy(w->tmp + w->tail_len, buf, k);
		if (memmem(w->tmp, w->tail_len + k, w->lit, w->len))
			return w->seen = true;
	}
	if (memmem(buf, n, w->lit, w->len))
		return w->seen = true;
	if (n >= keep) {
		memcpy(w->tail, buf + n - keep, keep);
		w->tail_len = keep;
	} else {
		size_t old = w->tail_len + n > keep ? keep - n : w->tail_len;

		memmove(w->tail, w->tail + w->tail_len - old, old);
		memcpy(w->tail + old, buf, n);
		w->tail_len = old + n;
	}
	return false;
}
