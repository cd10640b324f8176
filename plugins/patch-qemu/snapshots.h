/*
 * Which drives QEMU may write. bootpipe never writes an image of the
 * store, and rootfs_write = discard protects every drive, as axbuild's
 * test flows do with a global -snapshot; a global -snapshot itself is
 * never passed, since it would hide rootfs_write = persist and make the
 * UEFI ESP (fat:rw) read-only.
 */
#ifndef BP_PATCH_QEMU_SNAPSHOTS_H
#define BP_PATCH_QEMU_SNAPSHOTS_H

#include <stdbool.h>
#include <stddef.h>

#include "strv.h"

struct drive_guard {
	bool discard;	   /* rootfs_write = discard: protect every drive */
	const char *store; /* request.store, NULL when unknown */
	/* rootfs.managed_refs -> rootfs.managed_files, @nrefs each */
	const char *const *refs;
	const char *const *files;
	size_t nrefs;
};

/*
 * Every -drive whose file is a managed ref points at its store file; every
 * -drive with a file (not if=pflash firmware, not a fat: folder) that
 * points into the store (by name or through a link: rootfs_reaches_store),
 * or any when g->discard, gets snapshot=on; every
 * global -snapshot is removed. Each change is appended to @notes as a
 * sentence. 0 or BP_ENOMEM.
 */
int snapshots_apply(struct strv *args, const struct drive_guard *g,
		    struct strv *notes);

#endif
