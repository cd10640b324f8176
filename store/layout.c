/* The managed image store: names, readiness, marker and lock. */
#include "layout.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/plugin.h>

bool store_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NAME_MAX - 16 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-' && c != '+')
			return false;
	}
	return true;
}

static int fill(struct store_paths *p, const char *dir, const char *name,
		char *err, size_t errlen)
{
	int n;

	if (!store_name_valid(name)) {
		snprintf(err, errlen,
			 "invalid image name `%s` (allowed: letters, digits, "
			 "'.', '_', '-', '+'; not starting with '.')",
			 name);
		return BP_EINVAL;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	p->layout = STORE_LAYOUT_FLAT;
	n = snprintf(p->image, sizeof(p->image), "%s/%s.img", dir, name);
	if (n < 0 || (size_t)n >= sizeof(p->image)) {
		snprintf(err, errlen, "image path too long: %s/%s.img", dir,
			 name);
		return BP_EINVAL;
	}
	/* SPEC: the archive is <image>.tar.xz, image name with its .img */
	snprintf(p->archive, sizeof(p->archive), "%s.tar.xz", p->image);
	snprintf(p->part, sizeof(p->part), "%s.part", p->archive);
	snprintf(p->tmp, sizeof(p->tmp), "%s.tmp", p->image);
	snprintf(p->marker, sizeof(p->marker), "%s.sha256", p->image);
	snprintf(p->record, sizeof(p->record), "%s.bootpipe-image", p->image);
	snprintf(p->lock, sizeof(p->lock), "%s.lock", p->image);
	return 0;
}

int store_paths_layout(struct store_paths *p, enum store_layout prefer,
		       char *err, size_t errlen)
{
	char flat[PATH_MAX];
	struct stat st;
	int n;

	snprintf(flat, sizeof(flat), "%s", p->image);
	if (lstat(flat, &st) == 0)
		prefer = S_ISDIR(st.st_mode) ? STORE_LAYOUT_TODAY
					     : STORE_LAYOUT_FLAT;
	p->layout = prefer;
	if (prefer == STORE_LAYOUT_FLAT)
		return 0;
	snprintf(p->unpack, sizeof(p->unpack), "%s", flat);
	n = snprintf(p->image, sizeof(p->image), "%s/%s.img", flat, p->name);
	if (n < 0 || (size_t)n >= sizeof(p->image)) {
		snprintf(err, errlen, "image path too long: %s/%s.img", flat,
			 p->name);
		return BP_EINVAL;
	}
	snprintf(p->marker, sizeof(p->marker), "%s/.archive.sha256", flat);
	snprintf(p->record, sizeof(p->record), "%s/.bootpipe-image", flat);
	snprintf(p->tmp, sizeof(p->tmp), "%s/.%s.img.tmp", p->dir, p->name);
	/* axbuild's name when the URL has none: <name>.img.tar.gz */
	snprintf(p->archive, sizeof(p->archive), "%s.tar.gz", flat);
	snprintf(p->part, sizeof(p->part), "%s.part", p->archive);
	return 0;
}

int store_paths_pin(struct store_paths *p, const char *version, char *err,
		    size_t errlen)
{
	char base[NAME_MAX + 1], at[PATH_MAX];
	struct stat st;
	int n;

	if (!version || !*version)
		return 0;
	n = snprintf(base, sizeof(base), "%s.img-%s", p->name, version);
	if (n < 0 || (size_t)n >= sizeof(base) || !store_name_valid(base)) {
		snprintf(err, errlen,
			 "invalid version `%s` of image %s (allowed: letters, "
			 "digits, '.', '_', '-', '+')",
			 version, p->name);
		return BP_EINVAL;
	}
	n = snprintf(at, sizeof(at), "%s/%s", p->dir, base);
	if (n < 0 || (size_t)n >= sizeof(at)) {
		snprintf(err, errlen, "path too long: %s/%s", p->dir, base);
		return BP_EINVAL;
	}
	if (lstat(at, &st) == 0 && S_ISDIR(st.st_mode))
		p->layout = STORE_LAYOUT_TODAY;
	if (p->layout == STORE_LAYOUT_FLAT)
		return 0;
	n = snprintf(p->image, sizeof(p->image), "%s/%s.img", at, p->name);
	if (n < 0 || (size_t)n >= sizeof(p->image)) {
		snprintf(err, errlen, "image path too long: %s/%s.img", at,
			 p->name);
		return BP_EINVAL;
	}
	snprintf(p->unpack, sizeof(p->unpack), "%s", at);
	snprintf(p->marker, sizeof(p->marker), "%s/.archive.sha256", at);
	snprintf(p->record, sizeof(p->record), "%s/.bootpipe-image", at);
	snprintf(p->tmp, sizeof(p->tmp), "%s/.%s.tmp", p->dir, base);
	/* axbuild's name when the URL has none: <name>.img-<version>.tar.gz;
	 * the lock stays the name's: the two may share the archive */
	snprintf(p->archive, sizeof(p->archive), "%s.tar.gz", at);
	snprintf(p->part, sizeof(p->part), "%s.part", p->archive);
	return 0;
}

void store_paths_set_archive(struct store_paths *p, const char *url)
{
	char base[NAME_MAX + 1];
	const char *end = strchr(url, '?');
	const char *slash;
	size_t n = end ? (size_t)(end - url) : strlen(url);

	if (p->layout != STORE_LAYOUT_TODAY)
		return;
	while (n > 0 && url[n - 1] == '/')
		n--;
	slash = memrchr(url, '/', n);
	slash = slash ? slash + 1 : url;
	if ((size_t)(url + n - slash) >= sizeof(base))
		return;
	snprintf(base, sizeof(base), "%.*s", (int)(url + n - slash), slash);
	/* a name that could leave the store, or be the unpack dir, is not
	 * used; axbuild's fallback name is kept then */
	if (!store_name_valid(base) ||
	    !strcmp(base, p->unpack + strlen(p->dir) + 1))
		return;
	snprintf(p->archive, sizeof(p->archive), "%s/%s", p->dir, base);
	snprintf(p->part, sizeof(p->part), "%s.part", p->archive);
}

int store_paths_init(struct store_paths *p, const char *image_path, char *err,
		     size_t errlen)
{
	char dir[PATH_MAX];
	char name[NAME_MAX + 1];
	const char *slash = strrchr(image_path, '/');
	const char *base = slash ? slash + 1 : image_path;
	size_t blen = strlen(base);

	memset(p, 0, sizeof(*p));
	if (blen < 5 || strcmp(base + blen - 4, ".img") != 0 ||
	    blen - 4 >= sizeof(name)) {
		snprintf(err, errlen,
			 "managed image %s must be named <name>.img",
			 image_path);
		return BP_EINVAL;
	}
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == image_path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - image_path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - image_path),
			 image_path);
	else {
		snprintf(err, errlen, "path too long: %s", image_path);
		return BP_EINVAL;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(blen - 4), base);
	return fill(p, dir, name, err, errlen);
}

