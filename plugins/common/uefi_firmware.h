/* The distribution's UEFI firmware, looked up by patch-qemu (which boots
 * it) and fetch-rootfs (which fetches ovmf-prebuilt's where it is absent). */
#ifndef BP_COMMON_UEFI_FIRMWARE_H
#define BP_COMMON_UEFI_FIRMWARE_H

#include <stddef.h>

struct uefi_firmware {
	const char *code;    /* read-only code image */
	const char *vars;    /* template of the variable store */
	const char *package; /* Debian package that ships it */
};

/* The first installed firmware pair for @arch under @root ("" for the real
 * system, a test tree otherwise). BP_EINFRA with the paths tried and the
 * package to install in @err. */
int uefi_find_firmware(const char *root, const char *arch,
		       struct uefi_firmware *out, char *err, size_t errlen);

/* ovmf-prebuilt's directory for @arch ("x64" for x86_64), NULL when its
 * release has no firmware for it. */
const char *uefi_prebuilt_arch(const char *arch);

#endif
