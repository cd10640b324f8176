/* The exported path helpers (include/bootpipe/util.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bootpipe/bootpipe.h>

#include "testutil.h"

static void expect_join(const char *dir, const char *name, const char *want)
{
	char *got = bp_path_join(dir, name);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void expect_dirname(const char *path, const char *want)
{
	char *got = bp_path_dirname(path);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_path_join(void **state)
{
	(void)state;
	expect_join("a", "b", "a/b");
	expect_join("a/", "b", "a/b");
	expect_join("a///", "b", "a/b");
	expect_join("/", "b", "/b");
	expect_join("", "b", "b");
	expect_join("a", "/abs/b", "/abs/b");
	expect_join("/ws", "os/axvisor", "/ws/os/axvisor");
}

static void test_path_dirname(void **state)
{
	(void)state;
	expect_dirname("a/b", "a");
	expect_dirname("a//b", "a");
	expect_dirname("b", ".");
	expect_dirname("/b", "/");
	expect_dirname("/x/y/z.bin", "/x/y");
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_mkdir_p(void **state)
{
	char root[PATH_MAX];
	char *deep, *file, *under_file;

	(void)state;
	assert_int_equal(tu_mkdtemp(root, sizeof(root), "util"), 0);
	deep = tu_asprintf("%s/a/b//c/", root);
	assert_int_equal(bp_mkdir_p(deep, 0755), 0);
	assert_true(is_dir(deep));
	/* existing: still success */
	assert_int_equal(bp_mkdir_p(deep, 0755), 0);
	/* a file in the way is ENOTDIR, not success */
	file = tu_asprintf("%s/file", root);
	tu_write_file(file, "x");
	under_file = tu_asprintf("%s/file/sub", root);
	errno = 0;
	assert_int_equal(bp_mkdir_p(under_file, 0755), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(bp_mkdir_p(file, 0755), -1);
	assert_int_equal(errno, ENOTDIR);
	free(under_file);
	/* parents of a file path, the file itself not made */
	under_file = tu_asprintf("%s/p/q/run.bin", root);
	assert_int_equal(bp_mkdir_parents(under_file, 0755), 0);
	free(deep);
	deep = tu_asprintf("%s/p/q", root);
	assert_true(is_dir(deep));
	assert_false(is_dir(under_file));
	free(deep);
	free(file);
	free(under_file);
	assert_int_equal(tu_rmtree(root), 0);
}

static void test_default_package_dir(void **state)
{
	char root[PATH_MAX];
	char *pkg, *got;

	(void)state;
	assert_int_equal(tu_mkdtemp(root, sizeof(root), "util"), 0);
	got = bp_default_package_dir(root);
	assert_string_equal(got, root);
	free(got);
	pkg = tu_asprintf("%s/%s", root, BP_DEFAULT_PACKAGE_SUBDIR);
	assert_int_equal(bp_mkdir_p(pkg, 0755), 0);
	got = bp_default_package_dir(root);
	assert_string_equal(got, pkg);
	free(got);
	free(pkg);
	assert_int_equal(tu_rmtree(root), 0);
}

/* The nearest [workspace] manifest wins; a member's own Cargo.toml and a
 * manifest without a [workspace] table do not count. */
