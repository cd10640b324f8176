/* The rootfs rule shared by infer-rootfs and fetch-rootfs; the first four
 * tests port axbuild's own tests of the same rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/error.h>

#include "rootfs_rule.h"
#include "testutil.h"

struct fixture {
	char root[PATH_MAX / 2];
	char store[PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tu_mkdtemp(f->root, sizeof(f->root), "rootfs") != 0) {
		free(f);
		return -1;
	}
	snprintf(f->store, sizeof(f->store), "%s/tmp/axbuild/rootfs", f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	int rc = tu_rmtree(f->root);

	free(f);
	return rc;
}

/* root/image/rootfs.img and root/vm.toml naming root/image/qemu-aarch64. */
static char *vmconfig_with_sibling(const struct fixture *f)
{
	char *dir = tu_asprintf("%s/image", f->root);
	char *img = tu_asprintf("%s/rootfs.img", dir);
	char *vm = tu_asprintf("%s/vm.toml", f->root);
	char *body =
	    tu_asprintf("\n[kernel]\nkernel_path = \"%s/qemu-aarch64\"\n", dir);

	assert_int_equal(mkdir(dir, 0755), 0);
	tu_write_file(img, "rootfs");
	tu_write_file(vm, body);
	free(dir);
	free(img);
	free(body);
	return vm;
}

static void infer_rootfs_path_uses_vmconfig_kernel_sibling(void **state)
{
	struct fixture *f = *state;
	char *vm = vmconfig_with_sibling(f);
	const char *list[] = {vm};
	char *want = tu_asprintf("%s/image/rootfs.img", f->root);
	char *out = NULL;
	char err[256] = "";

	assert_int_equal(
	    rootfs_infer_from_vmconfigs(list, 1, NULL, &out, err, sizeof(err)),
	    0);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
	free(want);
	free(vm);
}

static void
managed_rootfs_path_uses_default_unified_rootfs_when_vmconfig_has_no_rootfs(
    void **state)
{
	struct fixture *f = *state;
	char *vm = tu_asprintf("%s/vm.toml", f->root);
	/* axbuild's test named /tmp/qemu-aarch64, which breaks on a host that
	 * has /tmp/rootfs.img; a directory of our own has no sibling. */
	char *body = tu_asprintf(
	    "\n[kernel]\nkernel_path = \"%s/none/qemu-aarch64\"\n", f->root);
	const char *list[] = {vm};
	char *want = tu_asprintf(
	    "%s/tmp/axbuild/rootfs/rootfs-aarch64-alpine.img", f->root);
	char *out = NULL;
	char err[256] = "";

	tu_write_file(vm, body);
	assert_int_equal(rootfs_managed_path(f->store, "aarch64", NULL, list, 1,
					     NULL, &out, err, sizeof(err)),
			 0);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
	free(want);
	free(body);
	free(vm);
}

static void
managed_rootfs_path_skips_when_vmconfig_provides_kernel_sibling_rootfs(
    void **state)
{
	struct fixture *f = *state;
	char *vm = vmconfig_with_sibling(f);
	const char *list[] = {vm};
	char *out = (char *)"sentinel";
	char err[256] = "";

	assert_int_equal(rootfs_managed_path(f->store, "aarch64", NULL, list, 1,
					     NULL, &out, err, sizeof(err)),
			 0);
	assert_null(out);
	free(vm);
}

static void managed_rootfs_path_keeps_explicit_managed_rootfs(void **state)
{
	struct fixture *f = *state;
	char *explicit_path = tu_asprintf(
	    "%s/tmp/axbuild/rootfs/rootfs-aarch64-debian.img", f->root);
	char *out = NULL;
	char err[256] = "";

	assert_int_equal(rootfs_managed_path(f->store, "aarch64", explicit_path,
					     NULL, 0, NULL, &out, err,
					     sizeof(err)),
			 0);
	assert_non_null(out);
	assert_string_equal(out, explicit_path);
	free(out);
	free(explicit_path);
}

