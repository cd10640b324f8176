/* patch-qemu's argument edits and ostool config loading; the first three
 * tests port axbuild's patch_qemu_rootfs_* tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootpipe/error.h>

#include "ostool_config.h"
#include "pattern.h"
#include "qemu_args.h"
#include "rootfs_rule.h"
#include "testutil.h"

static char root[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(root, sizeof(root), "patch");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(root);
}

/* What patch_qemu_rootfs does in axbuild: the rootfs rule, then the
 * patch. axbuild writes the image; "persist" is that behaviour. */
static void seed_patch(struct strv *args, const char *const *vmconfigs,
		       size_t count)
{
	struct rootfs_patch p = {.mode = ROOTFS_REPLACE_DRIVE_ONLY};
	char *store = tu_asprintf("%s/tmp/axbuild/rootfs", root);
	char *path = NULL;
	char err[512];

	assert_int_equal(rootfs_infer_from_vmconfigs(vmconfigs, count, NULL,
						     &path, err, sizeof(err)),
			 0);
	if (!path)
		path = rootfs_default_path(store, "aarch64");
	p.path = path;
	assert_int_equal(qemu_args_patch_rootfs(args, &p, err, sizeof(err)), 0);
	free(path);
	free(store);
}

static void
patch_qemu_rootfs_overrides_rootfs_when_vmconfig_provides_one(void **state)
{
	const char *const init[] = {
	    "id=disk0,if=none,format=raw,file=/old/tmp/rootfs.img"};
	char *dir = tu_asprintf("%s/image", root);
	char *img = tu_asprintf("%s/rootfs.img", dir);
	char *vm = tu_asprintf("%s/vm.toml", root);
	char *body =
	    tu_asprintf("\n[kernel]\nkernel_path = \"%s/qemu-aarch64\"\n", dir);
	char *want = tu_asprintf("id=disk0,if=none,format=raw,file=%s", img);
	const char *list[] = {vm};
	struct strv args;

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	tu_write_file(img, "rootfs");
	tu_write_file(vm, body);
	assert_int_equal(strv_init(&args, init, 1), 0);
	seed_patch(&args, list, 1);
	assert_int_equal(args.n, 1);
	assert_string_equal(args.v[0], want);
	strv_free(&args);
	free(want);
	free(body);
	free(vm);
	free(img);
	free(dir);
}

static void patch_qemu_rootfs_uses_unified_rootfs_by_default(void **state)
{
	const char *const init[] = {
	    "id=disk0,if=none,format=raw,file=/old/tmp/rootfs.img"};
	char *want =
	    tu_asprintf("id=disk0,if=none,format=raw,file=%s/tmp/axbuild/"
			"rootfs/rootfs-aarch64-alpine.img",
			root);
	struct strv args;

	(void)state;
	assert_int_equal(strv_init(&args, init, 1), 0);
	seed_patch(&args, NULL, 0);
	assert_int_equal(args.n, 1);
	assert_string_equal(args.v[0], want);
	strv_free(&args);
	free(want);
}

static void
patch_qemu_rootfs_inserts_drive_arg_when_template_omits_it(void **state)
{
	const char *const init[] = {"-device", "virtio-blk-device,drive=disk0",
				    "-append", "root=/dev/vda rw init=/bin/sh"};
	char *drive =
	    tu_asprintf("id=disk0,if=none,format=raw,file=%s/tmp/axbuild/"
			"rootfs/rootfs-aarch64-alpine.img",
			root);
	struct strv args;

	(void)state;
	assert_int_equal(strv_init(&args, init, 4), 0);
	seed_patch(&args, NULL, 0);
	assert_int_equal(args.n, 6);
	assert_string_equal(args.v[0], "-device");
	assert_string_equal(args.v[1], "virtio-blk-device,drive=disk0");
	assert_string_equal(args.v[2], "-drive");
	assert_string_equal(args.v[3], drive);
	assert_string_equal(args.v[4], "-append");
	assert_string_equal(args.v[5], "root=/dev/vda rw init=/bin/sh");
	strv_free(&args);
	free(drive);
}