int store_paths_for_name(struct store_paths *p, const char *store,
			 const char *name, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	return fill(p, store, name, err, errlen);
}

bool sha256_hex_parse(const char *hex, char out[SHA256_HEX_SIZE])
{
	size_t i;

	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)hex[i]))
			return false;
		out[i] = (char)tolower((unsigned char)hex[i]);
	}
	if (hex[i] != '\0')
		return false;
	out[64] = '\0';
	return true;
}

int store_marker_read(const struct store_paths *p, char out[SHA256_HEX_SIZE])
{
	char buf[128];
	ssize_t n;
	int fd = open(p->marker, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? BP_ENOENT : BP_EIO;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 64)
		return BP_EIO;
	buf[64] = '\0';
	return sha256_hex_parse(buf, out) ? 0 : BP_EIO;
}

bool store_image_ready(const struct store_paths *p, const char *sha256,
		       char *why, size_t whylen)
{
	char marker[SHA256_HEX_SIZE];
	char want[SHA256_HEX_SIZE];
	struct stat st;
	int rc;

	if (!why)
		whylen = 0;
	if (stat(p->image, &st) != 0) {
		if (whylen)
			snprintf(why, whylen, "%s: %s", p->image,
				 strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		if (whylen)
			snprintf(why, whylen, "%s is not a regular file",
				 p->image);
		return false;
	}
	if (st.st_size < STORE_MIN_IMAGE_SIZE) {
		if (whylen)
			snprintf(why, whylen,
				 "%s is %lld bytes, smaller than 1 MiB",
				 p->image, (long long)st.st_size);
		return false;
	}
	if (!sha256)
		return true;
	if (!sha256_hex_parse(sha256, want)) {
		if (whylen)
			snprintf(why, whylen, "bad checksum `%s`", sha256);
		return false;
	}
	rc = store_marker_read(p, marker);
	if (rc) {
		if (whylen)
			snprintf(why, whylen, "%s %s", p->marker,
				 rc == BP_ENOENT ? "is missing"
						 : "is unreadable");
		return false;
	}
	if (strcmp(marker, want) != 0) {
		if (whylen)
			snprintf(why, whylen,
				 "%s records sha256 %s, expected %s", p->marker,
				 marker, want);
		return false;
	}
	return true;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;
	int rc;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s",
			 (int)(slash == path ? 1 : slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int store_file_replace(const char *path, const char *text, char *err,
		       size_t errlen)
{
	char tmp[PATH_MAX + 48];
	size_t len = strlen(text);
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = store_open_new(tmp);
	if (fd < 0)
		goto fail;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		goto fail_unlink;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0)
		goto fail_unlink;
	fsync_dir_of(path);
	return 0;
fail_unlink:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	unlink(tmp);
	return BP_EIO;
fail:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	return BP_EIO;
}

int store_marker_write(const struct store_paths *p, const char *sha256,
		       char *err, size_t errlen)
{
	char line[SHA256_HEX_SIZE + 1];

	snprintf(line, sizeof(line), "%s\n", sha256);
	return store_file_replace(p->marker, line, err, errlen);
}

static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) != 0 &&
		       errno != ENOENT
		   ? -1
		   : 0;
}

