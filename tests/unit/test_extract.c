/*
 * fetch-rootfs extraction: the image entry comes out whole and sparse;
 * hostile archives (.., absolute paths, links, devices, truncated data,
 * no image, an entry too small to be an image) are clean errors that
 * write nothing outside the store; the image's sha256 is computed on the
 * way.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include <bootpipe/error.h>

#include "download.h"
#include "extract.h"
#include "testutil.h"

#define IMG "rootfs-aarch64-alpine.img"
#define IMG_SIZE (8 << 20)

static char top[PATH_MAX / 2];	      /* holds store/ and whatever escapes it */
static char store[PATH_MAX / 2 + 16]; /* top/store */
static char archive_path[PATH_MAX + 32];
static char dest[PATH_MAX + 32];

enum kind { REG, SYMLINK, HARDLINK, CHR, DIR_ };

struct entry {
	const char *path;
	enum kind kind;
	int64_t size; /* REG: IMG-like content when >= 1 MiB, else text */
};

static int setup(void **state)
{
	(void)state;
	if (tu_mkdtemp(top, sizeof(top), "extract") != 0)
		return -1;
	snprintf(store, sizeof(store), "%s/store", top);
	snprintf(archive_path, sizeof(archive_path), "%s/a.tar.xz", store);
	snprintf(dest, sizeof(dest), "%s/" IMG ".tmp", store);
	return mkdir(store, 0755);
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(top);
}

/* The byte at @off of the test image: data at 0..64K and 5M..5M+4K. */
static unsigned char image_byte(int64_t off)
{
	if (off < 65536 || (off >= (5 << 20) && off < (5 << 20) + 4096))
		return (unsigned char)((off * 2654435761u) >> 13 | 1);
	return 0;
}

static void write_reg(struct archive *a, int64_t size)
{
	static unsigned char buf[65536];

	for (int64_t off = 0; off < size; off += (int64_t)sizeof(buf)) {
		size_t n = size - off < (int64_t)sizeof(buf)
			       ? (size_t)(size - off)
			       : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = size >= (1 << 20)
				     ? image_byte(off + (int64_t)i)
				     : 'a';
		assert_int_equal(archive_write_data(a, buf, n), (ssize_t)n);
	}
}

/* Writes @entries as a tar with @filter (ARCHIVE_FILTER_*). */
static void make_archive(const char *path, int filter,
			 const struct entry *entries, size_t count)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e;

	assert_non_null(a);
	assert_int_equal(archive_write_set_format_pax_restricted(a),
			 ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < count; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, entries[i].path);
		archive_entry_set_perm(e, 0644);
		switch (entries[i].kind) {
		case REG:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, entries[i].size);
			break;
		case SYMLINK:
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, "../escaped");
			break;
		case HARDLINK:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, "other");
			break;
		case CHR:
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdev(e, 0x0103);
			break;
		case DIR_:
			archive_entry_set_filetype(e, AE_IFDIR);
			break;
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (entries[i].kind == REG)
			write_reg(a, entries[i].size);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static struct extract_result result;

static int run_extract(bool *corrupt, char *err, size_t errlen)
{
	struct extract_request r = {
	    .archive = archive_path,
	    .entry = IMG,
	    .dest = dest,
	    .what = "extract",
	    .min_size = 1 << 20,
	};

	memset(&result, 0, sizeof(result));
	return extract_image(&r, &result, corrupt, err, errlen);
}

static void assert_image(const char *path)
{
	static unsigned char buf[65536];
	struct stat st;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, IMG_SIZE);
	for (int64_t off = 0; off < IMG_SIZE; off += (int64_t)sizeof(buf)) {
		assert_int_equal(read(fd, buf, sizeof(buf)), sizeof(buf));
		for (size_t i = 0; i < sizeof(buf); i++)
			if (buf[i] != image_byte(off + (int64_t)i))
				fail_msg("byte %lld differs",
					 (long long)(off + (int64_t)i));
	}
	close(fd);
	/* 68 KiB of data: the rest must be holes, not 8 MiB of zeros. */
	assert_true((int64_t)st.st_blocks * 512 <= 256 * 1024);
}