static void managed_rootfs_path_never_manages_explicit_elsewhere(void **state)
{
	struct fixture *f = *state;
	char *vm = tu_asprintf("%s/vm.toml", f->root);
	const char *list[] = {vm};
	char *out = (char *)"sentinel";
	char err[256] = "";

	/* The vmconfig is not even read: an explicit rootfs decides. */
	assert_int_equal(rootfs_managed_path(f->store, "aarch64",
					     "/srv/images/mine.img", list, 1,
					     NULL, &out, err, sizeof(err)),
			 0);
	assert_null(out);
	free(vm);
}

/* rootfs_resolve_explicit of @value for riscv64 in /ws: the path and the
 * pinned version ("-" when none) as "PATH VERSION". */
static char *resolve(const char *value)
{
	char *out = NULL, *version = NULL, err[256] = "", *both;
	int rc =
	    rootfs_resolve_explicit("/ws/tmp/axbuild/rootfs", "riscv64", value,
				    "/ws", &out, &version, err, sizeof(err));

	both = rc ? tu_asprintf("error %d: %s", rc, err)
		  : tu_asprintf("%s %s", out, version ? version : "-");
	free(out);
	free(version);
	return both;
}

static void expect_resolved(const char *value, const char *want)
{
	char *got = resolve(value);

	assert_string_equal(got, want);
	free(got);
}

static void resolve_explicit_words_names_and_paths(void **state)
{
	char *out;

	(void)state;
	expect_resolved("debian",
			"/ws/tmp/axbuild/rootfs/rootfs-riscv64-debian.img -");
	expect_resolved("busybox",
			"/ws/tmp/axbuild/rootfs/rootfs-riscv64-busybox.img -");
	expect_resolved("custom.img", "/ws/tmp/axbuild/rootfs/custom.img -");
	expect_resolved("images/custom.img", "/ws/images/custom.img -");
	expect_resolved("/abs/custom.img", "/abs/custom.img -");
	/* NAME:VERSION pins the registry version; the name is the entry's */
	expect_resolved(
	    "alpine:0.0.8",
	    "/ws/tmp/axbuild/rootfs/rootfs-riscv64-alpine.img 0.0.8");
	expect_resolved(
	    "alpine.img:0.0.8",
	    "/ws/tmp/axbuild/rootfs/rootfs-riscv64-alpine.img 0.0.8");
	expect_resolved(
	    "rootfs-riscv64-debian.img:0.0.9",
	    "/ws/tmp/axbuild/rootfs/rootfs-riscv64-debian.img 0.0.9");
	expect_resolved(
	    "rootfs-riscv64-debian:0.0.9",
	    "/ws/tmp/axbuild/rootfs/rootfs-riscv64-debian.img 0.0.9");
	/* a path is a path, colon or not */
	expect_resolved("imgs/a:b.img", "/ws/imgs/a:b.img -");
	out = resolve("alpine:");
	assert_non_null(strstr(out, "error -3: rootfs `alpine:`: write "
				    "NAME:VERSION"));
	free(out);
	out = resolve(":0.0.8");
	assert_non_null(strstr(out, "error -3: rootfs `:0.0.8`"));
	free(out);
	out = rootfs_default_path("/s/", "x86_64");
	assert_string_equal(out, "/s/rootfs-x86_64-alpine.img");
	free(out);
}

static void in_store_is_component_wise(void **state)
{
	(void)state;
	assert_true(rootfs_in_store("/ws/tmp/axbuild/rootfs",
				    "/ws/tmp/axbuild/rootfs/a.img"));
	assert_true(rootfs_in_store("/ws/tmp/axbuild/rootfs/",
				    "/ws//tmp/./axbuild/rootfs/a.img"));
	assert_true(rootfs_in_store("/ws/x/../tmp/axbuild/rootfs",
				    "/ws/tmp/axbuild/rootfs/sub/a.img"));
	assert_false(rootfs_in_store("/ws/tmp/axbuild/rootfs",
				     "/ws/tmp/axbuild/rootfs-old/a.img"));
	assert_false(rootfs_in_store("/ws/tmp/axbuild/rootfs",
				     "/ws/tmp/axbuild/rootfs/../a.img"));
	assert_false(rootfs_in_store("/ws/tmp/axbuild/rootfs",
				     "/ws/tmp/axbuild/rootfs"));
	assert_false(rootfs_in_store("/ws/tmp/axbuild/rootfs", "/elsewhere"));
}

