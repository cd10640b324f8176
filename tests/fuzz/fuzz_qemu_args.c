/*
 * libFuzzer target for patch-qemu's argument edits: the input is a QEMU
 * argument list, one argument per NUL or newline; every edit the stage
 * makes (rootfs drive in both modes, machine, smp, gdb stub) must succeed
 * or fail with a message, never crash, and leave a NULL-terminated list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

#include "qemu_args.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct strv *s)
{
	if (s->n && (!s->v || s->v[s->n] != NULL))
		__builtin_trap();
	for (size_t i = 0; i < s->n; i++)
		if (!s->v[i])
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strv args = {0};
	struct rootfs_patch p = {.path = "/store/rootfs.img"};
	char err[512];
	const char *text = (const char *)data + 1;
	size_t len, start = 0;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[0];
	len = size - 1;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || text[i] == '\0' || text[i] == '\n') {
			char *item = strndup(text + start, i - start);

			if (!item || strv_push(&args, item) != 0) {
				free(item);
				goto out;
			}
			free(item);
			start = i + 1;
		}
	}
	check(&args);
	p.mode = (flags & 1) ? ROOTFS_ENSURE_DISK_BOOT_NET
			     : ROOTFS_REPLACE_DRIVE_ONLY;
	p.discard = flags & 2;
	p.diskless = flags & 4;
	if (flags & 8)
		p.path = NULL;
	if (!p.path && !p.diskless)
		p.diskless = true;
	err[0] = '\0';
	/* a refusal (no rootfs drive) must say why */
	if (qemu_args_patch_rootfs(&args, &p, err, sizeof(err)) == BP_ECONFIG &&
	    !err[0])
		__builtin_trap();
	check(&args);
	for (size_t i = 0; i < args.n; i++)
		(void)qemu_args_is_rootfs_drive(&args, i);
	qemu_args_ensure_machine(&args, qemu_default_machine("x86_64"));
	check(&args);
	if (!qemu_args_has(&args, "machine", "M"))
		__builtin_trap();
	qemu_args_set_smp(&args, (flags >> 4) + 1);
	check(&args);
	if (flags & 0x40) {
		qemu_args_add_gdb(&args, 1234);
		check(&args);
	}
out:
	strv_free(&args);
	return 0;
}
