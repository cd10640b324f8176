/* The architectures bootpipe's QEMU stages know, and their Rust targets. */
#ifndef BP_ARCH_H
#define BP_ARCH_H

#include <stddef.h>

struct arch_info {
	const char *arch;     /* "aarch64" */
	const char *target;   /* "aarch64-unknown-none-softfloat" */
	const char *efi_boot; /* "BOOTAA64.EFI" */
	unsigned elf_machine; /* EM_AARCH64 */
};

/* NULL when unknown. */
const struct arch_info *arch_by_name(const char *arch);
const struct arch_info *arch_by_target(const char *target);
/* 64-bit ELF machine -> arch, NULL when none of ours. */
const struct arch_info *arch_by_elf_machine(unsigned machine);

/*
 * Resolves an (arch, target) pair, either or both NULL: one implies the
 * other, both must agree, neither means aarch64. BP_ECONFIG with the
 * reason in @err (unknown values list the supported ones).
 */
int arch_resolve(const char *arch, const char *target,
		 const struct arch_info **out, char *err, size_t errlen);

/* The arch of a 64-bit ELF file by its header; NULL when @path is not
 * readable, not ELF64 or of another machine. Reads only the header. */
const struct arch_info *arch_of_elf_file(const char *path);

#endif
