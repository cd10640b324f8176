/*
 * The TOML 1.0 reader: one pass over the buffer into an immutable tree
 * whose nodes, keys and strings all live in one chunked arena, so a
 * document is freed with a handful of free() calls.
 */
#include "bootpipe/toml.h"
#include "bootpipe/error.h"
#include "bootpipe/util.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Nesting of tables and arrays; keeps recursion and hostile input bounded. */
#define MAX_DEPTH 128
/* Longest number literal accepted, underscores included. */
#define MAX_NUMBER 256
/* Tables switch from a linear scan to a hash index above this size. */
#define INDEX_MIN 8

enum node_flags {
	T_IMPLICIT = 1, /* parent created by a [header], may be defined once */
	T_EXPLICIT = 2, /* defined by [header] or [[header]] */
	T_DOTTED = 4,	/* created by a dotted key */
	T_INLINE = 8,	/* inline table: closed once written */
	A_TABLES = 16,	/* array of tables, open to [[header]] */
};

struct entry {
	const char *key;
	uint32_t keylen;
	uint32_t hash;
	struct bp_toml_node *val;
};

struct table {
	struct entry *v;
	uint32_t *index; /* entry number + 1, 0 = empty */
	uint32_t len, cap, icap;
	uint32_t
	    seed; /* per document, so colliding keys cannot be precomputed */
};

struct bp_toml_node {
	unsigned char type;
	unsigned char flags;
	unsigned short depth;
	int line;
	int col;
	/* Kept to 32 bytes: documents hold millions of nodes. */
	union {
		struct table *tab;
		struct {
			struct bp_toml_node **v;
			uint32_t len, cap;
		} arr;
		struct {
			const char *s;
			size_t len;
		} str;
		int64_t i;
		double f;
		bool b;
	} u;
};

_Static_assert(sizeof(struct bp_toml_node) <= 32, "nodes must stay small");

struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

struct arena {
	struct block *head;
	size_t next_size;
};

struct bp_toml_doc {
	struct arena arena;
	struct bp_toml_node *root;
};

struct parser {
	const char *buf, *p, *end;
	const char *line_start;
	int line;
	const char *name;
	char *err;
	size_t errlen;
	struct arena *arena;
	struct bp_toml_node *root, *cur;
	char *scratch; /* decoded string or key being read */
	size_t slen, scap;
	char decimal_point;
	uint32_t seed;
};

/* ---- arena ---- */

static void *arena_alloc(struct arena *a, size_t n)
{
	struct block *b = a->head;
	size_t size;

	/* Nothing stored needs more than 8-byte alignment. */
	n = (n + 7) & ~(size_t)7;
	if (b && b->size - b->used >= n) {
		void *ptr = (char *)b->data + b->used;
		b->used += n;
		return ptr;
	}
	size = a->next_size;
	if (n > size / 4) {
		/* Big pieces get their own block so the current one stays. */
		b = malloc(sizeof(*b) + n);
		if (!b)
			return NULL;
		b->size = b->used = n;
		if (a->head) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = NULL;
			a->head = b;
		}
		return b->data;
	}
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->size = size;
	b->used = n;
	b->next = a->head;
	a->head = b;
	if (a->next_size < (1u << 20))
		a->next_size *= 2;
	return b->data;
}

static void arena_free(struct arena *a)
{
	struct block *b = a->head;

	while (b) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
}

/* ---- errors ---- */

static void position_of(const struct parser *ps, const char *at, int *line,
			int *col)
{
	const char *q, *ls = ps->buf;
	int l = 1;

	if (at >= ps->line_start && at <= ps->end) {
		*line = ps->line;
		*col = (int)(at - ps->line_start) + 1;
		return;
	}
	for (q = ps->buf; q < at && q < ps->end; q++) {
		if (*q == '\n') {
			l++;
			ls = q + 1;
		}
	}
	*line = l;
	*col = (int)(at - ls) + 1;
}

__attribute__((format(printf, 3, 4))) static int
fail_at(struct parser *ps, const char *at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int line, col;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	position_of(ps, at, &line, &col);
	if (ps->err && ps->errlen)
		snprintf(ps->err, ps->errlen, "%s:%d:%d: %s", ps->name, line,
			 col, msg);
	return BP_ECONFIG;
}

static int fail_nomem(struct parser *ps)
{
	if (ps->err && ps->errlen)
		snprintf(ps->err, ps->errlen, "%s: out of memory", ps->name);
	return BP_ENOMEM;
}

/* What was found at @at, for "expected X, found Y" messages. */
static const char *found(const struct parser *ps, const char *at, char *tmp,
			 size_t n)
{
	unsigned char c;

	if (at >= ps->end)
		return "end of file";
	c = (unsigned char)*at;
	if (c == '\n' || c == '\r')
		return "end of line";
	if (c > 0x20 && c < 0x7f)
		snprintf(tmp, n, "'%c'", c);
	else
		snprintf(tmp, n, "byte 0x%02x", c);
	return tmp;
}

