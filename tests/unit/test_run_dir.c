/* patch-qemu's per-run directories and the sweep of killed runs' ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run_dir.h"
#include "testutil.h"

static char root[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(root, sizeof(root), "rundir");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(root);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Makes @path look created long ago: only then may a sweep take it. */
static void age(const char *path)
{
	struct timespec old[2] = {{time(NULL) - 3600, 0},
				  {time(NULL) - 3600, 0}};

	assert_int_equal(utimensat(AT_FDCWD, path, old, AT_SYMLINK_NOFOLLOW),
			 0);
}

/* A directory left as a killed run leaves it: an owner file nobody locks. */
static char *killed_run_dir(const char *name)
{
	char *dir = tu_asprintf("%s/%s", root, name);
	char *owner = tu_asprintf("%s/.owner", dir);

	assert_int_equal(mkdir(dir, 0700), 0);
	tu_write_file(owner, "");
	free(owner);
	age(dir);
	return dir;
}

static void create_locks_and_remove_clears(void **state)
{
	struct run_dir d = RUN_DIR_INIT;
	char err[256];
	char *owner, *path;
	int fd;

	(void)state;
	assert_int_equal(
	    run_dir_create(root, "bootpipe-uefi", &d, err, sizeof(err)), 0);
	assert_non_null(d.path);
	assert_true(d.lock_fd >= 0);
	owner = tu_asprintf("%s/.owner", d.path);
	fd = open(owner, O_RDONLY);
	assert_true(fd >= 0);
	/* held by the run: another open file description cannot take it */
	assert_int_not_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	free(owner);
	path = strdup(d.path);
	run_dir_remove(&d);
	assert_null(d.path);
	assert_int_equal(d.lock_fd, -1);
	assert_false(exists(path));
	free(path);
}

static void sweep_takes_only_dirs_of_gone_runs(void **state)
{
	struct run_dir live = RUN_DIR_INIT;
	char *killed = killed_run_dir("bootpipe-uefi-Ab12Cd");
	char *young = tu_asprintf("%s/bootpipe-uefi-young1", root);
	char *other = tu_asprintf("%s/bootpipe-uefi-Ab12Cd-not", root);
	char *foreign = tu_asprintf("%s/someone-else-Ab12Cd", root);
	char *file = tu_asprintf("%s/bootpipe-uefi-file01", root);
	char err[256];

	(void)state;
	assert_int_equal(
	    run_dir_create(root, "bootpipe-uefi", &live, err, sizeof(err)), 0);
	age(live.path);
	assert_int_equal(mkdir(young, 0700), 0);
	assert_int_equal(mkdir(other, 0700), 0);
	age(other);
	assert_int_equal(mkdir(foreign, 0700), 0);
	age(foreign);
	tu_write_file(file, "");
	age(file);

	assert_int_equal(run_dir_sweep(root, "bootpipe-uefi"), 1);
	assert_false(exists(killed));
	assert_true(exists(live.path)); /* its lock is held */
	assert_true(exists(young));	/* may be between mkdtemp and lock */
	assert_true(exists(other));
	assert_true(exists(foreign));
	assert_true(exists(file));

	run_dir_remove(&live);
	free(killed);
	free(young);
	free(other);
	free(foreign);
	free(file);
}

static void sweep_of_missing_tmpdir_is_quiet(void **state)
{
	char *gone = tu_asprintf("%s/nope", root);

	(void)state;
	assert_int_equal(run_dir_sweep(gone, "bootpipe-uefi"), 0);
	free(gone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(create_locks_and_remove_clears,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(sweep_takes_only_dirs_of_gone_runs,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(sweep_of_missing_tmpdir_is_quiet,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
