/* The kernel image QEMU boots: ELF detection and ELF -> raw binary. */
#ifndef BP_PATCH_QEMU_KERNEL_IMAGE_H
#define BP_PATCH_QEMU_KERNEL_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

/* True when @path is readable and starts with the ELF magic. */
bool kernel_is_elf(const char *path);

/* <workspace>/tmp/bootpipe/bin/SHA256.bin: what plan mode shows for a
 * kernel an earlier stage has yet to build. malloc'ed, NULL on ENOMEM. */
char *kernel_bin_placeholder(const char *workspace);

/*
 * The raw binary of ELF @elf_path (kernel_elf_to_bin), cached by content
 * as <workspace>/tmp/bootpipe/bin/<sha256 of the ELF>.bin: reruns and plan
 * reuse it, a printed command line stays valid after the run, and two
 * runs converting at once each write a temporary of their own and rename
 * it, so neither ever sees a half-written image. *out takes the path,
 * *made says whether this call wrote it. Errors as kernel_elf_to_bin, and
 * no file is left behind.
 */
int kernel_bin_cached(const char *workspace, const char *elf_path, char **out,
		      bool *made, char *err, size_t errlen);

/*
 * Writes ELF @elf_path as a flat binary to @bin_path, byte for byte what
 * `objcopy -O binary` writes: the allocated sections with file bytes at
 * their load addresses (the segment's p_paddr mapping), from the lowest to
 * the end of the highest, gaps zero-filled; the PT_LOAD segments when the
 * file has no section headers. An image over 1 GiB is refused, naming the
 * sections around the widest gap. Written to a temporary file of its own
 * beside @bin_path and renamed when complete. BP_EIO or BP_ECONFIG with the
 * reason in @err.
 */
int kernel_elf_to_bin(const char *elf_path, const char *bin_path, char *err,
		      size_t errlen);

#endif
