/* patch-qemu's ELF -> raw binary, compared byte for byte with
 * `aarch64-linux-gnu-objcopy -O binary` on ELFs built with the cross tools
 * (the comparisons skip when those are not installed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/error.h>

#include "kernel_image.h"
#include "testutil.h"

static char root[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(root, sizeof(root), "kimg");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(root);
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	data = malloc((size_t)size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
	return data;
}

static bool have_cross_tools(void)
{
	return system("command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && "
		      "command -v aarch64-linux-gnu-objcopy >/dev/null "
		      "2>&1") == 0;
}

static void run(const char *cmd)
{
	int status = system(cmd);

	if (status != 0)
		fail_msg("command failed (%d): %s", status, cmd);
}

/* Assembly with code, read-only data, data and a tail of .bss. */
static const char guest_asm[] = "\t.section .text\n"
				"\t.globl _start\n"
				"_start:\n"
				"\tadr x0, msg\n"
				"\tldr x1, =counter\n"
				"\tb .\n"
				"\t.section .rodata\n"
				"msg:\t.asciz \"raw binary\"\n"
				"\t.section .data\n"
				"\t.balign 8\n"
				"counter:\t.quad 0x1122334455667788\n"
				"\t.section .bss\n"
				"\t.balign 16\n"
				"scratch:\t.space 0x4000\n";

/* Builds @name.elf from guest_asm (linker script @script or the default),
 * converts it both ways and compares. */
static void check_against_objcopy(const char *name, const char *script)
{
	char *src = tu_asprintf("%s/%s.S", root, name);
	char *elf = tu_asprintf("%s/%s.elf", root, name);
	char *want = tu_asprintf("%s/%s.objcopy.bin", root, name);
	char *got = tu_asprintf("%s/out/%s.bin", root, name);
	char *lds = NULL;
	char *cmd;
	char err[1024] = "";
	unsigned char *a, *b;
	size_t alen, blen;

	tu_write_file(src, guest_asm);
	if (script) {
		lds = tu_asprintf("%s/%s.ld", root, name);
		tu_write_file(lds, script);
	}
	cmd = tu_asprintf("aarch64-linux-gnu-gcc -g -nostdlib -static -no-pie "
			  "-Wl,--no-warn-rwx-segments %s%s -o %s %s",
			  lds ? "-Wl,-T," : "", lds ? lds : "", elf, src);
	run(cmd);
	free(cmd);
	cmd =
	    tu_asprintf("aarch64-linux-gnu-objcopy -O binary %s %s", elf, want);
	run(cmd);
	free(cmd);

	assert_true(kernel_is_elf(elf));
	if (kernel_elf_to_bin(elf, got, err, sizeof(err)) != 0)
		fail_msg("kernel_elf_to_bin %s: %s", elf, err);
	a = read_all(want, &alen);
	b = read_all(got, &blen);
	assert_int_equal(blen, alen);
	assert_memory_equal(b, a, alen);
	free(a);
	free(b);
	free(lds);
	free(got);
	free(want);
	free(elf);
	free(src);
}

/* The default script maps the ELF and program headers into the first
 * PT_LOAD; the image must still start at the first section. */
static void default_script_skips_headers(void **state)
{
	(void)state;
	if (!have_cross_tools())
		skip();
	check_against_objcopy("default", NULL);
}

static void second_segment_after_gap(void **state)
{
	(void)state;
	if (!have_cross_tools())
		skip();
	check_against_objcopy("gap", "ENTRY(_start)\n"
				     "PHDRS { text PT_LOAD; data PT_LOAD; }\n"
				     "SECTIONS {\n"
				     "  . = 0x40080000;\n"
				     "  .text : { *(.text*) } :text\n"
				     "  .rodata : { *(.rodata*) } :text\n"
				     "  . = 0x40093000;\n"
				     "  .data : { *(.data*) } :data\n"
				     "  .bss : { *(.bss*) } :data\n"
				     "}\n");
}