/* A key or header as written, shortened and made printable for messages. */
static const char *quote_span(const char *s, const char *e, char *tmp, size_t n)
{
	size_t i = 0;

	for (; s < e && i + 4 < n; s++)
		tmp[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	if (s < e && i + 4 >= n) {
		tmp[i++] = '.';
		tmp[i++] = '.';
		tmp[i++] = '.';
	}
	tmp[i] = '\0';
	return tmp;
}

/* ---- nodes and tables ---- */

/* Turns @n into an empty table. */
static bool make_table(struct parser *ps, struct bp_toml_node *n)
{
	n->type = BP_TOML_TABLE;
	n->u.tab = arena_alloc(ps->arena, sizeof(*n->u.tab));
	if (!n->u.tab)
		return false;
	memset(n->u.tab, 0, sizeof(*n->u.tab));
	n->u.tab->seed = ps->seed;
	return true;
}

static struct bp_toml_node *node_new(struct parser *ps, int type,
				     const char *at)
{
	struct bp_toml_node *n = arena_alloc(ps->arena, sizeof(*n));

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->type = (unsigned char)type;
	n->line = ps->line;
	n->col = (int)(at - ps->line_start) + 1;
	if (type == BP_TOML_TABLE && !make_table(ps, n))
		return NULL;
	return n;
}

static uint32_t hash_key(uint32_t seed, const char *k, size_t n)
{
	uint32_t h = 2166136261u ^ seed;

	while (n--) {
		h ^= (unsigned char)*k++;
		h *= 16777619u;
	}
	return h;
}

static struct entry *table_find(const struct bp_toml_node *t, const char *k,
				size_t n, uint32_t h)
{
	const struct entry *v = t->u.tab->v;
	size_t i;

	if (t->u.tab->index) {
		size_t mask = t->u.tab->icap - 1;
		uint32_t slot;

		for (i = h & mask; (slot = t->u.tab->index[i]) != 0;
		     i = (i + 1) & mask) {
			const struct entry *e = &v[slot - 1];
			if (e->hash == h && e->keylen == n &&
			    memcmp(e->key, k, n) == 0)
				return (struct entry *)e;
		}
		return NULL;
	}
	for (i = 0; i < t->u.tab->len; i++)
		if (v[i].hash == h && v[i].keylen == n &&
		    memcmp(v[i].key, k, n) == 0)
			return (struct entry *)&v[i];
	return NULL;
}

static int table_reindex(struct parser *ps, struct bp_toml_node *t)
{
	size_t icap = 16, i;
	uint32_t *idx;

	while (icap < (size_t)t->u.tab->len * 4)
		icap *= 2;
	idx = arena_alloc(ps->arena, icap * sizeof(*idx));
	if (!idx)
		return fail_nomem(ps);
	memset(idx, 0, icap * sizeof(*idx));
	for (i = 0; i < t->u.tab->len; i++) {
		size_t s = t->u.tab->v[i].hash & (icap - 1);
		while (idx[s])
			s = (s + 1) & (icap - 1);
		idx[s] = (uint32_t)(i + 1);
	}
	t->u.tab->index = idx;
	t->u.tab->icap = (uint32_t)icap;
	return 0;
}

/* @key must already live in the arena. */
static int table_add(struct parser *ps, struct bp_toml_node *t, const char *key,
		     size_t n, uint32_t h, struct bp_toml_node *val)
{
	struct entry *e;

	if (t->u.tab->len == t->u.tab->cap) {
		size_t cap = t->u.tab->cap ? (size_t)t->u.tab->cap * 2 : 4;
		struct entry *v;

		if (cap >= UINT32_MAX / 2)
			return fail_at(ps, ps->p, "too many keys in a table");
		v = arena_alloc(ps->arena, cap * sizeof(*v));
		if (!v)
			return fail_nomem(ps);
		if (t->u.tab->len)
			memcpy(v, t->u.tab->v, t->u.tab->len * sizeof(*v));
		t->u.tab->v = v;
		t->u.tab->cap = (uint32_t)cap;
	}
	e = &t->u.tab->v[t->u.tab->len++];
	e->key = key;
	e->keylen = (uint32_t)n;
	e->hash = h;
	e->val = val;
	if (t->u.tab->len <= INDEX_MIN)
		return 0;
	if (!t->u.tab->index || (size_t)t->u.tab->len * 2 > t->u.tab->icap)
		return table_reindex(ps, t);
	{
		size_t mask = t->u.tab->icap - 1, s = h & mask;
		while (t->u.tab->index[s])
			s = (s + 1) & mask;
		t->u.tab->index[s] = (uint32_t)t->u.tab->len;
	}
	return 0;
}

static int array_add(struct parser *ps, struct bp_toml_node *a,
		     struct bp_toml_node *val)
{
	if (a->u.arr.len == a->u.arr.cap) {
		size_t cap = a->u.arr.cap ? (size_t)a->u.arr.cap * 2 : 4;
		struct bp_toml_node **v;

		if (cap >= UINT32_MAX / 2)
			return fail_at(ps, ps->p, "too many array elements");
		v = arena_alloc(ps->arena, cap * sizeof(*v));
		if (!v)
			return fail_nomem(ps);
		if (a->u.arr.len)
			memcpy(v, a->u.arr.v, a->u.arr.len * sizeof(*v));
		a->u.arr.v = v;
		a->u.arr.cap = (uint32_t)cap;
	}
	a->u.arr.v[a->u.arr.len++] = val;
	return 0;
}

static char *arena_strdup(struct parser *ps, const char *s, size_t n)
{
	char *d = arena_alloc(ps->arena, n + 1);

	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* ---- scratch buffer ---- */

static int scratch_reserve(struct parser *ps, size_t more)
{
	size_t need = ps->slen + more + 1, cap = ps->scap ? ps->scap : 256;
	char *s;

	if (need <= ps->scap)
		return 0;
	while (cap < need)
		cap *= 2;
	s = realloc(ps->scratch, cap);
	if (!s)
		return fail_nomem(ps);
	ps->scratch = s;
	ps->scap = cap;
	return 0;
}

static int scratch_put(struct parser *ps, const char *s, size_t n)
{
	int rc = scratch_reserve(ps, n);

	if (rc)
		return rc;
	memcpy(ps->scratch + ps->slen, s, n);
	ps->slen += n;
	return 0;
}

/* ---- lexing helpers ---- */

static inline void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

static inline bool at_char(const struct parser *ps, char c)
{
	return ps->p < ps->end && *ps->p == c;
}

static inline bool is_bare(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static inline bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Consumes LF or CRLF at ps->p. */
static int newline(struct parser *ps)
{
	if (*ps->p == '\r') {
		if (ps->p + 1 >= ps->end || ps->p[1] != '\n')
			return fail_at(ps, ps->p,
				       "carriage return not followed by a "
				       "line feed");
		ps->p++;
	}
	ps->p++;
	ps->line++;
	ps->line_start = ps->p;
	return 0;
}

/* Consumes '#' up to (not including) the line end. */
static int skip_comment(struct parser *ps)
{
	const char *p = ps->p + 1;

	for (; p < ps->end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c >= 0x20 && c != 0x7f)
			continue;
		if (c == '\t')
			continue;
		if (c == '\n' || (c == '\r' && p + 1 < ps->end && p[1] == '\n'))
			break;
		ps->p = p;
		return fail_at(ps, p, "control character U+%04X in comment", c);
	}
	ps->p = p;
	return 0;
}

/* Whitespace, comments and newlines between array elements. */
static int skip_ws_comments_nl(struct parser *ps)
{
	int rc;

	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end)
			return 0;
		if (*ps->p == '#') {
			rc = skip_comment(ps);
			if (rc)
				return rc;
		} else if (*ps->p == '\n' || *ps->p == '\r') {
			rc = newline(ps);
			if (rc)
				return rc;
		} else {
			return 0;
		}
	}
}

/* After a key/value pair or a header: optional comment, then the line end. */
static int end_of_line(struct parser *ps, const char *what)
{
	char tmp[16];

	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '#') {
		int rc = skip_comment(ps);
		if (rc)
			return rc;
	}
	if (ps->p >= ps->end)
		return 0;
	if (*ps->p == '\n' || *ps->p == '\r')
		return newline(ps);
	return fail_at(ps, ps->p, "expected end of line after %s, found %s",
		       what, found(ps, ps->p, tmp, sizeof(tmp)));
}