/* A link reaches the file it names: writing through it writes the store. */
static void links_into_the_store_reach_it(void **state)
{
	struct fixture *f = *state;
	char *today = tu_asprintf("%s/r.img", f->store);
	char *img = tu_asprintf("%s/r.img", today);
	char *sym = tu_asprintf("%s/sym.img", f->root);
	char *hard = tu_asprintf("%s/hard.img", f->root);
	char *mine = tu_asprintf("%s/mine.img", f->root);
	char *mine2 = tu_asprintf("%s/mine2.img", f->root);
	char *dots =
	    tu_asprintf("%s/tmp/../tmp/axbuild/rootfs/r.img/r.img", f->root);
	char via[PATH_MAX];
	char *cmd = tu_asprintf("mkdir -p '%s'", today);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	tu_write_file(img, "image");
	tu_write_file(mine, "mine");
	assert_int_equal(symlink(img, sym), 0);
	assert_int_equal(link(img, hard), 0);
	assert_int_equal(link(mine, mine2), 0);
	assert_true(rootfs_reaches_store(f->store, dots, via, sizeof(via)));
	assert_true(rootfs_reaches_store(f->store, sym, via, sizeof(via)));
	assert_string_equal(via, img);
	assert_true(rootfs_reaches_store(f->store, hard, via, sizeof(via)));
	assert_string_equal(via, img);
	/* the user's own files, linked or not, are theirs */
	assert_false(rootfs_reaches_store(f->store, mine, via, sizeof(via)));
	assert_false(rootfs_reaches_store(f->store, mine2, NULL, 0));
	assert_false(rootfs_reaches_store(f->store, "/nonexistent", NULL, 0));
	free(today);
	free(img);
	free(sym);
	free(hard);
	free(mine);
	free(mine2);
	free(dots);
}

static void store_relative_is_normalised(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(rootfs_store_relative("/ws/tmp/axbuild/rootfs/",
					       "/ws//tmp/axbuild/rootfs/./"
					       "b.img/b.img",
					       &out),
			 0);
	assert_string_equal(out, "b.img/b.img");
	free(out);
	assert_int_equal(
	    rootfs_store_relative("/ws/tmp/axbuild/rootfs",
				  "/ws/tmp/axbuild/rootfs-old/a.img", &out),
	    0);
	assert_null(out);
	assert_int_equal(rootfs_store_relative("/", "/a.img", &out), 0);
	assert_string_equal(out, "a.img");
	free(out);
}

static void infer_relative_kernel_path_uses_vmconfig_dir(void **state)
{
	struct fixture *f = *state;
	char *dir = tu_asprintf("%s/vms", f->root);
	char *guest = tu_asprintf("%s/vms/guest", f->root);
	char *img = tu_asprintf("%s/vms/guest/rootfs.img", f->root);
	char *vm = tu_asprintf("%s/vms/linux.toml", f->root);
	const char *list[] = {vm};
	char *out = NULL;
	char err[256] = "";

	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mkdir(guest, 0755), 0);
	tu_write_file(img, "x");
	tu_write_file(vm, "[kernel]\nkernel_path = \"guest/Image\"\n");
	assert_int_equal(
	    rootfs_infer_from_vmconfigs(list, 1, NULL, &out, err, sizeof(err)),
	    0);
	assert_non_null(out);
	assert_string_equal(out, img);
	free(out);
	free(vm);
	free(img);
	free(guest);
	free(dir);
}

