/* The pflash drives and the ESP folder QEMU serves as a FAT drive. */
#include "uefi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/util.h>

#include "drive.h"

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out;
	ssize_t n;
	int rc = 0;

	if (in < 0) {
		snprintf(err, errlen, "cannot open %s: %s", from,
			 strerror(errno));
		return BP_EIO;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		snprintf(err, errlen, "cannot create %s: %s", to,
			 strerror(errno));
		close(in);
		return BP_EIO;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	}
	if (n < 0 || close(out)) {
		snprintf(err, errlen, "cannot copy %s to %s: %s", from, to,
			 strerror(errno));
		rc = BP_EIO;
	}
	close(in);
	return rc;
}

static int make_dirs(const char *dir, bool esp, char *err, size_t errlen)
{
	char *boot = bp_path_join(dir, esp ? "esp/EFI/BOOT" : "");

	if (!boot)
		return BP_ENOMEM;
	if (bp_mkdir_p(boot, 0755)) {
		snprintf(err, errlen, "cannot create %s: %s", boot,
			 strerror(errno));
		free(boot);
		return BP_EIO;
	}
	free(boot);
	return 0;
}

static int push_drive(struct strv *args, const char *prefix, const char *file)
{
	char *escaped = drive_escape(file);
	char *value = NULL;
	int rc;

	if (!escaped || asprintf(&value, "%s%s", prefix, escaped) < 0) {
		free(escaped);
		return BP_ENOMEM;
	}
	rc = strv_push(args, "-drive");
	if (!rc)
		rc = strv_push(args, value);
	free(value);
	free(escaped);
	return rc;
}

int uefi_prepare(struct strv *args, const struct uefi_firmware *fw,
		 const char *dir, const char *binary, const char *efi_name,
		 bool write, char *err, size_t errlen)
{
	char vars[4096];
	char esp[4096];
	char boot[4096];
	int rc;

	snprintf(vars, sizeof(vars), "%s/vars.fd", dir);
	snprintf(esp, sizeof(esp), "%s/esp", dir);
	snprintf(boot, sizeof(boot), "%s/esp/EFI/BOOT/%s", dir, efi_name);
	if (write) {
		rc = make_dirs(dir, binary != NULL, err, errlen);
		/* the variable store is written by the firmware: a copy */
		if (!rc)
			rc = copy_file(fw->vars, vars, err, errlen);
		if (!rc && binary)
			rc = copy_file(binary, boot, err, errlen);
		if (rc)
			return rc;
	}
	rc = push_drive(
	    args, "if=pflash,format=raw,unit=0,readonly=on,file=", fw->code);
	if (!rc)
		rc =
		    push_drive(args, "if=pflash,format=raw,unit=1,file=", vars);
	if (!rc && binary)
		rc = push_drive(args, "format=raw,file=fat:rw:", esp);
	return rc;
}
