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
 * Writes the loadable segments of ELF @elf_path as a flat binary to
 * @bin_path, as `objcopy -O binary` does: from the lowest load address,
 * gaps zero-filled. Written to "<bin>.tmp" and renamed when complete.
 * BP_EIO or BP_ECONFIG with the reason in @err.
 */
int kernel_elf_to_bin(const char *elf_path, const char *bin_path, char *err,
		      size_t errlen);

#endif
