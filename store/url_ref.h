/* RFC 3986 reference resolution for documents fetched over the network. */
#ifndef BOOTPIPE_STORE_URL_REF_H
#define BOOTPIPE_STORE_URL_REF_H

#include <stdbool.h>

/*
 * The target URI of @ref found in the document at @base (RFC 3986, 5.2):
 * "x", "../x", "/x", "//host/x", "?q" and "#f" resolve against @base; a
 * reference with a scheme stays (with its dot segments removed).
 * Malloc'ed; NULL when out of memory.
 */
char *url_ref_resolve(const char *base, const char *ref);

/* True when @url's scheme is http or https (any case). */
bool url_is_network(const char *url);

#endif
