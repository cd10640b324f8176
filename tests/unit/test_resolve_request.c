/* resolve-request's rules and every error message it gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootpipe/error.h>

#include "request.h"
#include "testutil.h"

/* Room for a TMPDIR prefix while the paths built on it fit in 512. */
static char ws[128];

static void mkdirs(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", ws, rel);
	for (char *p = path + strlen(ws) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

static void put(const char *rel, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", ws, rel);
	tu_write_file(path, text);
}

static int setup(void **state)
{
	(void)state;
	if (tu_mkdtemp(ws, sizeof(ws), "request") != 0)
		return -1;
	mkdirs("os/axvisor/configs/qemu");
	mkdirs("os/axvisor/configs/vms");
	put("os/axvisor/configs/qemu/qemu-aarch64.toml", "args = []\n");
	put("os/axvisor/configs/qemu/qemu-x86_64.toml", "args = []\n");
	put("os/axvisor/configs/vms/linux.toml", "[kernel]\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(ws);
}

static struct request_input base(void)
{
	struct request_input in = {0};

	in.stage = "resolve-request";
	in.workspace = (struct req_opt){ws, "p.ini:3"};
	in.kernel = (struct req_opt){"target/axvisor", "p.ini:4"};
	in.require_kernel = true;
	return in;
}

static void expect_error(const struct request_input *in, const char *want)
{
	struct request req;
	char err[1024] = "";

	assert_int_equal(request_resolve(in, &req, err, sizeof(err)),
			 BP_ECONFIG);
	assert_string_equal(err, want);
}

static void defaults(void **state)
{
	struct request_input in = base();
	struct request req;
	char err[1024] = "";
	char want[512];

	(void)state;
	assert_int_equal(request_resolve(&in, &req, err, sizeof(err)), 0);
	assert_string_equal(req.arch, "aarch64");
	assert_string_equal(req.target, "aarch64-unknown-none-softfloat");
	assert_string_equal(req.arch_source, "default");
	snprintf(want, sizeof(want), "%s/os/axvisor", ws);
	assert_string_equal(req.package_dir, want);
	snprintf(want, sizeof(want),
		 "%s/os/axvisor/configs/qemu/qemu-aarch64.toml", ws);
	assert_string_equal(req.qemu_config, want);
	snprintf(want, sizeof(want), "%s/target/axvisor", ws);
	assert_string_equal(req.kernel, want);
	snprintf(want, sizeof(want), "%s/tmp/axbuild/rootfs", ws);
	assert_string_equal(req.store, want);
	assert_null(req.rootfs);
	assert_int_equal(req.vmconfig_count, 0);
	request_free(&req);
}

static void target_implies_arch_and_rootfs_words(void **state)
{
	struct request_input in = base();
	const char *vms[] = {"os/axvisor/configs/vms/linux.toml"};
	struct request req;
	char err[1024] = "";
	char want[512];

	(void)state;
	in.target = (struct req_opt){"x86_64-unknown-none", "p.ini:5"};
	in.rootfs = (struct req_opt){"debian", "p.ini:6"};
	in.vmconfigs = vms;
	in.vmconfig_count = 1;
	in.vmconfigs_set = true;
	in.smp_set = true;
	in.smp = 2;
	assert_int_equal(request_resolve(&in, &req, err, sizeof(err)), 0);
	assert_string_equal(req.arch, "x86_64");
	assert_string_equal(req.arch_source, "option");
	snprintf(want, sizeof(want),
		 "%s/tmp/axbuild/rootfs/rootfs-x86_64-debian.img", ws);
	assert_string_equal(req.rootfs, want);
	snprintf(want, sizeof(want), "%s/os/axvisor/configs/vms/linux.toml",
		 ws);
	assert_string_equal(req.vmconfigs[0], want);
	assert_true(req.smp_set);
	request_free(&req);
}

static void arch_and_target_errors(void **state)
{
	struct request_input in = base();

	(void)state;
	in.arch = (struct req_opt){"x86_64", "p.ini:7"};
	in.target =
	    (struct req_opt){"aarch64-unknown-none-softfloat", "p.ini:8"};
	expect_error(&in, "p.ini:8: arch `x86_64` maps to target "
			  "`x86_64-unknown-none`, but got "
			  "`aarch64-unknown-none-softfloat`");
	in.arch = (struct req_opt){"mips", "--set"};
	expect_error(&in, "--set: unknown arch `mips`; supported: aarch64, "
			  "x86_64, riscv64, loongarch64");
	in.arch = (struct req_opt){NULL, "default"};
	in.target = (struct req_opt){"thumbv7em-none-eabi", "p.ini:9"};
	expect_error(&in, "p.ini:9: unknown target `thumbv7em-none-eabi`; "
			  "supported: aarch64-unknown-none-softfloat, "
			  "x86_64-unknown-none, riscv64gc-unknown-none-elf, "
			  "loongarch64-unknown-none-softfloat");
}

static void missing_files_and_values(void **state)
{
	struct request_input in = base();
	const char *vms[] = {"configs/none.toml"};
	char want[1024];

	(void)state;
	in.kernel = (struct req_opt){NULL, "default"};
	expect_error(&in, "no kernel image to boot: set [resolve-request] "
			  "kernel = PATH or pass --kernel PATH");
	in = base();
	in.vmconfigs = vms;
	in.vmconfig_count = 1;
	in.vmconfigs_set = true;
	in.vmconfigs_origin = "p.ini:10";
	snprintf(want, sizeof(want),
		 "p.ini:10: vmconfig %s/configs/none.toml: No such file or "
		 "directory",
		 ws);
	expect_error(&in, want);
	in = base();
	in.qemu_config = (struct req_opt){"q.toml", "p.ini:11"};
	snprintf(want, sizeof(want),
		 "p.ini:11: QEMU config %s/q.toml: No such file or directory",
		 ws);
	expect_error(&in, want);
	in = base();
	in.smp_set = true;
	in.smp = 0;
	in.smp_origin = "p.ini:12";
	expect_error(&in, "p.ini:12: smp must be at least 1, got 0");
}

static void state_file_fills_unset_values(void **state)
{
	struct request_input in = base();
	struct request req;
	char err[1024] = "";
	char want[512];

	(void)state;
	mkdirs("tmp/axbuild");
	put("tmp/axbuild/.axvisor.toml",
	    "arch = \"x86_64\"\ntarget = \"x86_64-unknown-none\"\n"
	    "vmconfigs = [\"os/axvisor/configs/vms/linux.toml\"]\n"
	    "[qemu]\nqemu_config = \"os/axvisor/configs/qemu/"
	    "qemu-x86_64.toml\"\n");
	assert_int_equal(request_resolve(&in, &req, err, sizeof(err)), 0);
	assert_string_equal(req.arch, "x86_64");
	assert_string_equal(req.arch_source, "state");
	assert_int_equal(req.vmconfig_count, 1);
	snprintf(want, sizeof(want),
		 "%s/os/axvisor/configs/qemu/qemu-x86_64.toml", ws);
	assert_string_equal(req.qemu_config, want);
	request_free(&req);

	/* another arch asked for: the state's vmconfigs do not apply */
	in.arch = (struct req_opt){"aarch64", "p.ini:2"};
	assert_int_equal(request_resolve(&in, &req, err, sizeof(err)), 0);
	assert_int_equal(req.vmconfig_count, 0);
	request_free(&req);

	put("tmp/axbuild/.axvisor.toml", "arch = \"x86_64\"\nvmconfigs = 3\n");
	snprintf(want, sizeof(want),
		 "%s/tmp/axbuild/.axvisor.toml:2:13: `vmconfigs` must be an "
		 "array of strings",
		 ws);
	expect_error(&in, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults),
	    cmocka_unit_test(target_implies_arch_and_rootfs_words),
	    cmocka_unit_test(arch_and_target_errors),
	    cmocka_unit_test(missing_files_and_values),
	    cmocka_unit_test(state_file_fills_unset_values),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
