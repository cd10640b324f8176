/* UEFI boot: the firmware as pflash and an ESP folder. */
#ifndef BP_PATCH_QEMU_UEFI_H
#define BP_PATCH_QEMU_UEFI_H

#include <stdbool.h>
#include <stddef.h>

#include "strv.h"
#include "uefi_firmware.h"

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
