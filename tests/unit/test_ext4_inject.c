/* case-rootfs internals: the sparse image copy and the ext4 injection,
 * read back with debugfs and checked with e2fsck (e2fsprogs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ext4_inject.h"
#include "image_copy.h"
#include "testutil.h"

static char dir[4096];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(dir, sizeof(dir), "ext4");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(dir);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int rc;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	rc = system(cmd);
	free(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 16);

	assert_non_null(f);
	assert_true(fread(buf, 1, (1 << 16) - 1, f) < (1 << 16));
	fclose(f);
	return buf;
}

/* debugfs -R REQUEST on @img, its stdout. */
static char *debugfs(const char *img, const char *request)
{
	char *out = tu_asprintf("%s/debugfs.out", dir), *text;

	assert_int_equal(
	    sh("debugfs -R '%s' '%s' >'%s' 2>/dev/null", request, img, out), 0);
	text = slurp(out);
	free(out);
	return text;
}

static char *make_image(const char *fs)
{
	char *img = tu_asprintf("%s/%s.img", dir, fs);
	char *seed = tu_asprintf("%s/seed", dir);

	/* an image with an existing /etc/profile.d/old.sh and /usr/bin */
	assert_int_equal(sh("mkdir -p '%s/etc/profile.d' '%s/usr/bin' && "
			    "echo old > '%s/etc/profile.d/old.sh' && "
			    "echo previous > '%s/usr/bin/runner'",
			    seed, seed, seed, seed),
			 0);
	assert_int_equal(
	    sh("mkfs.%s -q -F -d '%s' '%s' 16M >/dev/null 2>&1", fs, seed, img),
	    0);
	free(seed);
	return img;
}

static void injects_into_ext4(void **state)
{
	static const char runner[] =
	    "#!/bin/sh\necho STARRY_GROUPED_TESTS_PASSED\n";
	char *big = malloc(300000), *img = make_image("ext4"), *text;
	struct ext4_file files[] = {
	    {"/usr/bin/runner", runner, sizeof(runner) - 1, 0755},
	    {"/etc/profile.d/99-run.sh", "exec runner\n", 12, 0644},
	    {"/new/deep/dir/big.bin", big, 300000, 0600},
	};
	char err[1024];

	(void)state;
	for (int i = 0; i < 300000; i++)
		big[i] = (char)(i * 7);
	assert_int_equal(ext4_inject(img, files, 3, err, sizeof(err)), 0);
	/* a consistent file system: e2fsck finds nothing to fix */
	assert_int_equal(sh("e2fsck -fn '%s' >/dev/null 2>&1", img), 0);
	text = debugfs(img, "cat /usr/bin/runner");
	assert_string_equal(text, runner);
	free(text);
	text = debugfs(img, "stat /usr/bin/runner");
	assert_non_null(strstr(text, "Mode:  0755"));
	assert_non_null(strstr(text, "User:     0"));
	free(text);
	text = debugfs(img, "cat /etc/profile.d/old.sh");
	assert_string_equal(text, "old\n");
	free(text);
	text = debugfs(img, "cat /etc/profile.d/99-run.sh");
	assert_string_equal(text, "exec runner\n");
	free(text);
	{
		char *dump = tu_asprintf("%s/big.out", dir);
		FILE *f;
		char *back = malloc(300001);

		assert_int_equal(
		    sh("debugfs -R 'dump /new/deep/dir/big.bin %s' '%s' "
		       ">/dev/null 2>&1",
		       dump, img),
		    0);
		f = fopen(dump, "rb");
		assert_non_null(f);
		assert_int_equal(fread(back, 1, 300001, f), 300000);
		fclose(f);
		assert_memory_equal(back, big, 300000);
		free(back);
		free(dump);
	}
	free(big);
	free(img);
}

static void works_on_ext2_and_refuses_other_images(void **state)
{
	char *img = make_image("ext2"), *text, err[1024];
	struct ext4_file f = {"/usr/bin/runner", "new\n", 4, 0755};

	(void)state;
	assert_int_equal(ext4_inject(img, &f, 1, err, sizeof(err)), 0);
	assert_int_equal(sh("e2fsck -fn '%s' >/dev/null 2>&1", img), 0);
	text = debugfs(img, "cat /usr/bin/runner");
	assert_string_equal(text, "new\n");
	free(text);
	free(img);

	img = tu_asprintf("%s/zeros.img", dir);
	assert_int_equal(sh("truncate -s 4M '%s'", img), 0);
	assert_int_equal(ext4_inject(img, &f, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "zeros.img: not an ext2/3/4 image"));
	free(img);
}

static void copy_is_sparse_and_whole(void **state)
{
	char *src = tu_asprintf("%s/src.img", dir);
	char *dst = tu_asprintf("%s/dst.img", dir), err[1024];
	struct stat a, b;

	(void)state;
	/* 64 MiB with data at 1 MiB and at the end */
	assert_int_equal(sh("truncate -s 64M '%s' && printf head | dd of='%s' "
			    "bs=1 seek=1048576 conv=notrunc 2>/dev/null && "
			    "printf tail | dd of='%s' bs=1 seek=67108860 "
			    "conv=notrunc 2>/dev/null",
			    src, src, src),
			 0);
	assert_int_equal(image_copy_sparse(src, dst, err, sizeof(err)), 0);
	assert_int_equal(sh("cmp -s '%s' '%s'", src, dst), 0);
	assert_int_equal(stat(src, &a), 0);
	assert_int_equal(stat(dst, &b), 0);
	assert_int_equal(a.st_size, b.st_size);
	assert_true(b.st_blocks * 512 < 1024 * 1024);
	/* a missing source leaves nothing behind */
	unlink(dst);
	assert_int_equal(
	    image_copy_sparse("/nonexistent.img", dst, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent.img"));
	assert_int_not_equal(access(dst, F_OK), 0);
	free(src);
	free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(injects_into_ext4, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		works_on_ext2_and_refuses_other_images, setup, teardown),
	    cmocka_unit_test_setup_teardown(copy_is_sparse_and_whole, setup,
					    teardown),
	};

	if (system("command -v debugfs >/dev/null && command -v mkfs.ext4 "
		   ">/dev/null") != 0) {
		printf("skip: no e2fsprogs (debugfs, mkfs.ext4)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
