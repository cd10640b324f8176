/*
 * bootpipe's record of an extracted image (store_paths.record): the
 * image's own sha256, its size and mtime when it was extracted, and the
 * archive it came from. The archive marker only says which archive an
 * image came from; the record says whether the image is still what came
 * out of it. Text, one "key value" a line:
 *   sha256 <64 hex digits>
 *   size <bytes>
 *   mtime <seconds>.<nanoseconds>
 *   archive <64 hex digits>
 * A store axbuild filled has no record: its images are "unknown" until
 * `bootpipe image verify` records them.
 */
#ifndef BP_STORE_IMAGE_RECORD_H
#define BP_STORE_IMAGE_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "layout.h"

struct image_record {
	char sha256[SHA256_HEX_SIZE];
	char archive[SHA256_HEX_SIZE];
	int64_t size;
	struct timespec mtime;
};

/* 0 and @out; BP_ENOENT when there is none; BP_EIO when it cannot be
 * read or is not a record. */
int image_record_read(const char *path, struct image_record *out);

/* Writes @r to @path atomically. 0 or BP_EIO with @err. */
int image_record_write(const char *path, const struct image_record *r,
		       char *err, size_t errlen);

enum image_state {
	IMAGE_UNCHANGED, /* size and mtime are the recorded ones */
	IMAGE_UNKNOWN,	 /* no record, or one of another archive */
	IMAGE_CHANGED,	 /* size or mtime differ, or the record is bad */
};

/*
 * The cheap check before every boot of @p's image: stat against the
 * record, nothing read. A record whose archive is not the one the archive
 * marker names is stale (the image was extracted again by another tool):
 * unknown. @out (may be NULL) gets the record when there is a current
 * one; @why gets what differs.
 */
enum image_state image_check(const struct store_paths *p,
			     struct image_record *out, char *why,
			     size_t whylen);

#endif