/* ---- UTF-8 ---- */

/* Returns the first byte that is not well-formed UTF-8, or NULL. */
static const char *utf8_invalid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	const unsigned char *e = s + len;

	while (s < e) {
		unsigned char c = *s;
		size_t n;
		unsigned char lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0; /* overlong */
			else if (c == 0xed)
				hi = 0x9f; /* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f; /* above U+10FFFF */
		} else {
			return (const char *)s;
		}
		if ((size_t)(e - s) <= n || s[1] < lo || s[1] > hi)
			return (const char *)s;
		for (size_t i = 2; i <= n; i++)
			if ((s[i] & 0xc0) != 0x80)
				return (const char *)s;
		s += n + 1;
	}
	return NULL;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* ---- strings ---- */

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ps->p is at the backslash. */
static int escape(struct parser *ps)
{
	const char *at = ps->p;
	char c, out[4];
	int digits = 0;
	uint32_t cp = 0;

	if (ps->p + 1 >= ps->end)
		return fail_at(ps, at,
			       "expected an escape character after "
			       "'\\'");
	c = ps->p[1];
	ps->p += 2;
	switch (c) {
	case 'b':
		return scratch_put(ps, "\b", 1);
	case 't':
		return scratch_put(ps, "\t", 1);
	case 'n':
		return scratch_put(ps, "\n", 1);
	case 'f':
		return scratch_put(ps, "\f", 1);
	case 'r':
		return scratch_put(ps, "\r", 1);
	case '"':
		return scratch_put(ps, "\"", 1);
	case '\\':
		return scratch_put(ps, "\\", 1);
	case 'u':
		digits = 4;
		break;
	case 'U':
		digits = 8;
		break;
	default:
		if ((unsigned char)c > 0x20 && (unsigned char)c < 0x7f)
			return fail_at(ps, at,
				       "invalid escape sequence '\\%c'; "
				       "expected one of \\b \\t \\n \\f "
				       "\\r \\\" \\\\ \\uXXXX \\UXXXXXXXX",
				       c);
		return fail_at(ps, at,
			       "invalid escape sequence; expected one "
			       "of \\b \\t \\n \\f \\r \\\" \\\\ "
			       "\\uXXXX \\UXXXXXXXX");
	}
	for (int i = 0; i < digits; i++) {
		int v = ps->p < ps->end ? hex_value(*ps->p) : -1;

		if (v < 0)
			return fail_at(ps, at,
				       "expected %d hex digits after '\\%c'",
				       digits, c);
		cp = cp << 4 | (uint32_t)v;
		ps->p++;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail_at(ps, at,
			       "escape '\\%c' is not a Unicode scalar value "
			       "(U+%04X)",
			       c, (unsigned)cp);
	return scratch_put(ps, out, utf8_encode(cp, out));
}

/* Bytes that need no special handling inside any string. */
static inline bool plain_string_byte(unsigned char c)
{
	return (c >= 0x20 && c != '"' && c != '\\' && c != '\'' && c != 0x7f) ||
	       c == '\t';
}

static int string_control(struct parser *ps)
{
	return fail_at(ps, ps->p, "control character U+%04X in string",
		       (unsigned char)*ps->p);
}

/* A single-line basic ("...") or literal ('...') string; ps->p at the quote.
 * The decoded bytes are left in the scratch buffer. */
static int string_single(struct parser *ps, char quote)
{
	const char *open = ps->p;
	int rc;

	ps->slen = 0;
	ps->p++;
	for (;;) {
		const char *run = ps->p;
		unsigned char c;

		while (ps->p < ps->end &&
		       plain_string_byte((unsigned char)*ps->p))
			ps->p++;
		if (ps->p > run) {
			rc = scratch_put(ps, run, (size_t)(ps->p - run));
			if (rc)
				return rc;
		}
		if (ps->p >= ps->end || *ps->p == '\n' || *ps->p == '\r')
			return fail_at(ps, ps->p,
				       "expected closing %c of the string "
				       "opened at column %d",
				       quote, (int)(open - ps->line_start) + 1);
		c = (unsigned char)*ps->p;
		if (c == (unsigned char)quote) {
			ps->p++;
			return scratch_reserve(ps, 0);
		}
		if (c == '\\' && quote == '"') {
			rc = escape(ps);
			if (rc)
				return rc;
			continue;
		}
		if (c == '\\' || c == '\'' || c == '"') {
			rc = scratch_put(ps, ps->p, 1);
			if (rc)
				return rc;
			ps->p++;
			continue;
		}
		return string_control(ps);
	}
}

/* Line-ending backslash: ps->p at '\\'. Returns 1 if it was one (and the
 * whitespace and newlines after it were consumed), 0 if it is an escape. */
static int line_continuation(struct parser *ps)
{
	const char *q = ps->p + 1;
	int rc;

	while (q < ps->end && (*q == ' ' || *q == '\t'))
		q++;
	if (q >= ps->end || (*q != '\n' && *q != '\r'))
		return 0;
	ps->p = q;
	for (;;) {
		skip_ws(ps);
		if (ps->p < ps->end && (*ps->p == '\n' || *ps->p == '\r')) {
			rc = newline(ps);
			if (rc)
				return rc;
			continue;
		}
		return 1;
	}
}

/* A multi-line string ("""...""" or '''...'''); ps->p at the first quote. */
static int string_multi(struct parser *ps, char quote)
{
	const char *open = ps->p;
	int open_line = ps->line, rc;

	ps->slen = 0;
	ps->p += 3;
	/* A newline right after the opening delimiter is trimmed. */
	if (ps->p < ps->end && (*ps->p == '\n' || *ps->p == '\r')) {
		rc = newline(ps);
		if (rc)
			return rc;
	}
	for (;;) {
		const char *run = ps->p;
		unsigned char c;

		while (ps->p < ps->end &&
		       plain_string_byte((unsigned char)*ps->p))
			ps->p++;
		if (ps->p > run) {
			rc = scratch_put(ps, run, (size_t)(ps->p - run));
			if (rc)
				return rc;
		}
		if (ps->p >= ps->end) {
			char tmp[32];
			int line, col;

			position_of(ps, open, &line, &col);
			snprintf(tmp, sizeof(tmp), "%d:%d", open_line, col);
			return fail_at(ps, ps->p,
				       "expected closing %c%c%c of the "
				       "multi-line string opened at %s",
				       quote, quote, quote, tmp);
		}
		c = (unsigned char)*ps->p;
		if (c == (unsigned char)quote) {
			size_t n = 0;

			while (ps->p + n < ps->end && ps->p[n] == quote)
				n++;
			if (n >= 3) {
				if (n > 5)
					return fail_at(
					    ps, ps->p + 5,
					    "too many quotes closing "
					    "a multi-line string");
				rc = scratch_put(ps, ps->p, n - 3);
				ps->p += n;
				return rc ? rc : scratch_reserve(ps, 0);
			}
			rc = scratch_put(ps, ps->p, n);
			if (rc)
				return rc;
			ps->p += n;
			continue;
		}
		if (c == '\\' && quote == '"') {
			rc = line_continuation(ps);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				rc = escape(ps);
				if (rc)
					return rc;
			}
			continue;
		}
		if (c == '\\' || c == '\'' || c == '"') {
			rc = scratch_put(ps, ps->p, 1);
			if (rc)
				return rc;
			ps->p++;
			continue;
		}
		if (c == '\n' || c == '\r') {
			const char *nl = ps->p;

			rc = newline(ps);
			if (rc)
				return rc;
			rc = scratch_put(ps, nl, (size_t)(ps->p - nl));
			if (rc)
				return rc;
			continue;
		}
		return string_control(ps);
	}
}