/* The result describes @path as it was written: the sha256 of its bytes
 * (holes read as zeros), its size and mtime. */
static void assert_result(const char *path)
{
	char want[SHA256_HEX_SIZE], err[512];
	struct stat st;

	assert_int_equal(sha256_file(path, want, err, sizeof(err)), 0);
	assert_string_equal(result.sha256, want);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(result.size, st.st_size);
	assert_int_equal(result.mtime.tv_sec, st.st_mtim.tv_sec);
	assert_int_equal(result.mtime.tv_nsec, st.st_mtim.tv_nsec);
}

/* Nothing but store/ in top/, and in store/ only @allowed (may be NULL)
 * besides the archive. */
static void assert_nothing_else(const char *allowed)
{
	char cmd[PATH_MAX * 3];
	int n;

	snprintf(
	    cmd, sizeof(cmd),
	    "test \"$(ls -A '%s')\" = store && "
	    "test \"$(ls -A '%s' | grep -v '^a.tar.xz$' | grep -vx '%s')\" "
	    "= ''",
	    top, store, allowed ? allowed : "-");
	n = system(cmd);
	assert_int_equal(n, 0);
}

static void check_filter(int filter)
{
	const struct entry e[] = {
	    {"README", REG, 10},
	    {"./images/" IMG, REG, IMG_SIZE},
	};
	char err[1024] = "";
	bool corrupt = true;

	make_archive(archive_path, filter, e, 2);
	assert_int_equal(run_extract(&corrupt, err, sizeof(err)), 0);
	assert_false(corrupt);
	assert_image(dest);
	assert_result(dest);
	assert_nothing_else(IMG ".tmp");
}

static void test_xz_sparse(void **state)
{
	(void)state;
	check_filter(ARCHIVE_FILTER_XZ);
}

/* The archive is always named .tar.xz: the format comes from content. */
static void test_other_compressions(void **state)
{
	(void)state;
	check_filter(ARCHIVE_FILTER_ZSTD);
	check_filter(ARCHIVE_FILTER_GZIP);
	check_filter(ARCHIVE_FILTER_BZIP2);
	check_filter(ARCHIVE_FILTER_NONE);
}

static void test_replaces_stale_tmp(void **state)
{
	const struct entry e[] = {{IMG, REG, IMG_SIZE}};
	char err[1024];
	bool corrupt;
	int fd;

	(void)state;
	/* A killed run left a bigger .tmp behind. */
	fd = open(dest, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 3 * IMG_SIZE), 0);
	close(fd);
	make_archive(archive_path, ARCHIVE_FILTER_XZ, e, 1);
	assert_int_equal(run_extract(&corrupt, err, sizeof(err)), 0);
	assert_image(dest);
}

static void expect_failure(const struct entry *e, size_t count, int status,
			   const char *words, bool want_corrupt)
{
	char err[1024] = "";
	bool corrupt = !want_corrupt;
	struct stat st;

	make_archive(archive_path, ARCHIVE_FILTER_XZ, e, count);
	assert_int_equal(run_extract(&corrupt, err, sizeof(err)), status);
	if (!strstr(err, words))
		fail_msg("message `%s` lacks `%s`", err, words);
	assert_int_equal(corrupt, want_corrupt);
	assert_int_not_equal(lstat(dest, &st), 0);
	assert_nothing_else(NULL);
}

static void test_dotdot(void **state)
{
	const struct entry e[] = {{"../" IMG, REG, IMG_SIZE},
				  {"x/../../" IMG, REG, IMG_SIZE}};

	(void)state;
	expect_failure(e, 2, BP_ENOENT, "skipped unsafe path x/../../" IMG,
		       false);
}