static void discard_sets_snapshot_on_the_rootfs_drive_only(void **state)
{
	const char *const init[] = {
	    "-drive", "file=/o.img,id=disk0,cache=unsafe,format=raw", "-drive",
	    "id=other,if=none,file=/data.img"};
	struct rootfs_patch p = {.path = "/r/a,b.img", .discard = true};
	struct strv args;
	char err[256];

	(void)state;
	assert_int_equal(strv_init(&args, init, 4), 0);
	assert_int_equal(qemu_args_patch_rootfs(&args, &p, err, sizeof(err)),
			 0);
	assert_string_equal(
	    args.v[1],
	    "file=/r/a,,b.img,id=disk0,cache=unsafe,format=raw,snapshot=on");
	assert_string_equal(args.v[3], "id=other,if=none,file=/data.img");
	assert_int_equal(strv_find(&args, "-snapshot", 0), -1);
	strv_free(&args);
}

static void drive_value_of_another_option_is_not_the_rootfs(void **state)
{
	const char *const init[] = {"-device", "virtio-blk-pci,id=disk0"};
	struct rootfs_patch p = {.path = "/r.img"};
	struct strv args;
	char err[256];

	(void)state;
	assert_int_equal(strv_init(&args, init, 2), 0);
	assert_int_equal(qemu_args_patch_rootfs(&args, &p, err, sizeof(err)),
			 BP_ECONFIG);
	assert_string_equal(err, "no rootfs drive in the QEMU args: expected "
				 "a -drive with id=disk0 or a -device with "
				 "drive=disk0 (set diskless = true to boot "
				 "without one)");
	p.diskless = true;
	assert_int_equal(qemu_args_patch_rootfs(&args, &p, err, sizeof(err)),
			 0);
	assert_int_equal(args.n, 2);
	strv_free(&args);
}

/* diskless = true must not leave the template's disk0 drive pointing at
 * the cached image without snapshot=on. */
static void diskless_removes_the_template_rootfs_drive(void **state)
{
	const char *const init[] = {
	    "-nographic",
	    "-device",
	    "virtio-blk-device,drive=disk0",
	    "-drive",
	    "id=disk0,if=none,format=raw,file=/ws/tmp/axbuild/rootfs/a.img",
	    "-drive",
	    "id=data,if=none,file=/data.img",
	    "-device",
	    "virtio-blk-pci,drive=data",
	    "-m",
	    "1g"};
	const char *const want[] = {"-nographic",
				    "-drive",
				    "id=data,if=none,file=/data.img",
				    "-device",
				    "virtio-blk-pci,drive=data",
				    "-m",
				    "1g"};
	struct rootfs_patch p = {.diskless = true};
	struct strv args;
	struct strv removed;
	char err[256] = "";

	(void)state;
	assert_int_equal(strv_init(&args, init, 11), 0);
	assert_int_equal(qemu_args_patch_rootfs(&args, &p, err, sizeof(err)),
			 0);
	assert_int_equal(args.n, 7);
	for (size_t i = 0; i < args.n; i++)
		assert_string_equal(args.v[i], want[i]);
	strv_free(&args);

	/* with a rootfs path too, and reported item by item */
	p.path = "/r.img";
	assert_int_equal(strv_init(&args, init, 11), 0);
	assert_int_equal(strv_init(&removed, NULL, 0), 0);
	assert_int_equal(qemu_args_drop_rootfs(&args, &removed), 0);
	assert_int_equal(removed.n, 2);
	assert_string_equal(removed.v[0],
			    "-device virtio-blk-device,drive=disk0");
	assert_string_equal(removed.v[1], "-drive id=disk0,if=none,format=raw,"
					  "file=/ws/tmp/axbuild/rootfs/a.img");
	strv_free(&args);
	assert_int_equal(strv_init(&args, init, 11), 0);
	assert_int_equal(qemu_args_patch_rootfs(&args, &p, err, sizeof(err)),
			 0);
	assert_int_equal(args.n, 7);
	assert_int_equal(strv_find(&args, "/r.img", 0), -1);
	strv_free(&removed);
	strv_free(&args);
}

