/* fetch-rootfs store: names, readiness, marker, record, lock. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <bootpipe/error.h>

#include "image_record.h"
#include "layout.h"
#include "lock.h"
#include "testutil.h"

static char dir[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(dir, sizeof(dir), "store");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(dir);
}

static void make_file(const char *path, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(store_name_valid("rootfs-aarch64-alpine"));
	assert_true(store_name_valid("rootfs-x86_64-debian.v2+1"));
	assert_false(store_name_valid(""));
	assert_false(store_name_valid(".."));
	assert_false(store_name_valid(".hidden"));
	assert_false(store_name_valid("../etc/passwd"));
	assert_false(store_name_valid("a/b"));
	assert_false(store_name_valid("a b"));
}

static void test_paths(void **state)
{
	struct store_paths p;
	char err[256];

	(void)state;
	assert_int_equal(store_paths_init(&p, "/s/rootfs-aarch64-alpine.img",
					  err, sizeof(err)),
			 0);
	assert_string_equal(p.name, "rootfs-aarch64-alpine");
	assert_string_equal(p.image, "/s/rootfs-aarch64-alpine.img");
	assert_string_equal(p.archive, "/s/rootfs-aarch64-alpine.img.tar.xz");
	assert_string_equal(p.part, "/s/rootfs-aarch64-alpine.img.tar.xz.part");
	assert_string_equal(p.tmp, "/s/rootfs-aarch64-alpine.img.tmp");
	assert_string_equal(p.marker, "/s/rootfs-aarch64-alpine.img.sha256");
	assert_string_equal(p.record,
			    "/s/rootfs-aarch64-alpine.img.bootpipe-image");
	assert_string_equal(p.lock, "/s/rootfs-aarch64-alpine.img.lock");
	assert_int_equal(
	    store_paths_init(&p, "/s/rootfs.raw", err, sizeof(err)), BP_EINVAL);
	assert_non_null(strstr(err, "/s/rootfs.raw"));
	assert_int_equal(store_paths_init(&p, "/s/.img", err, sizeof(err)),
			 BP_EINVAL);
	assert_int_equal(
	    store_paths_for_name(&p, "/s", "../x", err, sizeof(err)),
	    BP_EINVAL);
	assert_int_equal(
	    store_paths_for_name(&p, "/st", "img1", err, sizeof(err)), 0);
	assert_string_equal(p.image, "/st/img1.img");
	/* today's: the record beside axbuild's marker, in the unpack dir */
	assert_int_equal(
	    store_paths_layout(&p, STORE_LAYOUT_TODAY, err, sizeof(err)), 0);
	assert_string_equal(p.marker, "/st/img1.img/.archive.sha256");
	assert_string_equal(p.record, "/st/img1.img/.bootpipe-image");
}

static const char sum[] =
    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
