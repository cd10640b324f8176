/* patch-qemu's snapshots: no store image is ever written, discard
 * protects every drive, never a global -snapshot. */
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
#include <unistd.h>

#include "snapshots.h"
#include "testutil.h"

static void check(const char *const *in, const struct drive_guard *g,
		  const char *const *want, size_t want_notes)
{
	struct strv args, notes;
	size_t n = 0, m = 0;

	while (in[n])
		n++;
	while (want[m])
		m++;
	assert_int_equal(strv_init(&args, in, n), 0);
	assert_int_equal(strv_init(&notes, NULL, 0), 0);
	assert_int_equal(snapshots_apply(&args, g, &notes), 0);
	for (size_t i = 0; i < m && i < args.n; i++)
		assert_string_equal(args.v[i], want[i]);
	assert_int_equal(args.n, m);
	assert_int_equal(notes.n, want_notes);
	strv_free(&notes);
	strv_free(&args);
}

static const char *const uefi_and_disks[] = {
    "-drive",	 "id=disk0,if=none,format=raw,file=/ws/store/root.img",
    "-drive",	 "id=usb,if=none,format=raw,snapshot=off,file=/data/a,,b.img",
    "-drive",	 "if=pflash,format=raw,unit=1,file=/tmp/vars.fd",
    "-drive",	 "format=raw,file=fat:rw:/tmp/esp",
    "-snapshot", NULL};

static void discard_protects_every_disk_without_global_snapshot(void **state)
{
	const char *const want[] = {
	    "-drive",
	    "id=disk0,if=none,format=raw,file=/ws/store/root.img,snapshot=on",
	    "-drive",
	    "id=usb,if=none,format=raw,snapshot=on,file=/data/a,,b.img",
	    "-drive",
	    "if=pflash,format=raw,unit=1,file=/tmp/vars.fd",
	    "-drive",
	    "format=raw,file=fat:rw:/tmp/esp",
	    NULL};
	struct drive_guard g = {.discard = true, .store = "/ws/store"};

	(void)state;
	check(uefi_and_disks, &g, want, 1);
}

static void persist_still_protects_the_store(void **state)
{
	const char *const want[] = {
	    "-drive",
	    "id=disk0,if=none,format=raw,file=/ws/store/root.img,snapshot=on",
	    "-drive",
	    "id=usb,if=none,format=raw,snapshot=off,file=/data/a,,b.img",
	    "-drive",
	    "if=pflash,format=raw,unit=1,file=/tmp/vars.fd",
	    "-drive",
	    "format=raw,file=fat:rw:/tmp/esp",
	    NULL};
	struct drive_guard g = {.discard = false, .store = "/ws/store"};

	(void)state;
	check(uefi_and_disks, &g, want, 1);
}

static void managed_refs_point_at_the_store(void **state)
{
	const char *const in[] = {
	    "-drive",
	    "id=usbdisk,if=none,format=raw,snapshot=on,file=/ws/tmp/axbuild/"
	    "rootfs/rootfs-aarch64-busybox.img",
	    "-drive", "id=mine,file=/ws/mine.img", NULL};
	const char *const want[] = {
	    "-drive",
	    "id=usbdisk,if=none,format=raw,snapshot=on,file=/ws/store/"
	    "rootfs-aarch64-busybox.img/rootfs-aarch64-busybox.img",
	    "-drive", "id=mine,file=/ws/mine.img", NULL};
	const char *const refs[] = {
	    "/ws/tmp/axbuild/rootfs/rootfs-aarch64-busybox.img"};
	const char *const files[] = {
	    "/ws/store/rootfs-aarch64-busybox.img/rootfs-aarch64-busybox.img"};
	struct drive_guard g = {.discard = false,
				.store = "/ws/store",
				.refs = refs,
				.files = files,
				.nrefs = 1};

	(void)state;
	check(in, &g, want, 1);
}

/* A drive reaching a store image through a symbolic link is a store
 * drive: persist must not write it either. */
static void persist_protects_links_into_the_store(void **state)
{
	char top[PATH_MAX / 2], store[PATH_MAX], img[PATH_MAX + 16];
	char sym[PATH_MAX], in_arg[PATH_MAX + 64], want_arg[PATH_MAX + 80];
	struct drive_guard g = {.discard = false, .store = store};

	(void)state;
	assert_int_equal(tu_mkdtemp(top, sizeof(top), "snapshots"), 0);
	snprintf(store, sizeof(store), "%s/store", top);
	snprintf(img, sizeof(img), "%s/r.img", store);
	snprintf(sym, sizeof(sym), "%s/mine.img", top);
	assert_int_equal(mkdir(store, 0755), 0);
	tu_write_file(img, "image");
	assert_int_equal(symlink(img, sym), 0);
	snprintf(in_arg, sizeof(in_arg), "id=disk0,format=raw,file=%s", sym);
	snprintf(want_arg, sizeof(want_arg), "%s,snapshot=on", in_arg);
	{
		const char *const in[] = {"-drive", in_arg, NULL};
		const char *const want[] = {"-drive", want_arg, NULL};

		check(in, &g, want, 0);
	}
	assert_int_equal(tu_rmtree(top), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		discard_protects_every_disk_without_global_snapshot),
	    cmocka_unit_test(persist_still_protects_the_store),
	    cmocka_unit_test(managed_refs_point_at_the_store),
	    cmocka_unit_test(persist_protects_links_into_the_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
