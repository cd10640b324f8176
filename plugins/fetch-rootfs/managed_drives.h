/*
 * Every managed drive of the run's QEMU config: a -drive (any id, any
 * interface) whose file is under axbuild's legacy
 * <workspace>/tmp/axbuild/rootfs, under .image.toml's local_storage or
 * under the store is a reference to a managed image, not a file to open.
 * Each one is resolved to its storage path in either layout, ensured, and
 * published as rootfs.managed_refs / rootfs.managed_files, so patch-qemu
 * points the drive at the store's file (with snapshot=on). The root drive
 * the run's rootfs replaces is left to the rootfs rule.
 */
#ifndef BP_FETCH_ROOTFS_MANAGED_DRIVES_H
#define BP_FETCH_ROOTFS_MANAGED_DRIVES_H

struct bp_ctx;
struct bp_image_config;
struct bp_stage;
struct bp_store;

/* 0, or a status reported through bp_fail naming the config and drive. */
int managed_drives_ensure(struct bp_stage *self, struct bp_store *s,
			  const struct bp_image_config *cfg,
			  struct bp_ctx *ctx);

#endif