static void test_absolute(void **state)
{
	char abs[PATH_MAX + 32];
	struct entry e[] = {{abs, REG, IMG_SIZE}};

	(void)state;
	snprintf(abs, sizeof(abs), "%s/" IMG, top);
	expect_failure(e, 1, BP_ENOENT, "skipped unsafe path /", false);
}

static void test_symlink(void **state)
{
	const struct entry e[] = {{IMG, SYMLINK, 0}};

	(void)state;
	expect_failure(e, 1, BP_EINFRA, "is a symbolic link", false);
}

static void test_hardlink(void **state)
{
	const struct entry e[] = {{"other", REG, 10}, {IMG, HARDLINK, 0}};

	(void)state;
	expect_failure(e, 2, BP_EINFRA, "is a hard link", false);
}

static void test_device(void **state)
{
	const struct entry e[] = {{IMG, CHR, 0}};

	(void)state;
	expect_failure(e, 1, BP_EINFRA, "is a device", false);
}

static void test_missing(void **state)
{
	const struct entry e[] = {
	    {"a.txt", REG, 3},
	    {"dir/", DIR_, 0},
	    {"b.txt", REG, 3},
	    {"c", REG, 1},
	    {"d", REG, 1},
	    {"e", REG, 1},
	    {"rootfs-aarch64-alpine.img.bak", REG, 1},
	};

	(void)state;
	expect_failure(e, 7, BP_ENOENT,
		       "has no entry named " IMG
		       "; it has a.txt, dir/, b.txt, c, d and 2 more",
		       false);
}

static void test_truncated(void **state)
{
	const struct entry e[] = {{IMG, REG, IMG_SIZE}};
	char err[1024] = "";
	bool corrupt = false;
	struct stat st;

	(void)state;
	make_archive(archive_path, ARCHIVE_FILTER_XZ, e, 1);
	assert_int_equal(stat(archive_path, &st), 0);
	assert_int_equal(truncate(archive_path, st.st_size / 2), 0);
	assert_int_equal(run_extract(&corrupt, err, sizeof(err)), BP_EINFRA);
	assert_true(corrupt);
	assert_non_null(strstr(err, archive_path));
	assert_int_not_equal(lstat(dest, &st), 0);
}

/* A name longer than any path buffer: its base name is that of the
 * whole name, not of a cut copy that ends in the image's name. */
static void test_long_name(void **state)
{
	static char evil[8192], good[8192];
	struct entry e[] = {{evil, REG, IMG_SIZE}};
	char err[1024] = "";
	bool corrupt;
	size_t n = 0;

	(void)state;
	/* "a/a/.../bb" so that "/" IMG ends exactly at byte 4095: a copy
	 * cut to 4 KiB (4095 characters and the NUL) ends in "/" IMG and
	 * would take the entry below it for the image */
	while (n + 3 + 1 + strlen(IMG) <= 4095) {
		evil[n++] = 'a';
		evil[n++] = '/';
	}
	while (n + 1 + strlen(IMG) < 4095)
		evil[n++] = 'b';
	snprintf(evil + n, sizeof(evil) - n, "/%s.not-the-image/evil", IMG);
	assert_int_equal(n + 1 + strlen(IMG), 4095);
	assert_memory_equal(evil + 4095 - strlen(IMG), IMG, strlen(IMG));
	expect_failure(e, 1, BP_ENOENT, "has no entry named " IMG, false);
	/* the image itself deep down such a tree is found, also when its
	 * name ends past any path buffer */
	snprintf(good, sizeof(good), "%.*sbb/%s", (int)n, evil, IMG);
	assert_true(strlen(good) > 4096);
	e[0].path = good;
	make_archive(archive_path, ARCHIVE_FILTER_XZ, e, 1);
	assert_int_equal(run_extract(&corrupt, err, sizeof(err)), 0);
	assert_image(dest);
}

