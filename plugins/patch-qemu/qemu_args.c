/* QEMU argument edits: rootfs drive, machine, smp, gdb stub. */
#include "qemu_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

#include "drive.h"

bool qemu_args_has(const struct strv *args, const char *name, const char *alias)
{
	for (size_t i = 0; i < args->n; i++)
		if (qemu_opt_is(args->v[i], name) ||
		    (alias && qemu_opt_is(args->v[i], alias)))
			return true;
	return false;
}

/* True when the value at @i of option @name has @key equal to @want. */
static bool value_has(const struct strv *args, size_t i, const char *name,
		      const char *key, const char *want)
{
	struct drive_spec spec;
	const char *got;
	bool match;

	if (i == 0 || !qemu_opt_is(args->v[i - 1], name))
		return false;
	if (drive_spec_parse(args->v[i], &spec))
		return false;
	got = drive_spec_get(&spec, key);
	match = got && !strcmp(got, want);
	drive_spec_free(&spec);
	return match;
}

static int patch_drive(struct strv *args, size_t i,
		       const struct rootfs_patch *p)
{
	struct drive_spec spec;
	char *text = NULL;
	int rc;

	rc = drive_spec_parse(args->v[i], &spec);
	if (rc)
		return rc;
	rc = drive_spec_set(&spec, "file", p->path);
	if (!rc) {
		/* Deviation: the cached image stays clean unless asked. */
		if (p->discard)
			rc = drive_spec_set(&spec, "snapshot", "on");
		else
			drive_spec_unset(&spec, "snapshot");
	}
	if (!rc)
		rc = drive_spec_print(&spec, &text);
	drive_spec_free(&spec);
	if (rc)
		return rc;
	strv_take_at(args, i, text);
	return 0;
}

static char *new_drive(const struct rootfs_patch *p)
{
	char *path = drive_escape(p->path);
	char *out = NULL;

	if (!path)
		return NULL;
	if (asprintf(&out, "id=disk0,if=none,format=raw,file=%s%s", path,
		     p->discard ? ",snapshot=on" : "") < 0)
		out = NULL;
	free(path);
	return out;
}

static int insert_pair(struct strv *args, size_t at, const char *opt,
		       const char *value)
{
	int rc = strv_insert(args, at, opt);

	if (!rc)
		rc = strv_insert(args, at + 1, value);
	return rc;
}

/* The index just after the first -device value attaching disk0, or 0. */
static size_t after_disk_device(const struct strv *args)
{
	for (size_t i = 1; i < args->n; i++)
		if (value_has(args, i, "device", "drive", "disk0"))
			return i + 1;
	return 0;
}

static bool any_value_has(const struct strv *args, const char *name,
			  const char *key, const char *want)
{
	for (size_t i = 1; i < args->n; i++)
		if (value_has(args, i, name, key, want))
			return true;
	return false;
}

static int ensure_net(struct strv *args)
{
	int rc = 0;

	if (!any_value_has(args, "device", "netdev", "net0"))
		rc = insert_pair(args, args->n, "-device",
				 "virtio-net-pci,netdev=net0");
	if (!rc && !any_value_has(args, "netdev", "id", "net0"))
		rc = insert_pair(args, args->n, "-netdev", "user,id=net0");
	return rc;
}

/* "-opt value" (or the value alone) as one item of @removed. */
static int record_removal(struct strv *removed, const struct strv *args,
			  size_t first, size_t count)
{
	char *text;
	int rc;

	if (asprintf(&text, "%s%s%s", args->v[first], count > 1 ? " " : "",
		     count > 1 ? args->v[first + 1] : "") < 0)
		return BP_ENOMEM;
	rc = strv_push(removed, text);
	free(text);
	return rc;
}

int qemu_args_drop_rootfs(struct strv *args, struct strv *removed)
{
	size_t i = 0;

	while (i < args->n) {
		size_t first = i;
		size_t count = 1;

		if (value_has(args, i, "device", "drive", "disk0")) {
			first = i - 1;
			count = 2;
		} else if (qemu_args_is_rootfs_drive(args, i)) {
			/* with its -drive, unless it stands alone */
			if (i > 0 && qemu_opt_is(args->v[i - 1], "drive")) {
				first = i - 1;
				count = 2;
			}
		} else {
			i++;
			continue;
		}
		if (removed && record_removal(removed, args, first, count))
			return BP_ENOMEM;
		for (size_t k = 0; k < count; k++)
			strv_remove(args, first);
		i = first;
	}
	return 0;
}

/* True when -device value @text is driver @a or @b with @key=@want. */
static bool device_is(const char *text, const char *a, const char *b,
		      const char *key, const char *want)
{
	struct drive_spec spec;
	const char *got;
	bool match = false;

	if (drive_spec_parse(text, &spec))
		return false;
	if (spec.n && !spec.opts[0].value &&
	    (!strcmp(spec.opts[0].key, a) || !strcmp(spec.opts[0].key, b))) {
		got = drive_spec_get(&spec, key);
		match = got && !strcmp(got, want);
	}
	drive_spec_free(&spec);
	return match;
}

/* What axbuild's EnsureDiskBootNet finds in the args before it adds. */
struct boot_wiring {
	bool blk_device; /* virtio-blk-{pci,device},drive=disk0 */
	bool drive;	 /* the root drive was found and patched */
	bool net_device; /* virtio-net-{pci,device},netdev=net0 */
	bool netdev;	 /* -netdev ...,id=net0 */
	bool sd_rootfs;	 /* an if=sd drive with a file is the root disk */
	bool custom;	 /* the root disk is a drive other than disk0 */
};