static void ensure_disk_boot_net_adds_what_is_missing(void **state)
{
	const char *const init[] = {"-nographic"};
	const char *const want[] = {"-nographic",
				    "-device",
				    "virtio-blk-pci,drive=disk0",
				    "-drive",
				    "id=disk0,if=none,format=raw,file=/r.img",
				    "-device",
				    "virtio-net-pci,netdev=net0",
				    "-netdev",
				    "user,id=net0"};
	struct rootfs_patch p = {.path = "/r.img",
				 .mode = ROOTFS_ENSURE_DISK_BOOT_NET};
	struct strv args;
	char err[256];

	(void)state;
	assert_int_equal(strv_init(&args, init, 1), 0);
	assert_int_equal(qemu_args_patch_rootfs(&args, &p, err, sizeof(err)),
			 0);
	assert_int_equal(args.n, 9);
	for (size_t i = 0; i < 9; i++)
		assert_string_equal(args.v[i], want[i]);
	/* a second pass finds everything and adds nothing */
	p.path = "/s.img";
	assert_int_equal(qemu_args_patch_rootfs(&args, &p, err, sizeof(err)),
			 0);
	assert_int_equal(args.n, 9);
	assert_string_equal(args.v[4],
			    "id=disk0,if=none,format=raw,file=/s.img");
	strv_free(&args);
}

/* EnsureDiskBootNet on @in gives @want (NULL-terminated lists). */
static void check_ensure(const char *const *in, const char *const *want)
{
	struct rootfs_patch p = {.path = "/tmp/new-rootfs.img",
				 .mode = ROOTFS_ENSURE_DISK_BOOT_NET};
	struct strv args;
	char err[256];
	size_t n = 0, m = 0;

	while (in[n])
		n++;
	while (want[m])
		m++;
	assert_int_equal(strv_init(&args, in, n), 0);
	assert_int_equal(qemu_args_patch_rootfs(&args, &p, err, sizeof(err)),
			 0);
	for (size_t i = 0; i < m && i < args.n; i++)
		assert_string_equal(args.v[i], want[i]);
	assert_int_equal(args.n, m);
	strv_free(&args);
}

/* axbuild's ensure_disk_boot_net_* tests (rootfs/qemu.rs) */
static void ensure_disk_boot_net_keeps_the_config_wiring(void **state)
{
	const char *const mmio[] = {
	    "-device", "virtio-blk-device,drive=disk0",
	    "-drive",  "id=disk0,if=none,format=raw,file=/tmp/old-rootfs.img",
	    "-device", "virtio-net-device,netdev=net0",
	    "-netdev", "user,id=net0",
	    NULL};
	const char *const mmio_want[] = {
	    "-device", "virtio-blk-device,drive=disk0",
	    "-drive",  "id=disk0,if=none,format=raw,file=/tmp/new-rootfs.img",
	    "-device", "virtio-net-device,netdev=net0",
	    "-netdev", "user,id=net0",
	    NULL};
	const char *const hostfwd[] = {
	    "-device", "virtio-blk-pci,drive=disk0",
	    "-drive",  "id=disk0,if=none,format=raw,file=/tmp/old-rootfs.img",
	    "-device", "virtio-net-pci,netdev=net0",
	    "-netdev", "user,id=net0,hostfwd=tcp::18790-:18790",
	    NULL};
	const char *const hostfwd_want[] = {
	    "-device", "virtio-blk-pci,drive=disk0",
	    "-drive",  "id=disk0,if=none,format=raw,file=/tmp/new-rootfs.img",
	    "-device", "virtio-net-pci,netdev=net0",
	    "-netdev", "user,id=net0,hostfwd=tcp::18790-:18790",
	    NULL};
	const char *const sd[] = {"-machine", "k230", "-drive",
				  "if=sd,format=raw,file=/tmp/old-rootfs.img",
				  NULL};
	const char *const sd_want[] = {
	    "-machine", "k230", "-drive",
	    "if=sd,format=raw,file=/tmp/new-rootfs.img", NULL};

	(void)state;
	check_ensure(mmio, mmio_want);
	check_ensure(hostfwd, hostfwd_want);
	check_ensure(sd, sd_want);
}

