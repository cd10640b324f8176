/* What the store's own files share: download defaults and source policy. */
#ifndef BP_STORE_SOURCE_H
#define BP_STORE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "download.h"
#include "store.h"

/* A download request with the store's timeouts, retries and hooks. */
void store_dl_defaults(struct bp_store *s, struct dl_request *r,
		       const char *url, const char *what);

/*
 * What may be downloaded: https, or anything with allow_insecure_url (a
 * plain http or ftp transfer can be swapped on the way); an archive only
 * with a sha256 to check it against, or with allow_unverified. file:// is
 * local and always allowed. @sha256 NULL: a registry, which carries the
 * checksums of its images. 0 or BP_ECONFIG with the fix in @err.
 */
int store_source_allowed(const struct bp_store *s, const char *url,
			 const char *sha256, const char *origin, char *err,
			 size_t errlen);

/* Progress hooks in the shape download.c and extract.c call. */
void store_on_progress(void *user, const char *what, uint64_t done,
		       uint64_t total);
void store_progress_end(struct bp_store *s);

#endif
