/* The kernel image QEMU boots: ELF detection and ELF -> raw binary. */
#ifndef BP_PATCH_QEMU_KERNEL_IMAGE_H
#define BP_PATCH_QEMU_KERNEL_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

/* True when @path is readable and starts with the ELF magic. */
bool kernel_is_elf(const char *path);

/* <workspace>/tmp/bootpipe/<name>.bin, <name> being the kernel's file
 * name without a trailing ".elf"; malloc'ed, NULL on ENOMEM. */
char *kernel_bin_path(const char *workspace, const char *kernel);

/*
 * Writes ELF @elf_path as a flat binary to @bin_path, byte for byte what
 * `objcopy -O binary` writes: the allocated sections with file bytes at
 * their load addresses (the segment's p_paddr mapping), from the lowest to
 * the end of the highest, gaps zero-filled; the PT_LOAD segments when the
 * file has no section headers. An image over 1 GiB is refused, naming the
 * sections around the widest gap. Written to "<bin>.tmp" and renamed when
 * complete. BP_EIO or BP_ECONFIG with the reason in @err.
 */
int kernel_elf_to_bin(const char *elf_path, const char *bin_path, char *err,
		      size_t errlen);

#endif