/* .bss is not in the image; a trailing .bss does not pad it. */
static void trailing_bss_not_written(void **state)
{
	(void)state;
	if (!have_cross_tools())
		skip();
	check_against_objcopy("bss", "ENTRY(_start)\n"
				     "SECTIONS {\n"
				     "  . = 0x40080000;\n"
				     "  .text : { *(.text*) }\n"
				     "  .rodata : { *(.rodata*) }\n"
				     "  .data : { *(.data*) }\n"
				     "  .bss : { *(.bss*) }\n"
				     "}\n");
}

/* .data runs at a far address but is loaded right after .rodata: the
 * image follows load addresses, not run addresses. */
static void load_address_differs_from_run_address(void **state)
{
	(void)state;
	if (!have_cross_tools())
		skip();
	check_against_objcopy(
	    "lma", "ENTRY(_start)\n"
		   "SECTIONS {\n"
		   "  . = 0x40080000;\n"
		   "  .text : { *(.text*) }\n"
		   "  .rodata : { *(.rodata*) }\n"
		   "  .data 0x48000000 : AT(ADDR(.rodata) + SIZEOF(.rodata))"
		   " { *(.data*) }\n"
		   "  .bss : { *(.bss*) }\n"
		   "}\n");
}

static void huge_gap_refused_naming_sections(void **state)
{
	char *src = tu_asprintf("%s/huge.S", root);
	char *lds = tu_asprintf("%s/huge.ld", root);
	char *elf = tu_asprintf("%s/huge.elf", root);
	char *bin = tu_asprintf("%s/huge.bin", root);
	char err[1024] = "";
	struct stat st;
	char *cmd;

	(void)state;
	if (!have_cross_tools())
		skip();
	tu_write_file(src, guest_asm);
	tu_write_file(lds, "ENTRY(_start)\n"
			   "PHDRS { text PT_LOAD; data PT_LOAD; }\n"
			   "SECTIONS {\n"
			   "  . = 0x40080000;\n"
			   "  .text : { *(.text*) } :text\n"
			   "  .rodata : { *(.rodata*) } :text\n"
			   "  . = 0xc0080000;\n"
			   "  .data : { *(.data*) } :data\n"
			   "}\n");
	cmd = tu_asprintf("aarch64-linux-gnu-gcc -nostdlib -static -no-pie "
			  "-Wl,--no-warn-rwx-segments -Wl,-T,%s -o %s %s",
			  lds, elf, src);
	run(cmd);
	free(cmd);
	assert_int_equal(kernel_elf_to_bin(elf, bin, err, sizeof(err)),
			 BP_ECONFIG);
	assert_non_null(strstr(err, "1 GiB"));
	assert_non_null(strstr(err, ".rodata"));
	assert_non_null(strstr(err, ".data"));
	assert_non_null(strstr(err, "0xc0080000"));
	assert_int_not_equal(stat(bin, &st), 0);
	free(bin);
	free(elf);
	free(lds);
	free(src);
}

static void not_elf_refused(void **state)
{
	char *path = tu_asprintf("%s/plain.bin", root);
	char *bin = tu_asprintf("%s/plain.out", root);
	char err[1024] = "";

	(void)state;
	tu_write_file(path, "not an ELF file at all");
	assert_false(kernel_is_elf(path));
	assert_int_equal(kernel_elf_to_bin(path, bin, err, sizeof(err)),
			 BP_ECONFIG);
	assert_non_null(strstr(err, path));
	free(bin);
	free(path);
}

/* Builds @elf from guest_asm with linker script @script (NULL: the
 * default) and writes objcopy's raw binary of it to @bin. */