/* StarryOS: the root disk is the drive a -device references, not a new
 * disk0 on the same file (QEMU: Failed to get shared "write" lock). */
static void ensure_disk_boot_net_uses_the_referenced_drive(void **state)
{
	const char *const net[] = {
	    "-drive",  "id=nvm,if=none,format=raw,file=/tmp/old-rootfs.img",
	    "-device", "nvme,serial=starry-nvme-rootfs,drive=nvm",
	    "-device", "virtio-net-pci,netdev=net0",
	    "-netdev", "user,id=net0",
	    NULL};
	const char *const net_want[] = {
	    "-drive",  "id=nvm,if=none,format=raw,file=/tmp/new-rootfs.img",
	    "-device", "nvme,serial=starry-nvme-rootfs,drive=nvm",
	    "-device", "virtio-net-pci,netdev=net0",
	    "-netdev", "user,id=net0",
	    NULL};
	const char *const bare[] = {
	    "-drive", "id=nvm,if=none,format=raw,file=/tmp/old-rootfs.img",
	    "-device", "nvme,serial=starry-nvme-rootfs,drive=nvm", NULL};
	const char *const bare_want[] = {
	    "-drive", "id=nvm,if=none,format=raw,file=/tmp/new-rootfs.img",
	    "-device", "nvme,serial=starry-nvme-rootfs,drive=nvm", NULL};
	/* the first block device's drive is the root, not the USB disk */
	const char *const two[] = {
	    "-device", "nvme,serial=x,drive=nvm",
	    "-drive",  "id=nvm,if=none,format=raw,file=/a.img",
	    "-drive",  "id=usbdisk,if=none,format=raw,snapshot=on,file=/b.img",
	    "-device", "usb-storage,bus=xhci.0,drive=usbdisk",
	    NULL};
	const char *const two_want[] = {
	    "-device", "nvme,serial=x,drive=nvm",
	    "-drive",  "id=nvm,if=none,format=raw,file=/tmp/new-rootfs.img",
	    "-drive",  "id=usbdisk,if=none,format=raw,snapshot=on,file=/b.img",
	    "-device", "usb-storage,bus=xhci.0,drive=usbdisk",
	    NULL};

	(void)state;
	check_ensure(net, net_want);
	check_ensure(bare, bare_want);
	check_ensure(two, two_want);
}

static void machine_smp_and_gdb(void **state)
{
	const char *const init[] = {"-M", "virt", "-smp", "4", "-s"};
	struct strv args;

	(void)state;
	assert_string_equal(qemu_default_machine("x86_64"), "q35");
	assert_string_equal(qemu_default_machine("riscv64"), "virt");
	assert_int_equal(strv_init(&args, init, 5), 0);
	assert_int_equal(qemu_args_ensure_machine(&args, "q35"), 0);
	assert_int_equal(qemu_args_set_smp(&args, 2), 0);
	assert_int_equal(qemu_args_add_gdb(&args, 40001), 0);
	assert_int_equal(args.n, 7);
	assert_string_equal(args.v[1], "virt");
	assert_string_equal(args.v[3], "2");
	assert_string_equal(args.v[4], "-S");
	assert_string_equal(args.v[5], "-gdb");
	assert_string_equal(args.v[6], "tcp:127.0.0.1:40001");
	strv_free(&args);
	assert_int_equal(strv_init(&args, NULL, 0), 0);
	assert_int_equal(qemu_args_ensure_machine(&args, "virt"), 0);
	assert_int_equal(qemu_args_set_smp(&args, 8), 0);
	assert_int_equal(args.n, 4);
	assert_string_equal(args.v[0], "-machine");
	assert_string_equal(args.v[3], "8");
	strv_free(&args);
}

