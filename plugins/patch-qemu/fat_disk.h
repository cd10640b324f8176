/*
 * The FAT32 images axbuild's ArceOS flows make for their QEMU configs
 * (arceos/rootfs.rs): every -drive file named disk.img or
 * arceos-*-fat32.img, 64 MiB, formatted by Debian's mkfs.fat.
 */
#ifndef BP_PATCH_QEMU_FAT_DISK_H
#define BP_PATCH_QEMU_FAT_DISK_H

#include <stdbool.h>
#include <stddef.h>

#define FAT_DISK_SIZE (64ull << 20) /* axbuild's DEFAULT_FAT32_ROOTFS_SIZE */

/* True when a drive file at @path is one axbuild makes (by its name). */
bool fat_disk_wanted(const char *path);

/* True when axbuild makes @path anew for every run: it is under
 * <@workspace>/tmp/axbuild/runtime-assets. */
bool fat_disk_recreated(const char *workspace, const char *path);

/*
 * Makes @path a fresh FAT32 image: a sparse file beside it, mkfs.fat -F 32
 * (no shell), then a rename over @path, so no run sees a half-made image.
 * BP_EIO / BP_EINFRA (mkfs.fat missing or failing) with @err.
 */
int fat_disk_create(const char *path, char *err, size_t errlen);

#endif
