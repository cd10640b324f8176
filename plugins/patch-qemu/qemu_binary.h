/*
 * The LVZ-capable QEMU that loongarch64 AxVisor needs, found where axbuild
 * looks (context/mod.rs find_loongarch_qemu_dir): the directory of
 * $AXBUILD_QEMU_SYSTEM_LOONGARCH64, $AXBUILD_QEMU_DIR, then the build
 * cache ($AXVISOR_QEMU_LVZ_CACHE, default ~/.cache/axvisor/qemu-lvz):
 * latest/bin, the commit pinned by os/axvisor/scripts/qemu-lvz.version,
 * every other <cache>/NAME/bin in name order.
 */
#ifndef BP_PATCH_QEMU_QEMU_BINARY_H
#define BP_PATCH_QEMU_QEMU_BINARY_H

/* <dir>/qemu-system-loongarch64 of the first directory holding one, or
 * NULL (also when out of memory); *source names where it was found. */
char *qemu_lvz_binary(const char *workspace, const char **source);

#endif
