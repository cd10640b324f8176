/* UEFI boot: distribution firmware as pflash and an ESP folder. */
#ifndef BP_PATCH_QEMU_UEFI_H
#define BP_PATCH_QEMU_UEFI_H

#include <stdbool.h>
#include <stddef.h>

#include "strv.h"

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

/*
 * Prepares @dir (created when @write): ESP at @dir/esp with the binary
 * copied to EFI/BOOT/@efi_name, the vars copied to @dir/vars.fd; appends
 * the pflash and fat:rw drives to @args. A NULL @binary means no ESP
 * (the firmware boots a -kernel): only the pflash drives. Without @write
 * only the args are added (plan mode). BP_EIO with @err.
 */
int uefi_prepare(struct strv *args, const struct uefi_firmware *fw,
		 const char *dir, const char *binary, const char *efi_name,
		 bool write, char *err, size_t errlen);

#endif