static void ostool_config_expands_and_warns(void **state)
{
	char *path = tu_asprintf("%s/qemu.toml", root);
	struct ostool_vars vars = {.workspace = "/ws", .package = "/ws/pkg"};
	struct qemu_config cfg;
	struct strv warnings;
	char err[512] = "";

	(void)state;
	setenv("BP_TEST_VAR", "val", 1);
	unsetenv("BP_TEST_UNSET");
	setenv("TMPDIR", "/scratch", 1);
	tu_write_file(
	    path, "# comment\n"
		  "args = [\"-drive\", \"file=${workspace}/a:${workspaceFolder}"
		  ":${package}:${tmpDir}\",\n"
		  "  \"${env:BP_TEST_VAR}|${env:BP_TEST_UNSET}|${other}\",]\n"
		  "success_regex = ['(?m)^guest test pass!\\s*$']\n"
		  "fail_regex = []\n"
		  "to_bin = true\nuefi = false\ntimeout = 180\n"
		  "shell_prefix = \"~ #\"\n"
		  "new_key = 1\n"
		  "shell_init_comd = \"true\"\n"
		  "test_commands = [\"true\"]\n"
		  "[host_http_server]\nport = 8000\n");
	assert_int_equal(qemu_config_init(&cfg), 0);
	assert_int_equal(strv_init(&warnings, NULL, 0), 0);
	assert_int_equal(
	    qemu_config_load(&cfg, path, &vars, &warnings, err, sizeof(err)),
	    0);
	assert_int_equal(cfg.args.n, 3);
	assert_string_equal(cfg.args.v[1], "file=/ws/a:/ws:/ws/pkg:/scratch");
	assert_string_equal(cfg.args.v[2], "val||${other}");
	assert_string_equal(cfg.success_regex.v[0],
			    "(?m)^guest test pass!\\s*$");
	assert_true(cfg.to_bin);
	assert_int_equal(cfg.timeout, 180);
	assert_string_equal(cfg.shell_prefix, "~ #");
	assert_int_equal(warnings.n, 2);
	assert_non_null(strstr(warnings.v[0], ":10:11:"));
	assert_non_null(strstr(warnings.v[0], "unknown key `new_key` ignored"));
	/* no known key is near enough to hint at */
	assert_null(strstr(warnings.v[0], "did you mean"));
	/* a typo of a known key names it */
	assert_non_null(strstr(warnings.v[1],
			       "unknown key `shell_init_comd` ignored; did "
			       "you mean `shell_init_cmd`?"));
	/* axbuild's test-suit keys are known: a note each, no warning */
	assert_int_equal(cfg.suite_notes.n, 2);
	assert_non_null(strstr(cfg.suite_notes.v[0],
			       ":12:17: `test_commands` is used by `bootpipe "
			       "test`"));
	assert_non_null(strstr(cfg.suite_notes.v[1], "`host_http_server`"));
	strv_free(&warnings);
	qemu_config_free(&cfg);
	unsetenv("TMPDIR");
	free(path);
}

