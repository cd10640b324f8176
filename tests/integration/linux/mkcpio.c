/*
 * mkcpio: packs a staging folder into a gzip-compressed newc cpio archive,
 * the initramfs format the Linux kernel unpacks. Entries are owned by root,
 * dated 0 and sorted by name, so the same folder gives the same archive
 * whoever builds it. The archive is written beside OUTPUT and renamed into
 * place only when whole.
 *
 *   mkcpio OUTPUT.cpio.gz STAGING_DIR
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail_archive(struct archive *a, const char *what)
{
	fprintf(stderr, "mkcpio: %s: %s\n", what, archive_error_string(a));
	return -1;
}

static int write_data(struct archive *a, const char *path)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "mkcpio: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (archive_write_data(a, buf, (size_t)n) != n) {
			close(fd);
			return fail_archive(a, path);
		}
	}
	if (n < 0)
		fprintf(stderr, "mkcpio: %s: %s\n", path, strerror(errno));
	close(fd);
	return n < 0 ? -1 : 0;
}

/* One entry: `name` is its path in the archive, `path` on disk. */
static int add_entry(struct archive *a, const char *path, const char *name,
		     const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	char target[PATH_MAX];
	ssize_t len;
	int rc = -1;

	if (!e)
		return fail_archive(a, "out of memory");
	archive_entry_copy_stat(e, st);
	archive_entry_set_pathname(e, name);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_atime(e, 0, 0);
	archive_entry_set_ctime(e, 0, 0);
	archive_entry_set_nlink(e, S_ISDIR(st->st_mode) ? 2 : 1);
	if (S_ISLNK(st->st_mode)) {
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0) {
			fprintf(stderr, "mkcpio: %s: %s\n", path,
				strerror(errno));
			goto out;
		}
		target[len] = '\0';
		archive_entry_set_symlink(e, target);
	} else if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
		fprintf(stderr, "mkcpio: %s: not a file, folder or symlink\n",
			path);
		goto out;
	}
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		fail_archive(a, name);
		goto out;
	}
	rc = S_ISREG(st->st_mode) ? write_data(a, path) : 0;
out:
	archive_entry_free(e);
	return rc;
}

/* Adds everything below `dir` (archive name `prefix`), sorted by name. */
static int add_tree(struct archive *a, const char *dir, const char *prefix)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	int rc = 0;

	if (n < 0) {
		fprintf(stderr, "mkcpio: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *base = names[i]->d_name;
		char path[PATH_MAX], name[PATH_MAX];
		struct stat st;

		if (rc || !strcmp(base, ".") || !strcmp(base, ".."))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, base) >=
			sizeof(path) ||
		    (size_t)snprintf(name, sizeof(name), "%s%s%s", prefix,
				     *prefix ? "/" : "",
				     base) >= sizeof(name)) {
			fprintf(stderr, "mkcpio: %s/%s: path too long\n", dir,
				base);
			rc = -1;
			continue;
		}
		if (lstat(path, &st) != 0) {
			fprintf(stderr, "mkcpio: %s: %s\n", path,
				strerror(errno));
			rc = -1;
			continue;
		}
		rc = add_entry(a, path, name, &st);
		if (!rc && S_ISDIR(st.st_mode))
			rc = add_tree(a, path, name);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	struct archive *a;
	char tmp[PATH_MAX];
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: mkcpio OUTPUT.cpio.gz STAGING_DIR\n");
		return 2;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.part", argv[1]) >=
	    sizeof(tmp)) {
		fprintf(stderr, "mkcpio: %s: path too long\n", argv[1]);
		return 1;
	}
	a = archive_write_new();
	if (!a || archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		rc = a ? fail_archive(a, tmp) : -1;
		archive_write_free(a);
		unlink(tmp);
		return 1;
	}
	rc = add_tree(a, argv[2], "");
	if (archive_write_close(a) != ARCHIVE_OK && !rc)
		rc = fail_archive(a, tmp);
	archive_write_free(a);
	if (!rc && rename(tmp, argv[1]) != 0) {
		fprintf(stderr, "mkcpio: %s: %s\n", argv[1], strerror(errno));
		rc = -1;
	}
	if (rc)
		unlink(tmp);
	return rc ? 1 : 0;
}