static void build_elf(const char *elf, const char *script, const char *bin)
{
	char *src = tu_asprintf("%s.S", elf);
	char *lds = tu_asprintf("%s.ld", elf);
	char *cmd;

	tu_write_file(src, guest_asm);
	if (script)
		tu_write_file(lds, script);
	cmd = tu_asprintf("aarch64-linux-gnu-gcc -nostdlib -static -no-pie "
			  "-Wl,--no-warn-rwx-segments %s%s -o %s %s",
			  script ? "-Wl,-T," : "", script ? lds : "", elf, src);
	run(cmd);
	free(cmd);
	cmd =
	    tu_asprintf("aarch64-linux-gnu-objcopy -O binary %s %s", elf, bin);
	run(cmd);
	free(cmd);
	free(lds);
	free(src);
}

static void assert_same_file(const char *got, const char *want)
{
	unsigned char *a, *b;
	size_t alen, blen;

	a = read_all(want, &alen);
	b = read_all(got, &blen);
	assert_int_equal(blen, alen);
	assert_memory_equal(b, a, alen);
	free(a);
	free(b);
}

static size_t count_entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(dir);
	while ((e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dir);
	return n;
}

/* Two runs on one workspace whose kernels share a file name (every
 * AxVisor build is .../release/axvisor) must each boot their own image;
 * the same kernel again reuses its image under the same path. */
static void cache_is_by_content(void **state)
{
	char *dir_a = tu_asprintf("%s/a", root);
	char *dir_b = tu_asprintf("%s/b", root);
	char *elf_a = tu_asprintf("%s/axvisor", dir_a);
	char *elf_b = tu_asprintf("%s/axvisor", dir_b);
	char *want_a = tu_asprintf("%s/a.objcopy.bin", root);
	char *want_b = tu_asprintf("%s/b.objcopy.bin", root);
	char *prefix = tu_asprintf("%s/tmp/bootpipe/bin/", root);
	char *outdir = tu_asprintf("%s/tmp/bootpipe/bin", root);
	char *bin_a = NULL, *bin_b = NULL, *again = NULL, *bad = NULL;
	char *not_elf = tu_asprintf("%s/c/axvisor", root);
	char *dir_c = tu_asprintf("%s/c", root);
	char *old = tu_asprintf("%s/old.bin", outdir);
	char *fresh = tu_asprintf("%s/fresh.bin", outdir);
	char *orphan = tu_asprintf("%s/k.bin.AAAAAA.tmp", outdir);
	char *held = tu_asprintf("%s/k.bin.BBBBBB.tmp", outdir);
	char *new_tmp = tu_asprintf("%s/k.bin.CCCCCC.tmp", outdir);
	struct timeval week_ago[2] = {{time(NULL) - 8 * 24 * 3600, 0},
				      {time(NULL) - 8 * 24 * 3600, 0}};
	struct timeval minutes_ago[2] = {{time(NULL) - 120, 0},
					 {time(NULL) - 120, 0}};
	int held_fd;
	char err[1024] = "";
	bool made = false;

	(void)state;
	if (!have_cross_tools())
		skip();
	assert_int_equal(mkdir(dir_a, 0755), 0);
	assert_int_equal(mkdir(dir_b, 0755), 0);
	assert_int_equal(mkdir(dir_c, 0755), 0);
	build_elf(elf_a, NULL, want_a);
	build_elf(elf_b,
		  "ENTRY(_start)\n"
		  "SECTIONS {\n"
		  "  . = 0x40080000;\n"
		  "  .text : { *(.text*) }\n"
		  "  . = 0x40090000;\n"
		  "  .rodata : { *(.rodata*) }\n"
		  "  .data : { *(.data*) }\n"
		  "}\n",
		  want_b);

	if (kernel_bin_cached(root, elf_a, &bin_a, &made, err, sizeof(err)))
		fail_msg("kernel_bin_cached %s: %s", elf_a, err);
	assert_true(made);
	/* a new image sweeps those unused for a week, and only those, and
	 * the temporaries of killed conversions: unlocked, past the grace */
	tu_write_file(old, "old");
	tu_write_file(fresh, "fresh");
	assert_int_equal(utimes(old, week_ago), 0);
	tu_write_file(orphan, "killed");
	tu_write_file(held, "converting");
	tu_write_file(new_tmp, "just closed");
	assert_int_equal(utimes(orphan, minutes_ago), 0);
	assert_int_equal(utimes(held, minutes_ago), 0);
	held_fd = open(held, O_RDONLY | O_CLOEXEC);
	assert_true(held_fd >= 0);
	assert_int_equal(flock(held_fd, LOCK_EX), 0);
	if (kernel_bin_cached(root, elf_b, &bin_b, &made, err, sizeof(err)))
		fail_msg("kernel_bin_cached %s: %s", elf_b, err);
	assert_true(made);
	assert_int_equal(access(old, F_OK), -1);
	assert_int_equal(access(orphan, F_OK), -1);
	assert_int_equal(unlink(held), 0);
	assert_int_equal(unlink(new_tmp), 0);
	close(held_fd);
	assert_int_equal(unlink(fresh), 0);
	assert_string_not_equal(bin_a, bin_b);
	assert_memory_equal(bin_a, prefix, strlen(prefix));
	assert_int_equal(strlen(bin_a), strlen(prefix) + 64 + 4);
	assert_string_equal(bin_a + strlen(bin_a) - 4, ".bin");
	/* the first run's image is intact after the second conversion */
	assert_same_file(bin_a, want_a);
	assert_same_file(bin_b, want_b);
	/* the same kernel again: the same path, not converted again */
	if (kernel_bin_cached(root, elf_a, &again, &made, err, sizeof(err)))
		fail_msg("kernel_bin_cached %s: %s", elf_a, err);
	assert_false(made);
	assert_string_equal(again, bin_a);

	/* a failed conversion leaves neither its name nor a temporary */
	tu_write_file(not_elf, "not an ELF");
	assert_int_equal(
	    kernel_bin_cached(root, not_elf, &bad, &made, err, sizeof(err)),
	    BP_ECONFIG);
	assert_null(bad);
	assert_int_equal(count_entries(outdir), 2);

	free(new_tmp);
	free(held);
	free(orphan);
	free(fresh);
	free(old);
	free(again);
	free(bin_a);
	free(bin_b);
	free(dir_c);
	free(not_elf);
	free(outdir);
	free(prefix);
	free(want_b);
	free(want_a);
	free(elf_b);
	free(elf_a);
	free(dir_b);
	free(dir_a);
}