static void infer_skips_directories_and_non_strings(void **state)
{
	struct fixture *f = *state;
	char *dir = tu_asprintf("%s/d/rootfs.img", f->root);
	char *parent = tu_asprintf("%s/d", f->root);
	char *vm1 = tu_asprintf("%s/a.toml", f->root);
	char *vm2 = tu_asprintf("%s/b.toml", f->root);
	char *vm3 = tu_asprintf("%s/c.toml", f->root);
	char *body =
	    tu_asprintf("[kernel]\nkernel_path = \"%s/d/Image\"\n", f->root);
	const char *list[] = {vm1, vm2, vm3};
	char *out = (char *)"sentinel";
	char err[256] = "";

	assert_int_equal(mkdir(parent, 0755), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	tu_write_file(vm1, body);
	tu_write_file(vm2, "[kernel]\nkernel_path = 7\n");
	tu_write_file(vm3, "[base]\nid = 1 # no kernel table\n");
	assert_int_equal(
	    rootfs_infer_from_vmconfigs(list, 3, NULL, &out, err, sizeof(err)),
	    0);
	assert_null(out);
	free(body);
	free(vm3);
	free(vm2);
	free(vm1);
	free(parent);
	free(dir);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A wrong vmconfig path naming a disk image or a device must be refused
 * by its size, without reading it into memory. */
static void infer_refuses_huge_vmconfigs_without_reading_them(void **state)
{
	struct fixture *f = *state;
	char *huge = tu_asprintf("%s/huge.toml", f->root);
	char *want =
	    tu_asprintf("cannot read vm config %s: larger than 1024 KiB, "
			"not a VM config",
			huge);
	const char *list1[] = {huge};
	const char *list2[] = {"/dev/zero"};
	char *out = NULL;
	char err[512] = "";
	double start;
	int fd;

	fd = open(huge, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)2 << 30), 0); /* sparse 2 GiB */
	close(fd);
	start = now_s();
	assert_int_equal(
	    rootfs_infer_from_vmconfigs(list1, 1, NULL, &out, err, sizeof(err)),
	    BP_ECONFIG);
	assert_true(now_s() - start < 1.0);
	assert_null(out);
	assert_string_equal(err, want);
	assert_int_equal(
	    rootfs_infer_from_vmconfigs(list2, 1, NULL, &out, err, sizeof(err)),
	    BP_ECONFIG);
	/* a device is refused before a byte is read */
	assert_string_equal(err, "vm config /dev/zero is a character device, "
				 "not a regular file: give the path of a "
				 "file");
	/* a directory is unreadable, with the reason */
	list1[0] = f->root;
	assert_int_equal(
	    rootfs_infer_from_vmconfigs(list1, 1, NULL, &out, err, sizeof(err)),
	    BP_ECONFIG);
	free(want);
	want = tu_asprintf("vm config %s is a directory, not a regular file: "
			   "give the path of a file",
			   f->root);
	assert_string_equal(err, want);
	free(want);
	free(huge);
}

static void infer_reports_unreadable_and_broken_vmconfigs(void **state)
{
	struct fixture *f = *state;
	char *missing = tu_asprintf("%s/missing.toml", f->root);
	char *broken = tu_asprintf("%s/broken.toml", f->root);
	char *want = tu_asprintf("cannot open vm config %s: %s", missing,
				 strerror(ENOENT));
	char *prefix = tu_asprintf("%s:3:", broken);
	const char *list1[] = {missing};
	const char *list2[] = {broken};
	char *out = NULL;
	char err[512] = "";

	assert_int_equal(
	    rootfs_infer_from_vmconfigs(list1, 1, NULL, &out, err, sizeof(err)),
	    BP_ECONFIG);
	assert_string_equal(err, want);
	tu_write_file(broken,
		      "[kernel]\nentry_point = 0x8020_0000\nkernel_path = \n");
	assert_int_equal(
	    rootfs_infer_from_vmconfigs(list2, 1, NULL, &out, err, sizeof(err)),
	    BP_ECONFIG);
	assert_null(out);
	assert_memory_equal(err, prefix, strlen(prefix));
	free(prefix);
	free(want);
	free(broken);
	free(missing);
}

/* SPEC deviation: kernel_path's placeholders are expanded, ${workspace}
 * and ${package} included; without them the path stays literal. */