static void ostool_config_errors_name_the_place(void **state)
{
	char *path = tu_asprintf("%s/bad.toml", root);
	char *missing = tu_asprintf("%s/none.toml", root);
	char *want =
	    tu_asprintf("%s:2:8: `uefi` must be a bool, not string", path);
	char *want_missing =
	    tu_asprintf("cannot open QEMU config %s: No such file or "
			"directory",
			missing);
	struct qemu_config cfg;
	struct strv warnings;
	char err[512] = "";

	(void)state;
	assert_int_equal(qemu_config_init(&cfg), 0);
	assert_int_equal(strv_init(&warnings, NULL, 0), 0);
	tu_write_file(path, "args = []\nuefi = \"yes\"\n");
	assert_int_equal(
	    qemu_config_load(&cfg, path, NULL, &warnings, err, sizeof(err)),
	    BP_ECONFIG);
	assert_string_equal(err, want);
	tu_write_file(path, "args = [\"-m\",\n  \"8g\"\n");
	assert_int_equal(
	    qemu_config_load(&cfg, path, NULL, &warnings, err, sizeof(err)),
	    BP_ECONFIG);
	assert_memory_equal(err, path, strlen(path));
	assert_int_equal(
	    qemu_config_load(&cfg, missing, NULL, &warnings, err, sizeof(err)),
	    BP_ECONFIG);
	assert_string_equal(err, want_missing);
	strv_free(&warnings);
	qemu_config_free(&cfg);
	free(want_missing);
	free(want);
	free(missing);
	free(path);
}

/* Each pattern keeps the file:line:col of its array element, so a bad one
 * is reported where it was written. */
static void ostool_config_patterns_know_their_place(void **state)
{
	char *path = tu_asprintf("%s/where.toml", root);
	struct qemu_config cfg;
	struct strv warnings;
	char *want;
	char err[512] = "";

	(void)state;
	tu_write_file(path, "success_regex = ['ok']\n"
			    "fail_regex = [\n"
			    "    'panic',\n"
			    "      '(?i)kernel (panic',\n"
			    "]\n");
	assert_int_equal(qemu_config_init(&cfg), 0);
	assert_int_equal(strv_init(&warnings, NULL, 0), 0);
	assert_int_equal(
	    qemu_config_load(&cfg, path, NULL, &warnings, err, sizeof(err)), 0);
	assert_int_equal(cfg.fail_where.n, 2);
	want = tu_asprintf("%s:1:18", path);
	assert_string_equal(cfg.success_where.v[0], want);
	free(want);
	want = tu_asprintf("%s:4:7", path);
	assert_string_equal(cfg.fail_where.v[1], want);
	free(want);

	assert_int_equal(pattern_check(cfg.fail_regex.v[0], err, sizeof(err)),
			 0);
	assert_int_equal(pattern_check(cfg.fail_regex.v[1], err, sizeof(err)),
			 BP_ECONFIG);
	assert_string_equal(err, "\"(?i)kernel (panic\": missing closing "
				 "parenthesis at offset 17");
	/* the syntax AxVisor CI uses compiles */
	assert_int_equal(
	    pattern_check("(?m)^guest test pass!\\s*$", err, sizeof(err)), 0);
	assert_int_equal(
	    pattern_check("(?i)\\bpanic(?:ked)?\\b", err, sizeof(err)), 0);
	strv_free(&warnings);
	qemu_config_free(&cfg);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		patch_qemu_rootfs_overrides_rootfs_when_vmconfig_provides_one),
	    cmocka_unit_test(patch_qemu_rootfs_uses_unified_rootfs_by_default),
	    cmocka_unit_test(
		patch_qemu_rootfs_inserts_drive_arg_when_template_omits_it),
	    cmocka_unit_test(discard_sets_snapshot_on_the_rootfs_drive_only),
	    cmocka_unit_test(drive_value_of_another_option_is_not_the_rootfs),
	    cmocka_unit_test(diskless_removes_the_template_rootfs_drive),
	    cmocka_unit_test(ensure_disk_boot_net_adds_what_is_missing),
	    cmocka_unit_test(ensure_disk_boot_net_keeps_the_config_wiring),
	    cmocka_unit_test(ensure_disk_boot_net_uses_the_referenced_drive),
	    cmocka_unit_test(machine_smp_and_gdb),
	    cmocka_unit_test(ostool_config_expands_and_warns),
	    cmocka_unit_test(ostool_config_errors_name_the_place),
	    cmocka_unit_test(ostool_config_patterns_know_their_place),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
