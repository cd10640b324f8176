/*
 * Extraction with libarchive: one regular-file entry, chosen by its base
 * name, written to a destination file with holes for all-zero blocks.
 * Nothing the archive names is ever used as a path to write to.
 */
#ifndef BP_STORE_EXTRACT_H
#define BP_STORE_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "layout.h"

struct extract_request {
	const char *archive; /* tar, optionally gz/xz/zstd/bzip2: by content */
	const char *entry;   /* base name to find, e.g. "rootfs-x.img" */
	/* @entry is a path below the archive's top directory instead, as in
	 * a release tarball: "x64/code.fd" is <top>/x64/code.fd */
	bool entry_below_top;
	/* file to create (replaced when present); NULL: write nothing, only
	 * hash the entry into the result (image verify) */
	const char *dest;
	/* when set, the archive's own sha256 goes here, hashed as it is
	 * read, with the bytes past the entry: one pass over the file */
	char *archive_sha256;
	const char *what; /* progress label */
	int64_t min_size; /* a smaller entry is refused (0: any size) */
	void (*progress)(void *user, const char *what, uint64_t done,
			 uint64_t total);
	void *user;
};

/* What was written, hashed on the way (holes count as the zeros they
 * read as), so the store can tell later whether the image changed. */
struct extract_result {
	char sha256[SHA256_HEX_SIZE];
	int64_t size;
	struct timespec mtime;
};

/*
 * Writes the entry of @r->archive whose base name (or path below the top
 * directory, see entry_below_top) is @r->entry to
 * @r->dest, sparse, and fsyncs it. Entries whose path is absolute or has a
 * `..` component are skipped; an entry of that name that is not a regular
 * file (link, device, directory) or smaller than @r->min_size is refused.
 * Returns 0 and fills @result; BP_ENOENT when no
 * usable entry has the name (the message lists the first entries there
 * are); BP_EINFRA for a refused entry or an unreadable archive, with
 * *corrupt set in the latter case (a fresh download may fix it); BP_EIO
 * when the destination cannot be written; BP_EINTR when interrupted. On
 * failure @r->dest is removed.
 */
int extract_image(const struct extract_request *r,
		  struct extract_result *result, bool *corrupt, char *err,
		  size_t errlen);

/* Block size of the zero scan: runs of all-zero blocks become holes. */
#define EXTRACT_HOLE_BLOCK 4096

#endif