static void infer_expands_workspace_and_package(void **state)
{
	struct fixture *f = *state;
	char *ws = tu_asprintf("%s/ws", f->root);
	char *ws_img_dir = tu_asprintf("%s/ws/images", f->root);
	char *ws_img = tu_asprintf("%s/ws/images/rootfs.img", f->root);
	char *pkg = tu_asprintf("%s/pkg", f->root);
	char *pkg_img_dir = tu_asprintf("%s/pkg/kernels", f->root);
	char *pkg_img = tu_asprintf("%s/pkg/kernels/rootfs.img", f->root);
	char *vm_ws = tu_asprintf("%s/ws.toml", f->root);
	char *vm_pkg = tu_asprintf("%s/pkg.toml", f->root);
	const struct ostool_vars vars = {.workspace = ws, .package = pkg};
	const char *list_ws[] = {vm_ws};
	const char *list_pkg[] = {vm_pkg};
	char *out = NULL;
	char err[256] = "";

	assert_int_equal(mkdir(ws, 0755), 0);
	assert_int_equal(mkdir(ws_img_dir, 0755), 0);
	assert_int_equal(mkdir(pkg, 0755), 0);
	assert_int_equal(mkdir(pkg_img_dir, 0755), 0);
	tu_write_file(ws_img, "ws");
	tu_write_file(pkg_img, "pkg");
	tu_write_file(
	    vm_ws, "[kernel]\nkernel_path = \"${workspace}/images/Image\"\n");
	tu_write_file(vm_pkg,
		      "[kernel]\nkernel_path = \"${package}/kernels/Image\"\n");

	assert_int_equal(rootfs_infer_from_vmconfigs(list_ws, 1, &vars, &out,
						     err, sizeof(err)),
			 0);
	assert_non_null(out);
	assert_string_equal(out, ws_img);
	free(out);
	out = NULL;
	assert_int_equal(rootfs_infer_from_vmconfigs(list_pkg, 1, &vars, &out,
						     err, sizeof(err)),
			 0);
	assert_non_null(out);
	assert_string_equal(out, pkg_img);
	free(out);
	out = NULL;

	/* fetch-rootfs sees the same sibling: nothing for the store */
	out = (char *)"sentinel";
	assert_int_equal(rootfs_managed_path(f->store, "aarch64", NULL,
					     list_pkg, 1, &vars, &out, err,
					     sizeof(err)),
			 0);
	assert_null(out);

	/* no workspace known: ${workspace} stays, so no sibling */
	assert_int_equal(rootfs_infer_from_vmconfigs(list_ws, 1, NULL, &out,
						     err, sizeof(err)),
			 0);
	assert_null(out);
	assert_int_equal(rootfs_managed_path(f->store, "aarch64", NULL, list_ws,
					     1, NULL, &out, err, sizeof(err)),
			 0);
	assert_non_null(out);
	free(out);

	free(vm_pkg);
	free(vm_ws);
	free(pkg_img);
	free(pkg_img_dir);
	free(pkg);
	free(ws_img);
	free(ws_img_dir);
	free(ws);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		infer_rootfs_path_uses_vmconfig_kernel_sibling, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		managed_rootfs_path_uses_default_unified_rootfs_when_vmconfig_has_no_rootfs,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		managed_rootfs_path_skips_when_vmconfig_provides_kernel_sibling_rootfs,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		managed_rootfs_path_keeps_explicit_managed_rootfs, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		managed_rootfs_path_never_manages_explicit_elsewhere, setup,
		teardown),
	    cmocka_unit_test(resolve_explicit_words_names_and_paths),
	    cmocka_unit_test(in_store_is_component_wise),
	    cmocka_unit_test_setup_teardown(links_into_the_store_reach_it,
					    setup, teardown),
	    cmocka_unit_test(store_relative_is_normalised),
	    cmocka_unit_test_setup_teardown(
		infer_relative_kernel_path_uses_vmconfig_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		infer_skips_directories_and_non_strings, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		infer_reports_unreadable_and_broken_vmconfigs, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		infer_refuses_huge_vmconfigs_without_reading_them, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(infer_expands_workspace_and_package,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