int store_rmtree(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return 0;
	/* FTW_PHYS: a link inside is removed, never followed */
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		snprintf(err, errlen, "cannot remove %s: %s", path,
			 strerror(errno));
		return BP_EIO;
	}
	return 0;
}

int store_remove(const struct store_paths *p, char *err, size_t errlen)
{
	/* Marker first: an image without its marker is never taken as
	 * verified while the rest goes. */
	char part_src[sizeof(p->part) + 8];
	const char *files[] = {p->marker, p->record, p->image,
			       p->part,	  part_src,  p->archive};
	bool today = p->layout == STORE_LAYOUT_TODAY;

	/* download.c's record of where the part came from */
	snprintf(part_src, sizeof(part_src), "%s.src", p->part);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (unlink(files[i]) != 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot remove %s: %s", files[i],
				 strerror(errno));
			return BP_EIO;
		}
	}
	if (!today && unlink(p->tmp) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", p->tmp,
			 strerror(errno));
		return BP_EIO;
	}
	if (today && (store_rmtree(p->tmp, err, errlen) ||
		      store_rmtree(p->unpack, err, errlen)))
		return BP_EIO;
	return 0;
}

/* Refuses a directory another user could plant files or symlinks in. */
static int dir_fd_check(int fd, const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot use image store %s: %s", dir,
			 strerror(errno));
		return BP_EIO;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen,
			 "image store %s is owned by uid %u, not by you (uid "
			 "%u) or root: its owner could plant symlinks where "
			 "bootpipe writes; use a store of your own",
			 dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return BP_ECONFIG;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
			 "image store %s is writable by %s (mode %04o): they "
			 "could plant symlinks where bootpipe writes; run "
			 "chmod go-w %s",
			 dir, st.st_mode & S_IWOTH ? "every user" : "its group",
			 (unsigned)(st.st_mode & 07777), dir);
		return BP_ECONFIG;
	}
	return 0;
}

int store_dir_check(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		snprintf(err, errlen, "cannot use image store %s: %s", dir,
			 strerror(errno));
		return BP_EIO;
	}
	rc = dir_fd_check(fd, dir, err, errlen);
	close(fd);
	return rc;
}

/* The directory of @path, opened and checked: its fd, or -1 with errno
 * (EPERM: it failed the check, as if it had been swapped since). */
static int open_parent(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX], why[512];
	int fd;

	*base = slash ? slash + 1 : path;
	if (snprintf(dir, sizeof(dir), "%.*s",
		     slash ? (int)(slash == path ? 1 : slash - path) : 1,
		     slash ? path : ".") >= (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && dir_fd_check(fd, dir, why, sizeof(why)) != 0) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int store_openat(const char *path, int flags, mode_t mode)
{
	const char *base;
	int dir = open_parent(path, &base);
	int fd, saved;

	if (dir < 0)
		return -1;
	fd = openat(dir, base, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST && (flags & O_EXCL) &&
	    unlinkat(dir, base, 0) == 0)
		fd = openat(dir, base, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	saved = errno;
	close(dir);
	errno = saved;
	return fd;
}

int store_open_new(const char *path)
{
	return store_openat(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
}

int store_mkdir(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t n;
	int len = snprintf(path, sizeof(path), "%s", dir);

	if (len < 0 || (size_t)len >= sizeof(path)) {
		snprintf(err, errlen, "path too long: %s", dir);
		return BP_EINVAL;
	}
	n = (size_t)len;
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) == 0) {
			/* not group-writable under umask 002 either:
			 * store_dir_check refuses that */
			chmod(path, 0755);
		} else if (errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", path,
				 strerror(errno));
			return BP_EIO;
		}
		if (i < n)
			path[i] = '/';
	}
	return 0;
}
