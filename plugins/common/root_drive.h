/*
 * Which -drive of a QEMU argument list is the root disk that the run's
 * rootfs replaces: axbuild's rules (rootfs/qemu.rs), shared by patch-qemu,
 * which patches it, and fetch-rootfs, which must not fetch the image a
 * template's root drive names when the rootfs rule picks another.
 */
#ifndef BP_ROOT_DRIVE_H
#define BP_ROOT_DRIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "strv.h"

/* True when @arg is option @name, written -name or --name. */
bool qemu_opt_is(const char *arg, const char *name);

/* True when args->v[@i] is the value of a disk0 -drive, or (as axbuild's
 * own test has it) a drive value standing alone. */
bool qemu_args_is_rootfs_drive(const struct strv *args, size_t i);

enum root_drive_kind {
	ROOT_DRIVE_NONE,
	ROOT_DRIVE_DISK0,      /* id=disk0 */
	ROOT_DRIVE_SD,	       /* an if=sd drive with a file */
	ROOT_DRIVE_REFERENCED, /* the drive the first -device drive= names */
};

/*
 * Sets kinds[i] (args->n entries) for every item: every disk0 drive is
 * the root; with @ensure_disk (EnsureDiskBootNet: ArceOS, StarryOS) so is
 * every if=sd drive with a file, and when there is neither, the -drive
 * with a file that the first -device with a drive= attaches (StarryOS:
 * nvme,drive=nvm + id=nvm). True when any root drive was found.
 */
bool root_drives_find(const struct strv *args, bool ensure_disk,
		      enum root_drive_kind *kinds);

#endif
