/* A sparse copy of a disk image: data ranges copied, holes left holes. */
#ifndef BOOTPIPE_CASE_ROOTFS_IMAGE_COPY_H
#define BOOTPIPE_CASE_ROOTFS_IMAGE_COPY_H

#include <stddef.h>

/*
 * Copies @src to @dst (created, must not exist) through @dst.part, renamed
 * into place only when whole, so a cut copy is never taken for a good one.
 * 0, or -1 with a message in @err (@dst absent then).
 */
int image_copy_sparse(const char *src, const char *dst, char *err,
		      size_t errlen);

#endif
