/*
 * The managed image store: file names beside an image, the readiness rule,
 * the checksum marker and the per-image lock.
 *
 * For an image <dir>/<name>.img the store uses, in the same directory:
 *   <name>.tar.xz        the archive (any compression; detected by content)
 *   <name>.tar.xz.part   download in progress (never the final name)
 *   <name>.img.tmp       extraction in progress
 *   <name>.img.sha256    marker: the archive checksum the image came from
 *   <name>.img.bootpipe-image  bootpipe's record of the image itself
 *   <name>.img.lock      flock while an image is being ensured or removed
 *
 * That is the seed-era flat layout. Today's axbuild unpacks into a
 * directory instead (<name>.img-<version>/ for a pinned version):
 *   <name>.img/<name>.img        the image
 *   <name>.img/.archive.sha256   marker: the archive checksum
 *   <name>.img/.bootpipe-image   bootpipe's record of the image itself
 *   <file name of the URL>       the archive, kept (axbuild checks it)
 *   .<name>.img.tmp/             extraction in progress
 * The record (image_record.h) is bootpipe's own; axbuild's marker stays
 * as axbuild writes it.
 * Which one an image has is decided per image: an existing directory is
 * today's, an existing file the flat one, else the store's choice.
 */
#ifndef BP_STORE_LAYOUT_H
#define BP_STORE_LAYOUT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* An image must be at least this large to count as ready. */
#define STORE_MIN_IMAGE_SIZE (1024 * 1024)

/* Hex SHA-256 plus NUL. */
#define SHA256_HEX_SIZE 65

enum store_layout {
	STORE_LAYOUT_FLAT,  /* <dir>/<name>.img */
	STORE_LAYOUT_TODAY, /* <dir>/<name>.img/<name>.img */
};

struct store_paths {
	enum store_layout layout;
	char dir[PATH_MAX];
	char unpack[PATH_MAX + 8]; /* today's: <dir>/<name>.img */
	char name[NAME_MAX + 1];   /* image name without ".img" */
	char image[PATH_MAX];
	/* Derived from image: room for their suffixes. */
	char archive[PATH_MAX + NAME_MAX + 16];
	char part[PATH_MAX + NAME_MAX + 32];
	char tmp[PATH_MAX + NAME_MAX + 16];
	char marker[PATH_MAX + 16];
	char record[PATH_MAX + 32];
	char lock[PATH_MAX + 16];
};

/* True when @name is a safe image name: [A-Za-z0-9._+-], not starting
 * with '.', no '/', so that every derived path stays in its directory. */
bool store_name_valid(const char *name);

/*
 * Fills @p for the image at @image_path (which must end in ".img" and
 * have a valid name). 0, or BP_EINVAL with a message in @err.
 */
int store_paths_init(struct store_paths *p, const char *image_path, char *err,
		     size_t errlen);

/* The same for image @name (without ".img") inside directory @store. */
int store_paths_for_name(struct store_paths *p, const char *store,
			 const char *name, char *err, size_t errlen);

/*
 * Settles the layout of @p (filled by store_paths_init/_for_name): an
 * existing <dir>/<name>.img decides, else @prefer. 0 or BP_EINVAL.
 */
int store_paths_layout(struct store_paths *p, enum store_layout prefer,
		       char *err, size_t errlen);

/*
 * A pinned registry version @version ("" or NULL: none) of @p, after
 * store_paths_layout: today's layout unpacks it beside the unpinned image,
 * into <dir>/<name>.img-<version>/ (axbuild's image_extract_dir_name), so
 * either is reused as axbuild left it and neither replaces the other. An
 * existing such directory makes the layout today's; the flat layout keeps
 * one image per name. 0, or BP_EINVAL for a version that is no safe name.
 */
int store_paths_pin(struct store_paths *p, const char *version, char *err,
		    size_t errlen);

/* Today's layout keeps the archive under the file name of its URL. */
void store_paths_set_archive(struct store_paths *p, const char *url);

/* True when @hex is 64 hex digits; lower-cases it into @out. */
bool sha256_hex_parse(const char *hex, char out[SHA256_HEX_SIZE]);

/*
 * Readiness (SPEC): a regular file of at least STORE_MIN_IMAGE_SIZE and,
 * when @sha256 (the known archive checksum, may be NULL) is given, a marker
 * that records it. @why (may be NULL) gets a short reason when not ready.
 */
bool store_image_ready(const struct store_paths *p, const char *sha256,
		       char *why, size_t whylen);

/* Reads the marker: 0 and the checksum, BP_ENOENT, or BP_EIO. */
int store_marker_read(const struct store_paths *p, char out[SHA256_HEX_SIZE]);

/* Writes the marker atomically (tmp file, fsync, rename). */
int store_marker_write(const struct store_paths *p, const char *sha256,
		       char *err, size_t errlen);

/* Replaces @path with @text atomically (tmp file, fsync, rename). */
int store_file_replace(const char *path, const char *text, char *err,
		       size_t errlen);

/* Removes the image and every file beside it except the lock. */
int store_remove(const struct store_paths *p, char *err, size_t errlen);

/* Removes @path and all below it, never following a link. */
int store_rmtree(const char *path, char *err, size_t errlen);

/* Ensures the directory exists (mkdir -p). */
int store_mkdir(const char *dir, char *err, size_t errlen);

/*
 * Opens @path in the store with openat(2) relative to its directory, once
 * that directory (the fd itself, not its name again) has passed
 * store_dir_check's rules, so a directory swapped for a link in between
 * cannot redirect the write; O_NOFOLLOW and O_CLOEXEC are added. With
 * O_EXCL whatever is there is unlinked first. The fd, or -1 with errno
 * (EPERM: the directory failed the check).
 */
int store_openat(const char *path, int flags, mode_t mode);

/*
 * Creates the temporary @path for writing (store_openat with O_EXCL):
 * a stale temporary or a planted symlink is unlinked, never followed.
 */
int store_open_new(const char *path);

/*
 * Refuses a store directory another user could plant files or symlinks
 * in: owned by someone other than the caller and root, or writable by
 * its group or others. 0, or BP_ECONFIG with the path, the bit and the
 * fix in @err.
 */
int store_dir_check(const char *dir, char *err, size_t errlen);

#endif