/* ---- keys ---- */

/* One key segment into the scratch buffer. */
static int key_segment(struct parser *ps)
{
	const char *s = ps->p;
	char tmp[16];

	if (s < ps->end && (*s == '"' || *s == '\''))
		return string_single(ps, *s);
	while (ps->p < ps->end && is_bare((unsigned char)*ps->p))
		ps->p++;
	if (ps->p == s)
		return fail_at(ps, s, "expected a key, found %s",
			       found(ps, s, tmp, sizeof(tmp)));
	ps->slen = 0;
	return scratch_put(ps, s, (size_t)(ps->p - s));
}

/* ---- numbers ---- */

/* Digits with single underscores between them, appended to @buf. */
static int digits(struct parser *ps, const char **sp, char *buf, size_t *n,
		  int radix, const char *what)
{
	const char *s = *sp;
	bool any = false;

	for (;;) {
		int c = s < ps->end ? (unsigned char)*s : -1;
		int v = c < 0 ? -1 : hex_value(c);

		if (v >= 0 && v < radix) {
			if (*n + 1 >= MAX_NUMBER)
				return fail_at(ps, *sp, "number too long");
			buf[(*n)++] = (char)c;
			any = true;
			s++;
			continue;
		}
		if (c == '_') {
			int nx = s + 1 < ps->end ? (unsigned char)s[1] : -1;
			int nv = nx < 0 ? -1 : hex_value(nx);

			if (!any || nv < 0 || nv >= radix)
				return fail_at(ps, s,
					       "'_' in a number must be "
					       "between two digits");
			s++;
			continue;
		}
		break;
	}
	if (!any)
		return fail_at(ps, s, "expected %s", what);
	*sp = s;
	return 0;
}

static int radix_integer(struct parser *ps, struct bp_toml_node *n)
{
	const char *s = ps->p + 2;
	char buf[MAX_NUMBER];
	size_t len = 0;
	int radix = ps->p[1] == 'x' ? 16 : ps->p[1] == 'o' ? 8 : 2;
	const char *what = radix == 16	? "hexadecimal digits after '0x'"
			   : radix == 8 ? "octal digits after '0o'"
					: "binary digits after '0b'";
	uint64_t v = 0;
	int rc = digits(ps, &s, buf, &len, radix, what);

	if (rc)
		return rc;
	for (size_t i = 0; i < len; i++) {
		uint64_t d = (uint64_t)hex_value(buf[i]);

		if (v > ((uint64_t)INT64_MAX - d) / (uint64_t)radix)
			return fail_at(ps, ps->p,
				       "integer does not fit in 64 bits");
		v = v * (uint64_t)radix + d;
	}
	n->type = BP_TOML_INTEGER;
	n->u.i = (int64_t)v;
	ps->p = s;
	return 0;
}

static int special_float(struct parser *ps, struct bp_toml_node *n,
			 const char *s, bool neg)
{
	if (ps->end - s >= 3 && memcmp(s, "inf", 3) == 0) {
		n->u.f = neg ? -INFINITY : INFINITY;
	} else if (ps->end - s >= 3 && memcmp(s, "nan", 3) == 0) {
		n->u.f = neg ? -NAN : NAN;
	} else {
		char tmp[16];
		return fail_at(ps, s, "expected a value, found %s",
			       found(ps, s, tmp, sizeof(tmp)));
	}
	n->type = BP_TOML_FLOAT;
	ps->p = s + 3;
	return 0;
}

static int number(struct parser *ps, struct bp_toml_node *n)
{
	const char *start = ps->p, *s = ps->p;
	char buf[MAX_NUMBER + 8];
	size_t len = 0;
	bool neg = false, is_float = false;
	int rc;

	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		buf[len++] = *s++;
	}
	if (s < ps->end && (*s == 'i' || *s == 'n'))
		return special_float(ps, n, s, neg);
	if (s == start && s + 1 < ps->end && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'o' || s[1] == 'b'))
		return radix_integer(ps, n);
	if (s < ps->end && *s == '0' && s + 1 < ps->end &&
	    (is_digit(s[1]) || s[1] == '_'))
		return fail_at(ps, start,
			       "leading zeros are not allowed in a number");
	rc = digits(ps, &s, buf, &len, 10, "a digit");
	if (rc)
		return rc;
	if (s < ps->end && *s == '.') {
		is_float = true;
		buf[len++] = ps->decimal_point;
		s++;
		rc = digits(ps, &s, buf, &len, 10, "a digit after '.'");
		if (rc)
			return rc;
	}
	if (s < ps->end && (*s == 'e' || *s == 'E')) {
		is_float = true;
		buf[len++] = 'e';
		s++;
		if (s < ps->end && (*s == '+' || *s == '-'))
			buf[len++] = *s++;
		rc = digits(ps, &s, buf, &len, 10, "a digit in the exponent");
		if (rc)
			return rc;
	}
	buf[len] = '\0';
	if (is_float) {
		char *end;
		double d;

		errno = 0;
		d = strtod(buf, &end);
		if (end != buf + len)
			return fail_at(ps, start, "malformed float");
		if (isinf(d))
			return fail_at(ps, start,
				       "float does not fit in a double");
		n->type = BP_TOML_FLOAT;
		n->u.f = d;
	} else {
		uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1
					    : (uint64_t)INT64_MAX;
		size_t i = (buf[0] == '+' || buf[0] == '-') ? 1 : 0;

		for (; i < len; i++) {
			uint64_t dgt = (uint64_t)(buf[i] - '0');

			if (v > (limit - dgt) / 10)
				return fail_at(ps, start,
					       "integer does not fit in 64 "
					       "bits");
			v = v * 10 + dgt;
		}
		n->type = BP_TOML_INTEGER;
		n->u.i = neg ? (int64_t)(0 - v) : (int64_t)v;
	}
	ps->p = s;
	return 0;
}