/* The demo guest's .bin is made by objcopy at build time. */
static void demo_guest_matches_its_bin(void **state)
{
	const char *build = getenv("BOOTPIPE_BUILD");
	char err[1024] = "";
	char *elf, *want, *got;
	unsigned char *a, *b;
	size_t alen, blen;
	struct stat st;

	(void)state;
	if (!build)
		skip();
	elf = tu_asprintf("%s/share/bootpipe/demo/guests/demo-aarch64.elf",
			  build);
	want = tu_asprintf("%s/share/bootpipe/demo/guests/demo-aarch64.bin",
			   build);
	got = tu_asprintf("%s/demo-aarch64.bin", root);
	if (stat(elf, &st) || stat(want, &st)) {
		free(got);
		free(want);
		free(elf);
		skip();
	}
	if (kernel_elf_to_bin(elf, got, err, sizeof(err)) != 0)
		fail_msg("kernel_elf_to_bin %s: %s", elf, err);
	a = read_all(want, &alen);
	b = read_all(got, &blen);
	assert_int_equal(blen, alen);
	assert_memory_equal(b, a, alen);
	free(a);
	free(b);
	free(got);
	free(want);
	free(elf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(default_script_skips_headers, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(second_segment_after_gap, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(trailing_bss_not_written, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		load_address_differs_from_run_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(huge_gap_refused_naming_sections,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(not_elf_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(demo_guest_matches_its_bin, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(cache_is_by_content, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
