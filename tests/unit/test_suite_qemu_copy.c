/* Per-case QEMU config copies (suite/qemu_copy.c): only the rewritten
 * args change, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "qemu_copy.h"
#include "testutil.h"

static char dir[4096];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(dir, sizeof(dir), "qemu-copy");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(dir);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 16);

	assert_non_null(f);
	assert_true(fread(buf, 1, (1 << 16) - 1, f) > 0);
	fclose(f);
	return buf;
}

static char *fwd(void *user, const char *prev, const char *arg)
{
	(void)user;
	if (!prev || strcmp(prev, "-netdev") != 0)
		return NULL;
	return suite_netdev_guestfwd(arg, 18180, "/b/bootpipe test --relay",
				     "127.0.0.1", 40001);
}

static void netdev_gets_a_guestfwd_and_nothing_else_changes(void **state)
{
	char *src = tu_asprintf("%s/qemu-aarch64.toml", dir);
	char *dst = tu_asprintf("%s/copy.toml", dir), err[512], *got;
	size_t changed;

	(void)state;
	tu_write_file(src, "# keep me\nargs = [\n  \"-m\", \"512M\",\n"
			   "  \"-netdev\", 'user,id=net0', # net\n"
			   "  \"-drive\", \"file=${workspace}/x.img\",\n]\n"
			   "timeout = 5\n");
	assert_int_equal(
	    suite_qemu_copy(src, dst, fwd, NULL, &changed, err, sizeof(err)),
	    0);
	assert_int_equal(changed, 1);
	got = slurp(dst);
	assert_string_equal(
	    got, "# keep me\nargs = [\n  \"-m\", \"512M\",\n"
		 "  \"-netdev\", \"user,id=net0,host=10.0.2.254,"
		 "guestfwd=tcp:10.0.2.2:18180-cmd:/b/bootpipe test --relay "
		 "127.0.0.1:40001\", # net\n"
		 "  \"-drive\", \"file=${workspace}/x.img\",\n]\n"
		 "timeout = 5\n");
	free(got);

	/* a multi-line string cannot be rewritten in place: say where */
	tu_write_file(src, "args = [\"-netdev\",\n\"\"\"user,id=n\"\"\"]\n");
	assert_int_equal(
	    suite_qemu_copy(src, dst, fwd, NULL, &changed, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "qemu-aarch64.toml:2:"));
	free(src);
	free(dst);
}

static void guestfwd_only_for_plain_user_net(void **state)
{
	char *s;

	(void)state;
	s = suite_netdev_guestfwd("user,id=net0", 80, "/a,b/relay", "127.0.0.1",
				  9);
	assert_string_equal(
	    s, "user,id=net0,host=10.0.2.254,"
	       "guestfwd=tcp:10.0.2.2:80-cmd:/a,,b/relay 127.0.0.1:9");
	free(s);
	assert_null(suite_netdev_guestfwd("tap,id=n", 80, "r", "127.0.0.1", 9));
	assert_null(
	    suite_netdev_guestfwd("usernet,id=n", 80, "r", "127.0.0.1", 9));
	assert_null(suite_netdev_guestfwd("user,id=n,host=10.0.2.9", 80, "r",
					  "127.0.0.1", 9));
}

/* A case's QEMU config that is a FIFO is refused at once, not waited on
 * (a hang ends the test through the alarm). */
static void fifo_config_is_refused(void **state)
{
	char *src = tu_asprintf("%s/fifo.toml", dir);
	char *dst = tu_asprintf("%s/fifo-copy.toml", dir), err[512] = "";
	size_t changed = 0;

	(void)state;
	assert_int_equal(mkfifo(src, 0644), 0);
	alarm(5);
	assert_int_equal(
	    suite_qemu_copy(src, dst, fwd, NULL, &changed, err, sizeof(err)),
	    -1);
	alarm(0);
	if (!strstr(err, "is a FIFO, not a regular file"))
		fail_msg("message `%s`", err);
	assert_non_null(strstr(err, src));
	assert_int_not_equal(access(dst, F_OK), 0);
	free(src);
	free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		netdev_gets_a_guestfwd_and_nothing_else_changes, setup,
		teardown),
	    cmocka_unit_test(guestfwd_only_for_plain_user_net),
	    cmocka_unit_test_setup_teardown(fifo_config_is_refused, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
