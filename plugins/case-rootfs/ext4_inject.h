/*
 * Files written into an ext2/3/4 image with libext2fs: no mount, no root,
 * no loop device. Parents are made as needed (0755, root-owned); a file
 * that exists is replaced.
 */
#ifndef BOOTPIPE_CASE_ROOTFS_EXT4_INJECT_H
#define BOOTPIPE_CASE_ROOTFS_EXT4_INJECT_H

#include <stddef.h>
#include <sys/types.h>

struct ext4_file {
	const char *guest_path; /* absolute, in the image */
	const void *data;
	size_t len;
	mode_t mode; /* permission bits */
};

/*
 * Writes @files into the image @image. 0, or -1 with a message in @err
 * (not an ext2/3/4 image, no space, ...).
 */
int ext4_inject(const char *image, const struct ext4_file *files, size_t count,
		char *err, size_t errlen);

#endif