/* ---- dates and times ---- */

static bool two_digits(const char *s, const char *end, int *v)
{
	if (end - s < 2 || !is_digit(s[0]) || !is_digit(s[1]))
		return false;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* HH:MM:SS[.frac] at *sp. */
static int time_part(struct parser *ps, const char **sp)
{
	const char *s = *sp;
	int h, m, sec;

	if (!two_digits(s, ps->end, &h) || s + 2 >= ps->end || s[2] != ':' ||
	    !two_digits(s + 3, ps->end, &m) || s + 5 >= ps->end ||
	    s[5] != ':' || !two_digits(s + 6, ps->end, &sec))
		return fail_at(ps, s, "expected a time as HH:MM:SS");
	if (h > 23 || m > 59 || sec > 60)
		return fail_at(ps, s, "time %.8s is out of range", s);
	s += 8;
	if (s < ps->end && *s == '.') {
		s++;
		if (s >= ps->end || !is_digit(*s))
			return fail_at(ps, s,
				       "expected digits after '.' in a time");
		while (s < ps->end && is_digit(*s))
			s++;
	}
	*sp = s;
	return 0;
}

/* Keeps the text, normalised to RFC 3339 ('T' and 'Z' upper case). */
static int datetime(struct parser *ps, struct bp_toml_node *n)
{
	const char *start = ps->p, *s = ps->p;
	int y, mo, d, type, rc;
	char *text;

	if (s + 2 < ps->end && s[2] == ':') {
		rc = time_part(ps, &s);
		if (rc)
			return rc;
		type = BP_TOML_TIME_LOCAL;
		goto done;
	}
	if (ps->end - s < 10 || !two_digits(s, ps->end, &y) ||
	    !two_digits(s + 2, ps->end, &d) || s[4] != '-' ||
	    !two_digits(s + 5, ps->end, &mo) || s[7] != '-')
		return fail_at(ps, s, "expected a date as YYYY-MM-DD");
	y = y * 100 + d;
	if (!two_digits(s + 8, ps->end, &d))
		return fail_at(ps, s, "expected a date as YYYY-MM-DD");
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return fail_at(ps, s, "date %.10s does not exist", s);
	s += 10;
	type = BP_TOML_DATE_LOCAL;
	if (s < ps->end && (*s == 'T' || *s == 't' ||
			    (*s == ' ' && s + 1 < ps->end && is_digit(s[1])))) {
		s++;
		rc = time_part(ps, &s);
		if (rc)
			return rc;
		type = BP_TOML_DATETIME_LOCAL;
		if (s < ps->end && (*s == 'Z' || *s == 'z')) {
			s++;
			type = BP_TOML_DATETIME;
		} else if (s < ps->end && (*s == '+' || *s == '-')) {
			int oh, om;

			if (!two_digits(s + 1, ps->end, &oh) ||
			    s + 3 >= ps->end || s[3] != ':' ||
			    !two_digits(s + 4, ps->end, &om))
				return fail_at(ps, s,
					       "expected a time offset as "
					       "+HH:MM or -HH:MM");
			if (oh > 23 || om > 59)
				return fail_at(ps, s,
					       "time offset %.6s is out of "
					       "range",
					       s);
			s += 6;
			type = BP_TOML_DATETIME;
		}
	}
done:
	text = arena_strdup(ps, start, (size_t)(s - start));
	if (!text)
		return fail_nomem(ps);
	if (type == BP_TOML_DATETIME || type == BP_TOML_DATETIME_LOCAL) {
		text[10] = 'T';
		if (text[s - start - 1] == 'z')
			text[s - start - 1] = 'Z';
	}
	n->type = (unsigned char)type;
	n->u.str.s = text;
	n->u.str.len = (size_t)(s - start);
	ps->p = s;
	return 0;
}

static bool looks_like_datetime(const struct parser *ps)
{
	const char *s = ps->p;
	ptrdiff_t left = ps->end - s;

	if (left >= 3 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':')
		return true;
	return left >= 5 && is_digit(s[0]) && is_digit(s[1]) &&
	       is_digit(s[2]) && is_digit(s[3]) && s[4] == '-';
}

/* ---- values ---- */

static struct bp_toml_node *value(struct parser *ps, int depth, int *rc);
static int keyval(struct parser *ps, struct bp_toml_node *tbl);

static int check_depth(struct parser *ps, int depth, const char *at)
{
	if (depth > MAX_DEPTH)
		return fail_at(ps, at, "nesting deeper than %d levels",
			       MAX_DEPTH);
	return 0;
}

static int array(struct parser *ps, struct bp_toml_node *a)
{
	char tmp[16];
	int rc;

	ps->p++;
	for (;;) {
		struct bp_toml_node *v;

		rc = skip_ws_comments_nl(ps);
		if (rc)
			return rc;
		if (at_char(ps, ']')) {
			ps->p++;
			return 0;
		}
		v = value(ps, a->depth + 1, &rc);
		if (!v)
			return rc;
		rc = array_add(ps, a, v);
		if (rc)
			return rc;
		rc = skip_ws_comments_nl(ps);
		if (rc)
			return rc;
		if (at_char(ps, ',')) {
			ps->p++;
			continue;
		}
		if (at_char(ps, ']')) {
			ps->p++;
			return 0;
		}
		return fail_at(ps, ps->p,
			       "expected ',' or ']' after an array element, "
			       "found %s",
			       found(ps, ps->p, tmp, sizeof(tmp)));
	}
}

static int inline_table(struct parser *ps, struct bp_toml_node *t)
{
	char tmp[16];
	int rc;

	ps->p++;
	skip_ws(ps);
	if (at_char(ps, '}')) {
		ps->p++;
		return 0;
	}
	for (;;) {
		skip_ws(ps);
		rc = keyval(ps, t);
		if (rc)
			return rc;
		skip_ws(ps);
		if (at_char(ps, ',')) {
			ps->p++;
			continue;
		}
		if (at_char(ps, '}')) {
			ps->p++;
			return 0;
		}
		return fail_at(ps, ps->p,
			       "expected ',' or '}' in an inline table, "
			       "found %s",
			       found(ps, ps->p, tmp, sizeof(tmp)));
	}
}

/* Reads a value at ps->p; @depth is the depth a container would get. */
static struct bp_toml_node *value(struct parser *ps, int depth, int *rc)
{
	const char *s = ps->p;
	struct bp_toml_node *n = node_new(ps, BP_TOML_STRING, s);
	char tmp[16];

	if (!n) {
		*rc = fail_nomem(ps);
		return NULL;
	}
	if (s >= ps->end) {
		*rc = fail_at(ps, s, "expected a value, found end of file");
		return NULL;
	}
	switch (*s) {
	case '"':
	case '\'':
		if (ps->end - s >= 3 && s[1] == *s && s[2] == *s)
			*rc = string_multi(ps, *s);
		else
			*rc = string_single(ps, *s);
		if (*rc)
			return NULL;
		n->u.str.len = ps->slen;
		n->u.str.s = arena_strdup(ps, ps->scratch, ps->slen);
		if (!n->u.str.s)
			*rc = fail_nomem(ps);
		break;
	case 't':
		if (ps->end - s >= 4 && memcmp(s, "true", 4) == 0) {
			n->type = BP_TOML_BOOL;
			n->u.b = true;
			ps->p += 4;
			*rc = 0;
		} else {
			*rc = fail_at(ps, s, "expected a value, found %s",
				      found(ps, s, tmp, sizeof(tmp)));
		}
		break;
	case 'f':
		if (ps->end - s >= 5 && memcmp(s, "false", 5) == 0) {
			n->type = BP_TOML_BOOL;
			n->u.b = false;
			ps->p += 5;
			*rc = 0;
		} else {
			*rc = fail_at(ps, s, "expected a value, found %s",
				      found(ps, s, tmp, sizeof(tmp)));
		}
		break;
	case '[':
		n->type = BP_TOML_ARRAY;
		n->depth = (unsigned short)depth;
		*rc = check_depth(ps, depth, s);
		if (!*rc)
			*rc = array(ps, n);
		break;
	case '{':
		if (!make_table(ps, n)) {
			*rc = fail_nomem(ps);
			return NULL;
		}
		n->flags = T_INLINE;
		n->depth = (unsigned short)depth;
		*rc = check_depth(ps, depth, s);
		if (!*rc)
			*rc = inline_table(ps, n);
		break;
	case 'i':
	case 'n':
	case '+':
	case '-':
		*rc = number(ps, n);
		break;
	default:
		if (is_digit(*s)) {
			if (looks_like_datetime(ps))
				*rc = datetime(ps, n);
			else
				*rc = number(ps, n);
		} else {
			*rc = fail_at(ps, s, "expected a value, found %s",
				      found(ps, s, tmp, sizeof(tmp)));
		}
	}
	return *rc ? NULL : n;
}

/* ---- key/value pairs and headers ---- */

/* A table (or the array of a [[header]]) one level below @parent. */
static struct bp_toml_node *new_table(struct parser *ps,
				      struct bp_toml_node *parent,
				      const char *at, int flags, int *rc)
{
	struct bp_toml_node *t;

	*rc = check_depth(ps, parent->depth + 1, at);
	if (*rc)
		return NULL;
	t = node_new(ps, flags & A_TABLES ? BP_TOML_ARRAY : BP_TOML_TABLE, at);
	if (!t) {
		*rc = fail_nomem(ps);
		return NULL;
	}
	t->flags = (unsigned char)flags;
	t->depth = (unsigned short)(parent->depth + 1);
	return t;
}

/* Adds a new node under the key in the scratch buffer. */
static int add_scratch_key(struct parser *ps, struct bp_toml_node *t,
			   uint32_t h, struct bp_toml_node *val)
{
	char *key = arena_strdup(ps, ps->scratch, ps->slen);

	if (!key)
		return fail_nomem(ps);
	return table_add(ps, t, key, ps->slen, h, val);
}

static int keyval(struct parser *ps, struct bp_toml_node *tbl)
{
	const char *key_start = ps->p, *key_end;
	char tmp[80], tmp2[16];
	int rc;

	for (;;) {
		const char *seg = ps->p;
		struct entry *e;
		struct bp_toml_node *v;
		uint32_t h;

		rc = key_segment(ps);
		if (rc)
			return rc;
		key_end = ps->p;
		h = hash_key(tbl->u.tab->seed, ps->scratch, ps->slen);
		e = table_find(tbl, ps->scratch, ps->slen, h);
		skip_ws(ps);
		if (at_char(ps, '.')) {
			ps->p++;
			skip_ws(ps);
			if (!e) {
				v = new_table(ps, tbl, seg, T_DOTTED, &rc);
				if (!v)
					return rc;
				rc = add_scratch_key(ps, tbl, h, v);
				if (rc)
					return rc;
				tbl = v;
				continue;
			}
			v = e->val;
			if (v->type == BP_TOML_TABLE && (v->flags & T_DOTTED) &&
			    !(v->flags & T_INLINE)) {
				tbl = v;
				continue;
			}
			return fail_at(
			    ps, seg,
			    "cannot add keys under '%s': it is "
			    "already defined as %s at %d:%d",
			    quote_span(key_start, key_end, tmp, sizeof(tmp)),
			    v->type == BP_TOML_TABLE
				? "a table"
				: bp_toml_type_name(v->type),
			    v->line, v->col);
		}
		if (e)
			return fail_at(
			    ps, seg,
			    "duplicate key '%s' (first defined at "
			    "%d:%d)",
			    quote_span(key_start, key_end, tmp, sizeof(tmp)),
			    e->val->line, e->val->col);
		if (!at_char(ps, '='))
			return fail_at(
			    ps, ps->p, "expected '=' after key '%s', found %s",
			    quote_span(key_start, key_end, tmp, sizeof(tmp)),
			    found(ps, ps->p, tmp2, sizeof(tmp2)));
		/* The value reuses the scratch buffer: store the key first. */
		{
			char *key = arena_strdup(ps, ps->scratch, ps->slen);
			size_t keylen = ps->slen;

			if (!key)
				return fail_nomem(ps);
			ps->p++;
			skip_ws(ps);
			v = value(ps, tbl->depth + 1, &rc);
			if (!v)
				return rc;
			return table_add(ps, tbl, key, keylen, h, v);
		}
	}
}

static int header(struct parser *ps)
{
	const char *start = ps->p;
	bool aot = ps->p + 1 < ps->end && ps->p[1] == '[';
	struct bp_toml_node *tbl = ps->root, *v;
	struct entry *e;
	const char *name_end;
	char tmp[80], tmp2[16];
	uint32_t h;
	int rc;

	ps->p += aot ? 2 : 1;
	for (;;) {
		const char *seg;

		skip_ws(ps);
		seg = ps->p;
		rc = key_segment(ps);
		if (rc)
			return rc;
		h = hash_key(tbl->u.tab->seed, ps->scratch, ps->slen);
		e = table_find(tbl, ps->scratch, ps->slen, h);
		skip_ws(ps);
		if (!at_char(ps, '.'))
			break;
		ps->p++;
		if (!e) {
			v = new_table(ps, tbl, seg, T_IMPLICIT, &rc);
			if (!v)
				return rc;
			rc = add_scratch_key(ps, tbl, h, v);
			if (rc)
				return rc;
			tbl = v;
			continue;
		}
		v = e->val;
		if (v->type == BP_TOML_TABLE && !(v->flags & T_INLINE)) {
			tbl = v;
			continue;
		}
		if (v->type == BP_TOML_ARRAY && (v->flags & A_TABLES)) {
			tbl = v->u.arr.v[v->u.arr.len - 1];
			continue;
		}
		return fail_at(ps, seg,
			       "cannot define a table under '%s': it is %s "
			       "defined at %d:%d",
			       quote_span(start + (aot ? 2 : 1), ps->p - 1, tmp,
					  sizeof(tmp)),
			       v->type == BP_TOML_TABLE	  ? "an inline table"
			       : v->type == BP_TOML_ARRAY ? "an array"
							  : "a value",
			       v->line, v->col);
	}
	name_end = ps->p;
	if (!at_char(ps, ']') ||
	    (aot && (ps->p + 1 >= ps->end || ps->p[1] != ']')))
		return fail_at(ps, ps->p,
			       "expected '%s' to close the table header, "
			       "found %s",
			       aot ? "]]" : "]",
			       found(ps, ps->p, tmp2, sizeof(tmp2)));
	ps->p += aot ? 2 : 1;
	quote_span(start + (aot ? 2 : 1), name_end, tmp, sizeof(tmp));
	if (!aot) {
		if (!e) {
			v = new_table(ps, tbl, start, T_EXPLICIT, &rc);
			if (!v)
				return rc;
			rc = add_scratch_key(ps, tbl, h, v);
			if (rc)
				return rc;
			ps->cur = v;
			return 0;
		}
		v = e->val;
		if (v->type == BP_TOML_TABLE && v->flags == T_IMPLICIT) {
			v->flags = T_EXPLICIT;
			ps->cur = v;
			return 0;
		}
		return fail_at(ps, start,
			       "table [%s] is already defined at %d:%d%s", tmp,
			       v->line, v->col,
			       v->type != BP_TOML_TABLE ? " as a value"
			       : v->flags & T_DOTTED	? " by dotted keys"
			       : v->flags & T_INLINE	? " as an inline table"
							: "");
	}
	if (!e) {
		v = new_table(ps, tbl, start, A_TABLES, &rc);
		if (!v)
			return rc;
		rc = add_scratch_key(ps, tbl, h, v);
		if (rc)
			return rc;
	} else {
		v = e->val;
		if (v->type != BP_TOML_ARRAY || !(v->flags & A_TABLES))
			return fail_at(ps, start,
				       "cannot append to [[%s]]: it is "
				       "already defined at %d:%d as %s",
				       tmp, v->line, v->col,
				       v->type == BP_TOML_ARRAY	  ? "an array"
				       : v->type == BP_TOML_TABLE ? "a table"
								  : "a value");
	}
	tbl = new_table(ps, v, start, T_EXPLICIT, &rc);
	if (!tbl)
		return rc;
	rc = array_add(ps, v, tbl);
	if (rc)
		return rc;
	ps->cur = tbl;
	return 0;
}

static int document(struct parser *ps)
{
	int rc;
	const char *bad = utf8_invalid(ps->buf, (size_t)(ps->end - ps->buf));

	if (bad)
		return fail_at(ps, bad, "invalid UTF-8 byte 0x%02x",
			       (unsigned char)*bad);
	if (ps->end - ps->p >= 3 && memcmp(ps->p, "\xef\xbb\xbf", 3) == 0)
		ps->line_start = ps->p += 3;
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end)
			return 0;
		switch (*ps->p) {
		case '#':
			rc = skip_comment(ps);
			if (!rc && ps->p < ps->end)
				rc = newline(ps);
			break;
		case '\n':
		case '\r':
			rc = newline(ps);
			break;
		case '[':
			rc = header(ps);
			if (!rc)
				rc = end_of_line(ps, "the table header");
			break;
		default:
			rc = keyval(ps, ps->cur);
			if (!rc)
				rc = end_of_line(ps, "the value");
		}
		if (rc)
			return rc;
	}
}

