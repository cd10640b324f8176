/* RFC 3986 reference resolution (section 5.2) for remote registries. */
#include "url_ref.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A run of @s: start and length; present tells "" from undefined. */
struct span {
	const char *p;
	size_t n;
	bool present;
};

struct uri {
	struct span scheme, authority, path, query, fragment;
};

static bool scheme_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return !first &&
	       ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.');
}

/* Splits @s as the regular expression of RFC 3986, appendix B does,
 * with the scheme held to its grammar (section 3.1). */
static void split(const char *s, struct uri *u)
{
	const char *p = s, *q;

	memset(u, 0, sizeof(*u));
	for (q = p; *q && scheme_char(*q, q == p); q++)
		;
	if (*q == ':' && q > p) {
		u->scheme = (struct span){p, (size_t)(q - p), true};
		p = q + 1;
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		q = p + strcspn(p, "/?#");
		u->authority = (struct span){p, (size_t)(q - p), true};
		p = q;
	}
	q = p + strcspn(p, "?#");
	u->path = (struct span){p, (size_t)(q - p), true};
	p = q;
	if (*p == '?') {
		p++;
		q = p + strcspn(p, "#");
		u->query = (struct span){p, (size_t)(q - p), true};
		p = q;
	}
	if (*p == '#') {
		p++;
		u->fragment = (struct span){p, strlen(p), true};
	}
}

/* Drops the last segment and its '/' from @out of length @n (5.2.4). */
static size_t pop_segment(const char *out, size_t n)
{
	while (n > 0 && out[n - 1] != '/')
		n--;
	return n > 0 ? n - 1 : 0;
}

/* remove_dot_segments of RFC 3986, 5.2.4, @in[0..n) into @out (which has
 * room for n + 1 bytes); returns the output length. */
static size_t remove_dots(const char *in, size_t n, char *out)
{
	size_t o = 0;

	while (n > 0) {
		if (n >= 3 && !strncmp(in, "../", 3)) {
			in += 3, n -= 3;
		} else if (n >= 2 && !strncmp(in, "./", 2)) {
			in += 2, n -= 2;
		} else if (n >= 3 && !strncmp(in, "/./", 3)) {
			in += 2, n -= 2;
		} else if (n == 2 && !strncmp(in, "/.", 2)) {
			in += 1, n -= 1; /* "/." becomes "/" */
			out[o++] = '/';
			in++, n--;
		} else if (n >= 4 && !strncmp(in, "/../", 4)) {
			in += 3, n -= 3;
			o = pop_segment(out, o);
		} else if (n == 3 && !strncmp(in, "/..", 3)) {
			in += 3, n -= 3;
			o = pop_segment(out, o);
			out[o++] = '/';
		} else if ((n == 1 && in[0] == '.') ||
			   (n == 2 && !strncmp(in, "..", 2))) {
			in += n, n = 0;
		} else {
			/* the first segment, with its leading '/' if any */
			size_t k = in[0] == '/' ? 1 : 0;

			while (k < n && in[k] != '/')
				k++;
			memcpy(out + o, in, k);
			o += k, in += k, n -= k;
		}
	}
	out[o] = '\0';
	return o;
}

static char *put(char *o, const char *prefix, struct span s)
{
	size_t k = strlen(prefix);

	memcpy(o, prefix, k);
	memcpy(o + k, s.p, s.n);
	return o + k + s.n;
}

char *url_ref_resolve(const char *base, const char *ref)
{
	struct uri b, r, t;
	char *merged = NULL, *path, *out, *o;
	const char *in;
	size_t n, len;

	split(base, &b);
	split(ref, &r);
	t.fragment = r.fragment;
	if (r.scheme.present) {
		t = r;
	} else {
		t.scheme = b.scheme;
		if (r.authority.present) {
			t.authority = r.authority;
			t.path = r.path;
			t.query = r.query;
		} else {
			t.authority = b.authority;
			if (r.path.n == 0) {
				t.path = b.path;
				t.query = r.query.present ? r.query : b.query;
			} else {
				t.query = r.query;
				if (r.path.p[0] == '/') {
					t.path = r.path;
				} else {
					/* merge (5.2.3) */
					size_t keep = b.path.n;

					while (keep > 0 &&
					       b.path.p[keep - 1] != '/')
						keep--;
					merged = malloc(keep + r.path.n + 2);
					if (!merged)
						return NULL;
					n = 0;
					if (b.authority.present &&
					    b.path.n == 0)
						merged[n++] = '/';
					memcpy(merged + n, b.path.p, keep);
					n += keep;
					memcpy(merged + n, r.path.p, r.path.n);
					n += r.path.n;
					t.path = (struct span){merged, n, true};
				}
			}
		}
	}
	in = t.path.p;
	path = malloc(t.path.n + 1);
	if (!path) {
		free(merged);
		return NULL;
	}
	t.path = (struct span){path, remove_dots(in, t.path.n, path), true};
	free(merged);
	len = t.scheme.n + t.authority.n + t.path.n + t.query.n + t.fragment.n +
	      8;
	out = malloc(len);
	if (out) {
		o = out;
		if (t.scheme.present)
			o = put(o, "", t.scheme), *o++ = ':';
		if (t.authority.present)
			o = put(o, "//", t.authority);
		o = put(o, "", t.path);
		if (t.query.present)
			o = put(o, "?", t.query);
		if (t.fragment.present)
			o = put(o, "#", t.fragment);
		*o = '\0';
	}
	free(path);
	return out;
}

bool url_is_network(const char *url)
{
	return !strncasecmp(url, "http://", 7) ||
	       !strncasecmp(url, "https://", 8);
}