static const char sum_lower[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char other[] =
    "1111111111111111111111111111111111111111111111111111111111111111";

static void test_ready(void **state)
{
	struct store_paths p;
	char err[256], why[512], got[SHA256_HEX_SIZE];

	(void)state;
	assert_int_equal(
	    store_paths_for_name(&p, dir, "rootfs-x-alpine", err, sizeof(err)),
	    0);
	assert_false(store_image_ready(&p, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "No such file"));

	make_file(p.image, 4096);
	assert_false(store_image_ready(&p, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "smaller than 1 MiB"));

	make_file(p.image, STORE_MIN_IMAGE_SIZE);
	/* An axbuild image: no marker, no known checksum, reused. */
	assert_true(store_image_ready(&p, NULL, why, sizeof(why)));
	/* With a checksum known, the marker is required... */
	assert_false(store_image_ready(&p, sum, why, sizeof(why)));
	assert_non_null(strstr(why, "missing"));
	assert_int_equal(store_marker_write(&p, sum_lower, err, sizeof(err)),
			 0);
	assert_int_equal(store_marker_read(&p, got), 0);
	assert_string_equal(got, sum_lower);
	/* ...and must match, in any case of hex digits. */
	assert_true(store_image_ready(&p, sum, why, sizeof(why)));
	assert_false(store_image_ready(&p, other, why, sizeof(why)));
	assert_non_null(strstr(why, "expected 1111"));

	/* A directory with the image's name is not an image. */
	assert_int_equal(unlink(p.image), 0);
	assert_int_equal(mkdir(p.image, 0755), 0);
	assert_false(store_image_ready(&p, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "not a regular file"));
	assert_int_equal(rmdir(p.image), 0);
}

/* A record of @p's image as it is now, from archive @archive. */
static void record_now(const struct store_paths *p, const char *archive)
{
	struct image_record r = {0};
	char err[256];
	struct stat st;

	assert_int_equal(stat(p->image, &st), 0);
	snprintf(r.sha256, sizeof(r.sha256), "%s", other);
	snprintf(r.archive, sizeof(r.archive), "%s", archive);
	r.size = st.st_size;
	r.mtime = st.st_mtim;
	assert_int_equal(image_record_write(p->record, &r, err, sizeof(err)),
			 0);
}

static void test_record(void **state)
{
	struct store_paths p;
	struct image_record r = {0}, got;
	char err[256], why[512];
	struct timespec times[2];

	(void)state;
	assert_int_equal(
	    store_paths_for_name(&p, dir, "rootfs-x-alpine", err, sizeof(err)),
	    0);
	/* written and read back whole, nanoseconds and all */
	snprintf(r.sha256, sizeof(r.sha256), "%s", other);
	snprintf(r.archive, sizeof(r.archive), "%s", sum_lower);
	r.size = 8 << 20;
	r.mtime = (struct timespec){1700000000, 1234};
	assert_int_equal(image_record_write(p.record, &r, err, sizeof(err)), 0);
	assert_int_equal(image_record_read(p.record, &got), 0);
	assert_string_equal(got.sha256, other);
	assert_string_equal(got.archive, sum_lower);
	assert_int_equal(got.size, 8 << 20);
	assert_int_equal(got.mtime.tv_sec, 1700000000);
	assert_int_equal(got.mtime.tv_nsec, 1234);

	make_file(p.image, STORE_MIN_IMAGE_SIZE);
	/* axbuild's store: no record, an unknown image, not a changed one */
	assert_int_equal(unlink(p.record), 0);
	assert_int_equal(image_check(&p, NULL, why, sizeof(why)),
			 IMAGE_UNKNOWN);
	assert_non_null(strstr(why, "no record"));
	/* a record of another archive than the marker's is stale */
	assert_int_equal(store_marker_write(&p, sum_lower, err, sizeof(err)),
			 0);
	record_now(&p, other);
	assert_int_equal(image_check(&p, NULL, why, sizeof(why)),
			 IMAGE_UNKNOWN);
	assert_non_null(strstr(why, "another archive"));
	record_now(&p, sum_lower);
	assert_int_equal(image_check(&p, &got, why, sizeof(why)),
			 IMAGE_UNCHANGED);
	assert_string_equal(got.sha256, other);
	/* the same size, another mtime */
	times[0] = (struct timespec){0, UTIME_OMIT};
	times[1] = (struct timespec){1000000000, 5};
	assert_int_equal(utimensat(AT_FDCWD, p.image, times, 0), 0);
	assert_int_equal(image_check(&p, NULL, why, sizeof(why)),
			 IMAGE_CHANGED);
	assert_non_null(strstr(why, "extracted"));
	/* another size: truncated */
	record_now(&p, sum_lower);
	assert_int_equal(truncate(p.image, STORE_MIN_IMAGE_SIZE - 512), 0);
	assert_int_equal(image_check(&p, NULL, why, sizeof(why)),
			 IMAGE_CHANGED);
	assert_non_null(strstr(why, "1048064 bytes, 1048576 when"));
	/* a record that is not one is no reason to boot */
	tu_write_file(p.record, "sha256 nonsense\n");
	assert_int_equal(image_record_read(p.record, &got), BP_EIO);
	assert_int_equal(image_check(&p, NULL, why, sizeof(why)),
			 IMAGE_CHANGED);
	assert_non_null(strstr(why, "unreadable"));
}

static void test_remove(void **state)
{
	struct store_paths p;
	char err[256];
	struct stat st;

	(void)state;
	assert_int_equal(store_paths_for_name(&p, dir, "img", err, sizeof(err)),
			 0);
	make_file(p.image, 10);
	make_file(p.part, 10);
	make_file(p.tmp, 10);
	make_file(p.lock, 0);
	assert_int_equal(store_marker_write(&p, sum_lower, err, sizeof(err)),
			 0);
	make_file(p.record, 10);
	assert_int_equal(store_remove(&p, err, sizeof(err)), 0);
	assert_int_not_equal(stat(p.image, &st), 0);
	assert_int_not_equal(stat(p.marker, &st), 0);
	assert_int_not_equal(stat(p.record, &st), 0);
	assert_int_not_equal(stat(p.part, &st), 0);
	assert_int_not_equal(stat(p.tmp, &st), 0);
	/* The lock stays: removing it would let two holders coexist. */
	assert_int_equal(stat(p.lock, &st), 0);
	/* Removing what is gone is fine. */
	assert_int_equal(store_remove(&p, err, sizeof(err)), 0);
}

static void test_lock(void **state)
{
	struct store_paths p;
	char err[256];
	int fd = -1, status;
	pid_t pid;

	(void)state;
	assert_int_equal(store_paths_for_name(&p, dir, "img", err, sizeof(err)),
			 0);
	assert_int_equal(store_lock_try(&p, &fd, err, sizeof(err)), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int cfd = -1;

		/* Held by the parent: busy, and no fd leaks out. */
		_exit(store_lock_try(&p, &cfd, err, sizeof(err)) == 1 &&
			      cfd == -1
			  ? 0
			  : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	store_unlock(fd);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int cfd = -1;

		_exit(store_lock_wait(&p, &cfd, err, sizeof(err)) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_mkdir(void **state)
{
	char path[PATH_MAX + 32], err[256];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(store_mkdir(path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(store_mkdir(path, err, sizeof(err)), 0);
}

/* Each write in the store opens its file relative to the directory it
 * has just checked: a directory that fails the check (here made
 * group-writable after the store was set up) is refused at the open, and
 * a planted symlink in the last place is never followed. */
static void test_openat(void **state)
{
	char *sub = tu_asprintf("%s/img", dir);
	char *file = tu_asprintf("%s/img/x.part", dir);
	char *target = tu_asprintf("%s/target", dir);
	char *link = tu_asprintf("%s/img/planted", dir);
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(mkdir(sub, 0755), 0);
	fd = store_openat(file, O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(sub, 0775), 0);
	errno = 0;
	assert_int_equal(store_openat(file, O_RDWR | O_CREAT, 0644), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(store_open_new(file), -1);
	assert_int_equal(chmod(sub, 0755), 0);
	make_file(target, 3);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(store_openat(link, O_RDWR, 0), -1);
	assert_int_equal(errno, ELOOP);
	/* a temporary replaces the link, the link's target keeps its bytes */
	fd = store_open_new(link);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 3);
	free(link);
	free(target);
	free(file);
	free(sub);
}

static void test_hex(void **state)
{
	char out[SHA256_HEX_SIZE];

	(void)state;
	assert_true(sha256_hex_parse(sum, out));
	assert_string_equal(out, sum_lower);
	assert_false(sha256_hex_parse("abc", out));
	assert_false(sha256_hex_parse("0123456789abcdef0123456789abcdef01234567"
				      "89abcdef0123456789abcdefff",
				      out));
	assert_false(sha256_hex_parse(
	    "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test_setup_teardown(test_ready, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mkdir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_openat, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