/* ---- public API ---- */

int bp_toml_parse_buf(const char *buf, size_t len, const char *name,
		      struct bp_toml_doc **out, char *err, size_t errlen)
{
	struct parser ps;
	struct bp_toml_doc *doc;
	struct timespec now;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!out || (!buf && len))
		return BP_EINVAL;
	*out = NULL;
	doc = calloc(1, sizeof(*doc));
	if (!doc)
		return BP_ENOMEM;
	doc->arena.next_size = 16384;
	memset(&ps, 0, sizeof(ps));
	ps.buf = ps.p = ps.line_start = buf ? buf : "";
	ps.end = ps.buf + len;
	ps.line = 1;
	ps.name = name ? name : "<toml>";
	ps.err = err;
	ps.errlen = errlen;
	ps.arena = &doc->arena;
	ps.decimal_point = localeconv()->decimal_point[0];
	clock_gettime(CLOCK_MONOTONIC, &now);
	ps.seed = (uint32_t)now.tv_nsec ^ (uint32_t)(uintptr_t)doc;
	if (!ps.decimal_point)
		ps.decimal_point = '.';
	doc->root = node_new(&ps, BP_TOML_TABLE, ps.p);
	if (!doc->root) {
		rc = fail_nomem(&ps);
		goto fail;
	}
	doc->root->flags = T_EXPLICIT;
	ps.root = ps.cur = doc->root;
	rc = document(&ps);
	if (rc)
		goto fail;
	free(ps.scratch);
	*out = doc;
	return 0;
