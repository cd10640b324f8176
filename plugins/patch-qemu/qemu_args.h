/*
 * Edits of a QEMU argument list (without the binary): the rootfs drive in
 * both modes, the default machine, -smp and the debug stub.
 */
#ifndef BP_PATCH_QEMU_QEMU_ARGS_H
#define BP_PATCH_QEMU_QEMU_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "root_drive.h"
#include "strv.h"

enum rootfs_mode {
	ROOTFS_REPLACE_DRIVE_ONLY,   /* AxVisor, the default */
	ROOTFS_ENSURE_DISK_BOOT_NET, /* ArceOS, Starry */
	ROOTFS_KEEP, /* the config's own drives (ArceOS test flows) */
};

struct rootfs_patch {
	const char *path; /* the image; ignored with diskless */
	enum rootfs_mode mode;
	bool discard;  /* snapshot=on on the rootfs drive */
	bool diskless; /* no rootfs drive: the template's disk0 is removed */
};

/* True when the args have option @name (e.g. "machine") or @alias. */
bool qemu_args_has(const struct strv *args, const char *name,
		   const char *alias);

/*
 * Removes every disk0 drive (the -drive value with id=disk0 and its
 * -drive) and every -device that attaches drive=disk0. Each removal is
 * appended to @removed (when not NULL) as one "-opt value" item. 0 or
 * BP_ENOMEM.
 */
int qemu_args_drop_rootfs(struct strv *args, struct strv *removed);

/*
 * Points the rootfs drive at p->path (see SPEC patch-qemu); with
 * p->diskless removes it instead (qemu_args_drop_rootfs). BP_ECONFIG with
 * a message in @err when no rootfs drive can be identified; BP_ENOMEM.
 */
int qemu_args_patch_rootfs(struct strv *args, const struct rootfs_patch *p,
			   char *err, size_t errlen);

/* Appends -machine @machine unless -machine or -M is there. */
int qemu_args_ensure_machine(struct strv *args, const char *machine);

/* Sets -smp to @smp, replacing the value of an existing -smp. */
int qemu_args_set_smp(struct strv *args, int64_t smp);

/* Removes -s (ostool's fixed port 1234) and adds -S and
 * -gdb tcp:127.0.0.1:@port. */
int qemu_args_add_gdb(struct strv *args, int port);

/* The default -machine value for @arch: q35 on x86_64, else virt. */
const char *qemu_default_machine(const char *arch);

#endif
