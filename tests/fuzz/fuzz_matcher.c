/*
 * libFuzzer target for the console matcher: the input is a console
 * stream cut into chunks at positions the input itself picks. The matcher
 * must never crash or read out of bounds whatever the cut, a verdict's
 * excerpt is bounded and printable, and the literal watcher sees a fixed
 * string exactly when the whole stream holds it, however it is cut.
 *
 * Layout: byte 0 = chunking seed; the rest is the stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "matcher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct matcher *m;
static struct literal_watch *w;
static const char literal[] = "~ #";

static void setup(void)
{
	static const char *const fails[] = {"(?i)\\bpanic(?:ked)?\\b",
					    "(?i)kernel panic",
					    "(?i)login incorrect", "(a+)+$"};
	static const char *const oks[] = {"(?m)^guest test pass!\\s*$",
					  "^All tests passed"};
	char err[256];

	m = matcher_new();
	w = literal_watch_new(literal);
	if (!m || !w)
		abort();
	for (size_t i = 0; i < sizeof(fails) / sizeof(*fails); i++)
		if (matcher_add(m, MATCHER_FAIL, fails[i], err, sizeof(err)))
			abort();
	for (size_t i = 0; i < sizeof(oks) / sizeof(*oks); i++)
		if (matcher_add(m, MATCHER_SUCCESS, oks[i], err, sizeof(err)))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data + 1;
	const struct matcher_hit *hit;
	uint32_t seed;
	size_t len, off = 0;
	bool seen = false, whole;

	if (!m)
		setup();
	if (size < 1)
		return 0;
	seed = data[0] * 2654435761u + 1;
	len = size - 1;
	matcher_reset(m);
	literal_watch_reset(w);
	while (off < len) {
		size_t n;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 17; /* 0..16, 0 feeds an empty chunk */
		if (n > len - off)
			n = len - off;
		matcher_feed(m, buf + off, n);
		seen |= literal_watch_feed(w, buf + off, n);
		off += n;
	}
	matcher_finish(m);
	whole = len >= sizeof(literal) - 1 &&
		memmem(buf, len, literal, sizeof(literal) - 1) != NULL;
	if (seen != whole)
		__builtin_trap();
	hit = matcher_verdict(m);
	if (hit) {
		size_t elen = strnlen(hit->excerpt, sizeof(hit->excerpt));

		if (elen == sizeof(hit->excerpt))
			__builtin_trap();
		for (size_t i = 0; i < elen; i++)
			if ((unsigned char)hit->excerpt[i] < 0x20 ||
			    (unsigned char)hit->excerpt[i] == 0x7f)
				__builtin_trap();
		if (hit->line == 0 || !hit->pattern)
			__builtin_trap();
	}
	return 0;
}
