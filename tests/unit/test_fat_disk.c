/* patch-qemu's FAT32 images for ArceOS configs (axbuild arceos/rootfs.rs). */
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
#include <sys/stat.h>

#include "fat_disk.h"
#include "testutil.h"

static char root[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(root, sizeof(root), "fat");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(root);
}

static void names_and_places_axbuild_makes(void **state)
{
	(void)state;
	assert_true(
	    fat_disk_wanted("/ws/tmp/axbuild/runtime-assets/a/disk.img"));
	assert_true(fat_disk_wanted("arceos-rust-fat32.img"));
	assert_true(fat_disk_wanted("/x/arceos-c-fat32.img"));
	assert_false(fat_disk_wanted("/x/rootfs.img"));
	assert_false(fat_disk_wanted("/x/arceos--fat32.img"));
	assert_false(fat_disk_wanted("/x/mydisk.img"));
	assert_true(fat_disk_recreated(
	    "/ws", "/ws/tmp/axbuild/runtime-assets/arceos/rust/disk.img"));
	assert_true(fat_disk_recreated(
	    "/ws/", "/ws/tmp/axbuild/runtime-assets/arceos/rust/disk.img"));
	assert_false(fat_disk_recreated("/ws", "/ws/images/disk.img"));
	assert_false(fat_disk_recreated(
	    "/ws", "/other/tmp/axbuild/runtime-assets/disk.img"));
}

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void check_fat32(const char *path)
{
	unsigned char boot[512];
	struct stat st;
	FILE *f;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, (off_t)FAT_DISK_SIZE);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(boot, 1, sizeof(boot), f), sizeof(boot));
	fclose(f);
	assert_memory_equal(boot + 82, "FAT32   ", 8);
	assert_int_equal(boot[510], 0x55);
	assert_int_equal(boot[511], 0xaa);
}

static void creates_a_whole_fat32_image_in_place(void **state)
{
	char *dir = tu_asprintf("%s/tmp/axbuild/runtime-assets/arceos", root);
	char *path = tu_asprintf("%s/disk.img", dir);
	char err[512] = "";

	(void)state;
	assert_int_equal(fat_disk_create(path, err, sizeof(err)), 0);
	check_fat32(path);
	/* made anew over an old one, nothing left beside it */
	tu_write_file(path, "old");
	assert_int_equal(fat_disk_create(path, err, sizeof(err)), 0);
	check_fat32(path);
	assert_int_equal(entries(dir), 1);
	free(path);
	free(dir);
}

static void a_path_it_cannot_create_is_an_error(void **state)
{
	char *file = tu_asprintf("%s/file", root);
	char *path = tu_asprintf("%s/file/disk.img", root);
	char err[512] = "";

	(void)state;
	tu_write_file(file, "x");
	assert_int_not_equal(fat_disk_create(path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, path));
	free(path);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(names_and_places_axbuild_makes),
	    cmocka_unit_test(creates_a_whole_fat32_image_in_place),
	    cmocka_unit_test(a_path_it_cannot_create_is_an_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