fail:
	free(ps.scratch);
	bp_toml_free(doc);
	return rc;
}

#define TOML_FILE_MAX (64u << 20)

int bp_toml_parse_file(const char *path, struct bp_toml_doc **out, char *err,
		       size_t errlen)
{
	FILE *f;
	char *buf = NULL, *why = NULL;
	size_t len = 0, cap = 0;
	int rc, fd;

	if (!path || !out)
		return BP_EINVAL;
	*out = NULL;
	fd = bp_open_config(path, "TOML file", &why);
	f = fd >= 0 ? fdopen(fd, "rb") : NULL;
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s",
				 why ? why : strerror(errno));
		free(why);
		if (fd >= 0)
			close(fd);
		return fd == BP_ECONFIG ? BP_ECONFIG : BP_EIO;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nbuf;

			/* /dev/zero or an endless FIFO must not eat memory */
			if (cap >= TOML_FILE_MAX) {
				rc = BP_ECONFIG;
				if (err && errlen)
					snprintf(
					    err, errlen,
					    "%s: larger than %u MiB: not a "
					    "TOML document",
					    path, TOML_FILE_MAX >> 20);
				goto close;
			}
			nbuf = realloc(buf, ncap);

			if (!nbuf) {
				rc = BP_ENOMEM;
				if (err && errlen)
					snprintf(err, errlen,
						 "%s: out of memory", path);
				goto close;
			}
			buf = nbuf;
			cap = ncap;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = BP_EIO;
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(errno));
		goto close;
	}
	rc = bp_toml_parse_buf(buf, len, path, out, err, errlen);
