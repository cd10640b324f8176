/* ext4 injection on libext2fs, the way e2fsprogs' own create_inode.c
 * populates an image (mke2fs -d), one file at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ext2fs/ext2fs.h>

#include "ext4_inject.h"

static int say(char *err, size_t errlen, const char *image, const char *what,
	       errcode_t code)
{
	snprintf(err, errlen, "%s: %s: %s", image, what, error_message(code));
	return -1;
}

/* The inode of directory @name in @parent, made when missing. */
static errcode_t lookup_or_mkdir(ext2_filsys fs, ext2_ino_t parent,
				 const char *name, ext2_ino_t *out)
{
	errcode_t rc = ext2fs_lookup(fs, parent, name, strlen(name), NULL, out);

	if (rc != EXT2_ET_FILE_NOT_FOUND)
		return rc;
	rc = ext2fs_mkdir(fs, parent, 0, name);
	if (rc == EXT2_ET_DIR_NO_SPACE) {
		rc = ext2fs_expand_dir(fs, parent);
		if (!rc)
			rc = ext2fs_mkdir(fs, parent, 0, name);
	}
	if (rc)
		return rc;
	return ext2fs_lookup(fs, parent, name, strlen(name), NULL, out);
}

static errcode_t new_file(ext2_filsys fs, ext2_ino_t dir, const char *name,
			  mode_t mode, ext2_ino_t *out)
{
	struct ext2_inode inode = {0};
	ext2_ino_t ino;
	errcode_t rc;

	rc = ext2fs_new_inode(fs, dir, LINUX_S_IFREG | 0644, 0, &ino);
	if (rc)
		return rc;
	rc = ext2fs_link(fs, dir, name, ino, EXT2_FT_REG_FILE);
	if (rc == EXT2_ET_DIR_NO_SPACE) {
		rc = ext2fs_expand_dir(fs, dir);
		if (!rc)
			rc = ext2fs_link(fs, dir, name, ino, EXT2_FT_REG_FILE);
	}
	if (rc)
		return rc;
	ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	inode.i_mode = LINUX_S_IFREG | (mode & 07777);
	inode.i_atime = inode.i_ctime = inode.i_mtime = (__u32)time(NULL);
	inode.i_links_count = 1;
	if (ext2fs_has_feature_extents(fs->super)) {
		ext2_extent_handle_t handle;

		/* an empty extent tree in the inode, as create_inode.c */
		rc = ext2fs_extent_open2(fs, ino, &inode, &handle);
		if (rc)
			return rc;
		ext2fs_extent_free(handle);
	}
	rc = ext2fs_write_new_inode(fs, ino, &inode);
	*out = ino;
	return rc;
}

/* Frees the blocks of an existing file and sets its mode, so it can be
 * written afresh. */
static errcode_t reset_file(ext2_filsys fs, ext2_ino_t ino, mode_t mode)
{
	struct ext2_inode inode;
	errcode_t rc = ext2fs_read_inode(fs, ino, &inode);

	if (rc)
		return rc;
	if (!LINUX_S_ISREG(inode.i_mode))
		return EXT2_ET_FILE_EXISTS;
	rc = ext2fs_punch(fs, ino, &inode, NULL, 0, ~0ULL);
	if (rc)
		return rc;
	inode.i_mode = LINUX_S_IFREG | (mode & 07777);
	inode.i_mtime = (__u32)time(NULL);
	rc = ext2fs_inode_size_set(fs, &inode, 0);
	return rc ? rc : ext2fs_write_inode(fs, ino, &inode);
}

static errcode_t write_data(ext2_filsys fs, ext2_ino_t ino, const void *data,
			    size_t len)
{
	ext2_file_t file;
	errcode_t rc = ext2fs_file_open(fs, ino, EXT2_FILE_WRITE, &file);
	size_t done = 0;

	if (rc)
		return rc;
	while (!rc && done < len) {
		unsigned int n = 0;

		rc = ext2fs_file_write(file, (const char *)data + done,
				       (unsigned int)(len - done > 1u << 20
							  ? 1u << 20
							  : len - done),
				       &n);
		if (!rc && n == 0)
			rc = EXT2_ET_SHORT_WRITE;
		done += n;
	}
	if (!rc)
		rc = ext2fs_file_set_size2(file, len);
	{
		errcode_t close_rc = ext2fs_file_close(file);

		return rc ? rc : close_rc;
	}
}

static int inject_one(ext2_filsys fs, const char *image,
		      const struct ext4_file *f, char *err, size_t errlen)
{
	char *path = strdup(f->guest_path), *p, *name;
	ext2_ino_t dir = EXT2_ROOT_INO, ino;
	errcode_t rc = 0;

	if (!path) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (path[0] != '/' || !strrchr(path, '/')[1]) {
		snprintf(err, errlen, "%s: `%s` is not an absolute file path",
			 image, f->guest_path);
		free(path);
		return -1;
	}
	name = strrchr(path, '/');
	*name++ = '\0';
	for (p = path + 1; !rc && *p;) {
		char *slash = strchr(p, '/');

		if (slash)
			*slash = '\0';
		if (*p && strcmp(p, "."))
			rc = lookup_or_mkdir(fs, dir, p, &dir);
		p = slash ? slash + 1 : p + strlen(p);
	}
	if (rc) {
		free(path);
		return say(err, errlen, image, f->guest_path, rc);
	}
	rc = ext2fs_lookup(fs, dir, name, strlen(name), NULL, &ino);
	if (rc == EXT2_ET_FILE_NOT_FOUND)
		rc = new_file(fs, dir, name, f->mode, &ino);
	else if (!rc)
		rc = reset_file(fs, ino, f->mode);
	if (!rc)
		rc = write_data(fs, ino, f->data, f->len);
	free(path);
	return rc ? say(err, errlen, image, f->guest_path, rc) : 0;
}

int ext4_inject(const char *image, const struct ext4_file *files, size_t count,
		char *err, size_t errlen)
{
	ext2_filsys fs = NULL;
	errcode_t rc;
	int out = 0;

	rc = ext2fs_open(image, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
			 unix_io_manager, &fs);
	if (rc == EXT2_ET_BAD_MAGIC) {
		snprintf(err, errlen,
			 "%s: not an ext2/3/4 image; test_commands need the "
			 "rootfs as one",
			 image);
		return -1;
	}
	if (rc)
		return say(err, errlen, image, "cannot open", rc);
	rc = ext2fs_read_bitmaps(fs);
	if (rc) {
		ext2fs_close_free(&fs);
		return say(err, errlen, image, "cannot read the bitmaps", rc);
	}
	for (size_t i = 0; !out && i < count; i++)
		out = inject_one(fs, image, &files[i], err, errlen);
	rc = ext2fs_close_free(&fs);
	if (!out && rc)
		return say(err, errlen, image, "cannot write back", rc);
	return out;
}