/* The devices and network axbuild's EnsureDiskBootNet looks for. */
static void find_wiring(const struct strv *args, struct boot_wiring *w)
{
	for (size_t i = 1; i < args->n; i++) {
		const char *opt = args->v[i - 1];

		if (qemu_opt_is(opt, "device")) {
			w->blk_device |=
			    device_is(args->v[i], "virtio-blk-pci",
				      "virtio-blk-device", "drive", "disk0");
			w->net_device |=
			    device_is(args->v[i], "virtio-net-pci",
				      "virtio-net-device", "netdev", "net0");
		} else if (qemu_opt_is(opt, "netdev")) {
			w->netdev |= value_has(args, i, "netdev", "id", "net0");
		}
	}
}

/* axbuild's EnsureDiskBootNet (rootfs/qemu.rs): the root disk is disk0,
 * an if=sd drive, or the drive a -device references (root_drive.h);
 * block device, drive and user network are added only where missing, and
 * no network is added to a config whose own root disk has none. */
static int ensure_disk_boot_net(struct strv *args, const struct rootfs_patch *p)
{
	struct boot_wiring w = {0};
	enum root_drive_kind *kinds;
	size_t n = args->n;
	char *drive;
	int rc = 0;

	find_wiring(args, &w);
	kinds = calloc(n ? n : 1, sizeof(*kinds));
	if (!kinds)
		return BP_ENOMEM;
	root_drives_find(args, true, kinds);
	for (size_t i = 0; i < n && !rc; i++) {
		if (kinds[i] == ROOT_DRIVE_NONE)
			continue;
		rc = patch_drive(args, i, p);
		w.drive = true;
		if (kinds[i] == ROOT_DRIVE_SD)
			w.blk_device = w.sd_rootfs = true;
		else if (kinds[i] == ROOT_DRIVE_REFERENCED)
			w.blk_device = w.custom = true;
	}
	free(kinds);
	if (rc)
		return rc;
	if (w.sd_rootfs && !w.net_device && !w.netdev)
		return 0;
	if (!w.blk_device && (rc = insert_pair(args, args->n, "-device",
					       "virtio-blk-pci,drive=disk0")))
		return rc;
	if (!w.drive) {
		if (!(drive = new_drive(p)))
			return BP_ENOMEM;
		rc = insert_pair(args, args->n, "-drive", drive);
		free(drive);
		if (rc)
			return rc;
	}
	if (w.custom && !w.net_device && !w.netdev)
		return 0;
	if (!w.net_device && (rc = insert_pair(args, args->n, "-device",
					       "virtio-net-pci,netdev=net0")))
		return rc;
	if (!w.netdev)
		rc = insert_pair(args, args->n, "-netdev", "user,id=net0");
	return rc;
}

int qemu_args_patch_rootfs(struct strv *args, const struct rootfs_patch *p,
			   char *err, size_t errlen)
{
	bool patched = false;
	size_t at;
	char *drive;
	int rc;

	/* Diskless means no rootfs drive at all: a template's disk0 drive
	 * left in place would let the guest write the image it names. */
	if (p->diskless) {
		rc = qemu_args_drop_rootfs(args, NULL);
		if (!rc && p->mode == ROOTFS_ENSURE_DISK_BOOT_NET)
			rc = ensure_net(args);
		return rc;
	}
	if (p->mode == ROOTFS_KEEP)
		return 0;
	if (!p->path) {
		snprintf(err, errlen, "no rootfs path to put in the QEMU args");
		return BP_ECONFIG;
	}
	if (p->mode == ROOTFS_ENSURE_DISK_BOOT_NET)
		return ensure_disk_boot_net(args, p);
	for (size_t i = 0; i < args->n; i++) {
		if (!qemu_args_is_rootfs_drive(args, i))
			continue;
		rc = patch_drive(args, i, p);
		if (rc)
			return rc;
		patched = true;
	}
	if (patched)
		return 0;
	at = after_disk_device(args);
	if (!at) {
		snprintf(err, errlen,
			 "no rootfs drive in the QEMU args: expected a -drive "
			 "with id=disk0 or a -device with drive=disk0 "
			 "(set diskless = true to boot without one)");
		return BP_ECONFIG;
	}
	drive = new_drive(p);
	if (!drive)
		return BP_ENOMEM;
	rc = insert_pair(args, at, "-drive", drive);
	free(drive);
	return rc;
}

const char *qemu_default_machine(const char *arch)
{
	return !strcmp(arch, "x86_64") ? "q35" : "virt";
}

int qemu_args_ensure_machine(struct strv *args, const char *machine)
{
	if (qemu_args_has(args, "machine", "M"))
		return 0;
	return insert_pair(args, args->n, "-machine", machine);
}

int qemu_args_set_smp(struct strv *args, int64_t smp)
{
	char value[32];

	snprintf(value, sizeof(value), "%lld", (long long)smp);
	for (size_t i = 0; i + 1 < args->n; i++)
		if (qemu_opt_is(args->v[i], "smp"))
			return strv_set(args, i + 1, value);
	return insert_pair(args, args->n, "-smp", value);
}

int qemu_args_add_gdb(struct strv *args, int port)
{
	char value[64];
	int rc = 0;

	for (size_t i = 0; i < args->n;) {
		if (qemu_opt_is(args->v[i], "s"))
			strv_remove(args, i);
		else
			i++;
	}
	if (!qemu_args_has(args, "S", NULL))
		rc = strv_push(args, "-S");
	snprintf(value, sizeof(value), "tcp:127.0.0.1:%d", port);
	if (!rc)
		rc = insert_pair(args, args->n, "-gdb", value);
	return rc;
}
