/*
 * UEFI firmware where the distribution has none: a QEMU config with
 * uefi = true, for an arch whose firmware package is not installed
 * (Debian 12 packages none for riscv64 and loongarch64), gets
 * ovmf-prebuilt's release from the firmware cache (store/firmware.h),
 * fetched there first when missing, published as firmware.code /
 * firmware.vars for patch-qemu. patch-qemu's uefi_code / uefi_vars still
 * win over it.
 */
#ifndef BP_FETCH_ROOTFS_FETCH_FIRMWARE_H
#define BP_FETCH_ROOTFS_FETCH_FIRMWARE_H

struct bp_ctx;
struct bp_stage;
struct bp_store;

/* 0, or a status reported through bp_fail. */
int fetch_firmware(struct bp_stage *self, struct bp_store *s,
		   struct bp_ctx *ctx);

#endif
