/* The bounded write of a download's part: never past the limit, at the
 * right offset, errors with their errno. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "part_write.h"

static off_t size_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_size;
}

static void test_within_limit(void **unused)
{
	int fd = memfd_create("part", MFD_CLOEXEC);
	int err = 0;
	char back[8];

	(void)unused;
	assert_true(fd >= 0);
	assert_int_equal(part_write(fd, 0, 8, "abcd", 4, &err), PART_WRITE_OK);
	assert_int_equal(part_write(fd, 4, 8, "efgh", 4, &err), PART_WRITE_OK);
	assert_int_equal(size_of(fd), 8);
	assert_int_equal(pread(fd, back, 8, 0), 8);
	assert_memory_equal(back, "abcdefgh", 8);
	/* exactly at the limit: an empty write is fine, one byte is not */
	assert_int_equal(part_write(fd, 8, 8, "", 0, &err), PART_WRITE_OK);
	assert_int_equal(part_write(fd, 8, 8, "i", 1, &err), PART_WRITE_LIMIT);
	assert_int_equal(size_of(fd), 8);
	close(fd);
}

static void test_past_limit_writes_nothing(void **unused)
{
	int fd = memfd_create("part", MFD_CLOEXEC);
	int err = 0;

	(void)unused;
	assert_true(fd >= 0);
	assert_int_equal(part_write(fd, 0, 5, "abcdef", 6, &err),
			 PART_WRITE_LIMIT);
	assert_int_equal(size_of(fd), 0);
	/* an offset already past the limit (a part from a larger limit) */
	assert_int_equal(part_write(fd, 10, 5, "a", 1, &err), PART_WRITE_LIMIT);
	/* no overflow near the top of the range */
	assert_int_equal(
	    part_write(fd, UINT64_MAX - 1, UINT64_MAX, "abc", 3, &err),
	    PART_WRITE_LIMIT);
	assert_int_equal(size_of(fd), 0);
	close(fd);
}

static void test_error_has_errno(void **unused)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int err = 0;

	(void)unused;
	assert_true(fd >= 0);
	assert_int_equal(part_write(fd, 0, 100, "abc", 3, &err),
			 PART_WRITE_ERROR);
	assert_int_equal(err, EBADF);
	close(fd);
}

/* The file size limit (what a full disk looks like in tests): EFBIG. */
static void test_file_size_limit(void **unused)
{
	char path[] = "/tmp/bootpipe-part-XXXXXX";
	struct rlimit old, small = {.rlim_cur = 4096};
	int fd = mkstemp(path);
	int err = 0;
	char block[8192] = {0};

	(void)unused;
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(
	    part_write(fd, 0, UINT64_MAX, block, sizeof(block), &err),
	    PART_WRITE_ERROR);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(err, EFBIG);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_within_limit),
	    cmocka_unit_test(test_past_limit_writes_nothing),
	    cmocka_unit_test(test_error_has_errno),
	    cmocka_unit_test(test_file_size_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
