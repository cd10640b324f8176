/*
 * libFuzzer target for RFC 3986 reference resolution (store/url_ref.c),
 * what a remote registry's includes and image urls go through. The input
 * is "BASE\nREF". A reference without a scheme in a document with an
 * http(s) URL stays an http(s) URL (it cannot name a local file), and a
 * resolved http(s) URL resolves to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_scheme(const char *s)
{
	const char *p = s;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), *ref, *out, *again;
	size_t n;

	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	ref = strchr(in, '\n');
	if (!ref)
		ref = in + strlen(in);
	else
		*ref++ = '\0';
	out = url_ref_resolve(in, ref);
	if (!out)
		abort();
	n = strlen(out);
	if (n > strlen(in) + strlen(ref) + 8)
		abort();
	if (url_is_network(in) && !has_scheme(ref) && !url_is_network(out))
		abort();
	if (url_is_network(out)) {
		again = url_ref_resolve(in, out);
		if (!again || strcmp(again, out) != 0)
			abort();
		free(again);
	}
	free(out);
	free(in);
	return 0;
}
