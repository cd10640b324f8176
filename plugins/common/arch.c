/* Arch <-> Rust target <-> ELF machine table. */
#include "arch.h"

#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bootpipe/error.h>

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

static const struct arch_info arches[] = {
	{"aarch64", "aarch64-unknown-none-softfloat", "BOOTAA64.EFI",
	 EM_AARCH64},
	{"x86_64", "x86_64-unknown-none", "BOOTX64.EFI", EM_X86_64},
	{"riscv64", "riscv64gc-unknown-none-elf", "BOOTRISCV64.EFI", EM_RISCV},
	{"loongarch64", "loongarch64-unknown-none-softfloat",
	 "BOOTLOONGARCH64.EFI", EM_LOONGARCH},
};

#define ARCH_COUNT (sizeof(arches) / sizeof(arches[0]))

const struct arch_info *arch_by_name(const char *arch)
{
	for (size_t i = 0; i < ARCH_COUNT; i++)
		if (!strcmp(arches[i].arch, arch))
			return &arches[i];
	return NULL;
}

const struct arch_info *arch_by_target(const char *target)
{
	for (size_t i = 0; i < ARCH_COUNT; i++)
		if (!strcmp(arches[i].target, target))
			return &arches[i];
	return NULL;
}

const struct arch_info *arch_by_elf_machine(unsigned machine)
{
	for (size_t i = 0; i < ARCH_COUNT; i++)
		if (arches[i].elf_machine == machine)
			return &arches[i];
	return NULL;
}

static void list_supported(char *buf, size_t len, bool targets)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARCH_COUNT && n < len; i++) {
		int w = snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				 targets ? arches[i].target : arches[i].arch);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

int arch_resolve(const char *arch, const char *target,
		 const struct arch_info **out, char *err, size_t errlen)
{
	const struct arch_info *a = NULL;
	const struct arch_info *t = NULL;
	char supported[256];

	if (arch) {
		a = arch_by_name(arch);
		if (!a) {
			list_supported(supported, sizeof(supported), false);
			snprintf(err, errlen,
				 "unknown arch `%s`; supported: %s", arch,
				 supported);
			return BP_ECONFIG;
		}
	}
	if (target) {
		t = arch_by_target(target);
		if (!t) {
			list_supported(supported, sizeof(supported), true);
			snprintf(err, errlen,
				 "unknown target `%s`; supported: %s", target,
				 supported);
			return BP_ECONFIG;
		}
	}
	if (a && t && a != t) {
		snprintf(err, errlen, "arch `%s` maps to target `%s`, but got `%s`",
			 a->arch, a->target, target);
		return BP_ECONFIG;
	}
	*out = a ? a : t ? t : &arches[0];
	return 0;
}

const struct arch_info *arch_of_elf_file(const char *path)
{
	unsigned char h[EI_NIDENT + 4];
	unsigned machine;
	FILE *f = fopen(path, "rb");
	size_t got;

	if (!f)
		return NULL;
	got = fread(h, 1, sizeof(h), f);
	fclose(f);
	if (got < sizeof(h) || memcmp(h, ELFMAG, SELFMAG) ||
	    h[EI_CLASS] != ELFCLASS64)
		return NULL;
	/* e_machine follows e_ident and the 2-byte e_type */
	if (h[EI_DATA] == ELFDATA2MSB)
		machine = (unsigned)h[EI_NIDENT + 2] << 8 | h[EI_NIDENT + 3];
	else
		machine = (unsigned)h[EI_NIDENT + 3] << 8 | h[EI_NIDENT + 2];
	return arch_by_elf_machine(machine);
}
