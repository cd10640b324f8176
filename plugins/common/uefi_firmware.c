/* The distribution's UEFI firmware: which packages ship it, where. */
#include "uefi_firmware.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <bootpipe/error.h>

struct fw_entry {
	const char *arch;
	struct uefi_firmware fw;
};

static const struct fw_entry firmware[] = {
    {"x86_64",
     {"/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd",
      "ovmf"}},
    {"x86_64",
     {"/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd", "ovmf"}},
    {"aarch64",
     {"/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF_VARS.fd",
      "qemu-efi-aarch64"}},
    {"riscv64",
     {"/usr/share/qemu-efi-riscv64/RISCV_VIRT_CODE.fd",
      "/usr/share/qemu-efi-riscv64/RISCV_VIRT_VARS.fd", "qemu-efi-riscv64"}},
    {"loongarch64",
     {"/usr/share/qemu-efi-loongarch64/QEMU_EFI.fd",
      "/usr/share/qemu-efi-loongarch64/QEMU_VARS.fd", "qemu-efi-loongarch64"}},
};

static bool exists_under(const char *root, const char *path)
{
	char full[4096];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", root, path);
	return stat(full, &st) == 0 && S_ISREG(st.st_mode);
}

int uefi_find_firmware(const char *root, const char *arch,
		       struct uefi_firmware *out, char *err, size_t errlen)
{
	const char *package = NULL;
	size_t n = 0;

	err[0] = '\0';
	for (size_t i = 0; i < sizeof(firmware) / sizeof(firmware[0]); i++) {
		const struct uefi_firmware *fw = &firmware[i].fw;

		if (strcmp(firmware[i].arch, arch))
			continue;
		if (exists_under(root, fw->code) &&
		    exists_under(root, fw->vars)) {
			*out = *fw;
			return 0;
		}
		package = fw->package;
		if (n < errlen) {
			int w = snprintf(err + n, errlen - n, "%s%s%s",
					 n ? ", "
					   : "UEFI firmware for "
					     "this arch not found; tried ",
					 root, fw->code);

			n += w > 0 ? (size_t)w : 0;
		}
	}
	if (!package)
		snprintf(err, errlen, "no known UEFI firmware for arch %s",
			 arch);
	else if (n < errlen)
		snprintf(err + n, errlen - n, " (install the %s package)",
			 package);
	return BP_EINFRA;
}

const char *uefi_prebuilt_arch(const char *arch)
{
	static const char *const same[] = {"aarch64", "riscv64", "loongarch64"};

	if (!strcmp(arch, "x86_64"))
		return "x64";
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (!strcmp(arch, same[i]))
			return same[i];
	return NULL;
}