/* An entry smaller than min_size is no image: refused, nothing kept. */
static void test_too_small(void **state)
{
	const struct entry e[] = {{"dir/" IMG, REG, 4096}};

	(void)state;
	expect_failure(e, 1, BP_EINFRA,
		       "entry dir/" IMG " is 4096 bytes, smaller than the "
		       "1048576 a rootfs image has at least; refusing it",
		       false);
}

/* Holes count in the digest: a sparse tar entry (GNU tar -S) has gaps
 * between its data blocks and after the last; they hash as zeros. */
static void test_sparse_digest(void **state)
{
	char src[PATH_MAX + 32], cmd[PATH_MAX * 3], err[1024] = "";
	char want[SHA256_HEX_SIZE];
	unsigned char block[4096];
	bool corrupt;
	int fd;

	(void)state;
	snprintf(src, sizeof(src), "%s/src", top);
	assert_int_equal(mkdir(src, 0755), 0);
	snprintf(src, sizeof(src), "%s/src/" IMG, top);
	fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	memset(block, 0x5a, sizeof(block));
	assert_int_equal(pwrite(fd, block, sizeof(block), 1 << 20),
			 (ssize_t)sizeof(block));
	assert_int_equal(pwrite(fd, block, sizeof(block), 3 << 20),
			 (ssize_t)sizeof(block));
	assert_int_equal(ftruncate(fd, IMG_SIZE), 0);
	close(fd);
	assert_int_equal(sha256_file(src, want, err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "tar -C '%s/src' -cSzf '%s' " IMG, top,
		 archive_path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run_extract(&corrupt, err, sizeof(err)), 0);
	assert_string_equal(result.sha256, want);
	assert_int_equal(result.size, IMG_SIZE);
	assert_result(dest);
}

static void test_not_an_archive(void **state)
{
	char err[1024] = "";
	bool corrupt = false;
	(void)state;
	tu_write_file(archive_path, "<html>Not Found</html>\n");
	assert_int_equal(run_extract(&corrupt, err, sizeof(err)), BP_EINFRA);
	assert_true(corrupt);
}

/* A release tarball: the entry is a path below the top directory, so
 * the loongarch64 code.fd is taken, not the first code.fd, nor one at
 * another depth. */
static void test_below_top(void **state)
{
	const struct entry e[] = {
	    {"loongarch64/code.fd", REG, 11},
	    {"rel/aarch64/code.fd", REG, 12},
	    {"rel/x/loongarch64/code.fd", REG, 13},
	    {"./rel/loongarch64/code.fd", REG, 14},
	    {"rel/x64/code.fd", REG, 15},
	};
	struct extract_request r = {
	    .archive = archive_path,
	    .entry = "loongarch64/code.fd",
	    .entry_below_top = true,
	    .dest = dest,
	    .what = "extract",
	};
	char err[1024] = "";
	bool corrupt = false;

	(void)state;
	make_archive(archive_path, ARCHIVE_FILTER_XZ, e, 5);
	assert_int_equal(extract_image(&r, &result, &corrupt, err, sizeof(err)),
			 0);
	assert_int_equal(result.size, 14);
	r.entry = "riscv64/code.fd";
	assert_int_equal(extract_image(&r, &result, &corrupt, err, sizeof(err)),
			 BP_ENOENT);
	if (!strstr(err, "has no entry named riscv64/code.fd"))
		fail_msg("message `%s`", err);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_xz_sparse),
	    T(test_other_compressions),
	    T(test_replaces_stale_tmp),
	    T(test_dotdot),
	    T(test_absolute),
	    T(test_symlink),
	    T(test_hardlink),
	    T(test_device),
	    T(test_missing),
	    T(test_truncated),
	    T(test_not_an_archive),
	    T(test_long_name),
	    T(test_too_small),
	    T(test_sparse_digest),
	    T(test_below_top),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