close:
	fclose(f);
	free(buf);
	return rc;
}

void bp_toml_free(struct bp_toml_doc *doc)
{
	if (!doc)
		return;
	arena_free(&doc->arena);
	free(doc);
}

const struct bp_toml_node *bp_toml_root(const struct bp_toml_doc *doc)
{
	return doc ? doc->root : NULL;
}

const char *bp_toml_type_name(enum bp_toml_type type)
{
	switch (type) {
	case BP_TOML_TABLE:
		return "table";
	case BP_TOML_ARRAY:
		return "array";
	case BP_TOML_STRING:
		return "string";
	case BP_TOML_INTEGER:
		return "integer";
	case BP_TOML_FLOAT:
		return "float";
	case BP_TOML_BOOL:
		return "bool";
	case BP_TOML_DATETIME:
		return "datetime";
	case BP_TOML_DATETIME_LOCAL:
		return "datetime-local";
	case BP_TOML_DATE_LOCAL:
		return "date-local";
	case BP_TOML_TIME_LOCAL:
		return "time-local";
	}
	return "unknown";
}

enum bp_toml_type bp_toml_type(const struct bp_toml_node *node)
{
	return node ? (enum bp_toml_type)node->type : (enum bp_toml_type)0;
}

int bp_toml_line(const struct bp_toml_node *node)
{
	return node ? node->line : 0;
}

int bp_toml_column(const struct bp_toml_node *node)
{
	return node ? node->col : 0;
}

size_t bp_toml_len(const struct bp_toml_node *node)
{
	if (!node)
		return 0;
	if (node->type == BP_TOML_TABLE)
		return node->u.tab->len;
	if (node->type == BP_TOML_ARRAY)
		return node->u.arr.len;
	return 0;
}

const char *bp_toml_key_at(const struct bp_toml_node *table, size_t index)
{
	if (!table || table->type != BP_TOML_TABLE ||
	    index >= table->u.tab->len)
		return NULL;
	return table->u.tab->v[index].key;
}

size_t bp_toml_key_len_at(const struct bp_toml_node *table, size_t index)
{
	if (!table || table->type != BP_TOML_TABLE ||
	    index >= table->u.tab->len)
		return 0;
	return table->u.tab->v[index].keylen;
}

const struct bp_toml_node *bp_toml_value_at(const struct bp_toml_node *table,
					    size_t index)
{
	if (!table || table->type != BP_TOML_TABLE ||
	    index >= table->u.tab->len)
		return NULL;
	return table->u.tab->v[index].val;
}

const struct bp_toml_node *bp_toml_at(const struct bp_toml_node *array,
				      size_t index)
{
	if (!array || array->type != BP_TOML_ARRAY || index >= array->u.arr.len)
		return NULL;
	return array->u.arr.v[index];
}

const struct bp_toml_node *bp_toml_get(const struct bp_toml_node *table,
				       const char *dotted)
{
	const struct bp_toml_node *n = table;
	const char *s = dotted;

	if (!table || !dotted)
		return NULL;
	for (;;) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);
		const struct entry *e;

		if (!n || n->type != BP_TOML_TABLE || len == 0)
			return NULL;
		e = table_find(n, s, len, hash_key(n->u.tab->seed, s, len));
		if (!e)
			return NULL;
		n = e->val;
		if (!dot)
			return n;
		s = dot + 1;
	}
}

bool bp_toml_as_str(const struct bp_toml_node *node, const char **out,
		    size_t *len)
{
	if (!node || node->type == BP_TOML_TABLE ||
	    node->type == BP_TOML_ARRAY || node->type == BP_TOML_INTEGER ||
	    node->type == BP_TOML_FLOAT || node->type == BP_TOML_BOOL)
		return false;
	if (out)
		*out = node->u.str.s;
	if (len)
		*len = node->u.str.len;
	return true;
}

bool bp_toml_as_int(const struct bp_toml_node *node, int64_t *out)
{
	if (!node || node->type != BP_TOML_INTEGER)
		return false;
	if (out)
		*out = node->u.i;
	return true;
}

bool bp_toml_as_float(const struct bp_toml_node *node, double *out)
{
	if (!node || node->type != BP_TOML_FLOAT)
		return false;
	if (out)
		*out = node->u.f;
	return true;
}

bool bp_toml_as_bool(const struct bp_toml_node *node, bool *out)
{
	if (!node || node->type != BP_TOML_BOOL)
		return false;
	if (out)
		*out = node->u.b;
	return true;
}

int bp_toml_get_str(const struct bp_toml_node *table, const char *dotted,
		    const char **out)
{
	const struct bp_toml_node *n = bp_toml_get(table, dotted);

	if (!n)
		return BP_ENOENT;
	if (n->type != BP_TOML_STRING)
		return BP_ETYPE;
	if (out)
		*out = n->u.str.s;
	return 0;
}

int bp_toml_get_int(const struct bp_toml_node *table, const char *dotted,
		    int64_t *out)
{
	const struct bp_toml_node *n = bp_toml_get(table, dotted);

	if (!n)
		return BP_ENOENT;
	return bp_toml_as_int(n, out) ? 0 : BP_ETYPE;
}

int bp_toml_get_bool(const struct bp_toml_node *table, const char *dotted,
		     bool *out)
{
	const struct bp_toml_node *n = bp_toml_get(table, dotted);

	if (!n)
		return BP_ENOENT;
	return bp_toml_as_bool(n, out) ? 0 : BP_ETYPE;
}

int bp_toml_get_float(const struct bp_toml_node *table, const char *dotted,
		      double *out)
{
	const struct bp_toml_node *n = bp_toml_get(table, dotted);

	if (!n)
		return BP_ENOENT;
	return bp_toml_as_float(n, out) ? 0 : BP_ETYPE;
}