static void test_workspace_find(void **state)
{
	char root[PATH_MAX], *member, *deep, *found, *lone, *cwd;

	(void)state;
	assert_int_equal(tu_mkdtemp(root, sizeof(root), "util"), 0);
	member = tu_asprintf("%s/os/axvisor", root);
	deep = tu_asprintf("%s/src/deep", member);
	assert_int_equal(bp_mkdir_p(deep, 0755), 0);
	found = tu_asprintf("%s/Cargo.toml", root);
	tu_write_file(found, "[workspace]\nmembers = [\"os/axvisor\"]\n");
	free(found);
	found = tu_asprintf("%s/Cargo.toml", member);
	tu_write_file(found, "[package]\nname = \"axvisor\"\n");
	free(found);
	found = bp_workspace_find(deep);
	assert_non_null(found);
	assert_string_equal(found, root);
	free(found);
	/* NULL: from the current directory */
	cwd = getcwd(NULL, 0);
	assert_int_equal(chdir(member), 0);
	found = bp_workspace_find(NULL);
	assert_int_equal(chdir(cwd), 0);
	assert_non_null(found);
	assert_string_equal(found, root);
	free(found);
	/* a tree with only a [package] manifest has no workspace */
	lone = tu_asprintf("%s/lone", root);
	assert_int_equal(tu_rmtree(root), 0);
	assert_int_equal(bp_mkdir_p(lone, 0755), 0);
	found = tu_asprintf("%s/Cargo.toml", lone);
	tu_write_file(found, "[package]\nname = \"x\"\n");
	free(found);
	assert_null(bp_workspace_find(lone));
	assert_null(bp_workspace_find("/nonexistent/bp-no-such-dir"));
	assert_int_equal(tu_rmtree(root), 0);
	free(lone);
	free(cwd);
	free(deep);
	free(member);
}

static bool sigpipe_pending(void)
{
	sigset_t set;

	sigpending(&set);
	return sigismember(&set, SIGPIPE);
}

/* A write to a pipe nobody reads is EPIPE, not death by SIGPIPE; a
 * SIGPIPE the caller blocks itself stays pending for the caller. */
static void test_write_nosigpipe(void **state)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old_act;
	sigset_t pipe_set, old_mask;
	int fds[2];

	(void)state;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigaction(SIGPIPE, &dfl, &old_act);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(bp_write_nosigpipe(fds[1], "x", 1), 1);
	close(fds[0]);
	errno = 0;
	assert_int_equal(bp_write_nosigpipe(fds[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_false(sigpipe_pending());

	sigprocmask(SIG_BLOCK, &pipe_set, &old_mask);
	assert_int_equal(bp_write_nosigpipe(fds[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_true(sigpipe_pending());
	/* take it back before unblocking, or it kills the test */
	{
		struct timespec zero = {0, 0};

		assert_int_equal(sigtimedwait(&pipe_set, NULL, &zero), SIGPIPE);
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	close(fds[1]);
	sigaction(SIGPIPE, &old_act, NULL);
}

static void test_edit_distance(void **state)
{
	char long_word[65];

	(void)state;
	assert_int_equal(bp_edit_distance("", ""), 0);
	assert_int_equal(bp_edit_distance("report", "report"), 0);
	assert_int_equal(bp_edit_distance("reprot", "report"), 2);
	assert_int_equal(bp_edit_distance("lunch", "launch"), 1);
	assert_int_equal(bp_edit_distance("succes_regex", "success_regex"), 1);
	assert_int_equal(bp_edit_distance("", "abc"), 3);
	assert_int_equal(bp_edit_distance("kitten", "sitting"), 3);
	memset(long_word, 'a', 64);
	long_word[64] = '\0';
	assert_true(bp_edit_distance(long_word, "a") == (size_t)-1);
	assert_true(bp_edit_distance("a", long_word) == (size_t)-1);
}

static void expect_escapes(int fd, const char *term, bool want)
{
	if (term)
		setenv("TERM", term, 1);
	else
		unsetenv("TERM");
	assert_int_equal(bp_term_escapes(fd), want);
}

static void test_term_escapes(void **state)
{
	int master, slave, null = open("/dev/null", O_WRONLY);

	(void)state;
	master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	expect_escapes(slave, "xterm", true);
	expect_escapes(slave, "dumb", false);
	expect_escapes(slave, "", false);
	expect_escapes(slave, NULL, false);
	expect_escapes(null, "xterm", false);
	close(slave);
	close(master);
	close(null);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_join),
	    cmocka_unit_test(test_path_dirname),
	    cmocka_unit_test(test_mkdir_p),
	    cmocka_unit_test(test_default_package_dir),
	    cmocka_unit_test(test_workspace_find),
	    cmocka_unit_test(test_write_nosigpipe),
	    cmocka_unit_test(test_edit_distance),
	    cmocka_unit_test(test_term_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
