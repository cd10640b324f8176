/*
 * fetch-rootfs: makes sure the managed images of a run are in the store:
 * the rootfs and every other drive of the QEMU config that names one, and
 * the UEFI firmware where the distribution has none. The store
 * itself (layout, registry, download, extraction) is the bp-store library; this
 * stage holds the policy: which image, which sources, offline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/keys.h>
#include <bootpipe/log.h>
#include <bootpipe/plugin.h>

#include "fetch_firmware.h"
#include "firmware.h"
#include "image_config.h"
#include "managed_drives.h"
#include "rootfs_rule.h"
#include "store.h"

static const struct bp_option options[] = {
    {"url", BP_OPT_STR, NULL,
     "archive URL template: {image} (rootfs-ARCH-DISTRO.img), {name} (without "
     ".img), {arch}, {distro}",
     0, NULL},
    {"sha256", BP_OPT_STR, NULL, "sha256 of the archive `url` names", 0, NULL},
    {"registry", BP_OPT_STR, NULL,
     "tgosimages registry TOML: a path or a URL (with neither this nor "
     "`url` set: tmp/axbuild/.image.toml `registry`, else "
     "tgosimages' default.toml; "
     "when that cannot be read, TGOS_IMAGE_REGISTRY_FALLBACK_URL, else "
     "v0.0.8.toml)",
     0, NULL},
    {"image_version", BP_OPT_STR, NULL,
     "registry version to use (default: newest released_at); in today's "
     "layout it unpacks to <name>-<version>/, as a NAME:VERSION pin does",
     0, NULL},
    {"offline", BP_OPT_BOOL, "false",
     "never use the network (also BOOTPIPE_OFFLINE=1); file:// still works", 0,
     NULL},
    {"keep_archive", BP_OPT_BOOL, "false",
     "keep the downloaded archive beside the image", 0, NULL},
    {"attempts", BP_OPT_INT, "5",
     "tries per download for 429, 5xx and network errors", 0, NULL},
    {"retry_delay_ms", BP_OPT_INT, "1000",
     "first retry delay; doubles on each retry", 0, NULL},
    {"connect_timeout", BP_OPT_INT, "30", "connect timeout, seconds", 0, NULL},
    {"stall_timeout", BP_OPT_INT, "60",
     "abort a transfer slower than stall_speed for this long (0: never)", 0,
     NULL},
    {"stall_speed", BP_OPT_INT, "1024", "bytes per second, see stall_timeout",
     0, NULL},
    {"allow_insecure_url", BP_OPT_BOOL, "false",
     "allow remote URLs that are not https (file:// is always allowed)", 0,
     NULL},
    {"layout", BP_OPT_ENUM, "auto",
     "store layout of new images: today (<name>/<name>, axbuild's; a "
     "pinned version in <name>-<version>/<name>), flat (<name>, the "
     "seed's), auto (today when .image.toml exists or the store's own "
     "registry is used)",
     0, "auto|flat|today"},
    {"auto_sync", BP_OPT_BOOL, NULL,
     "refresh the cached registry of the store's own (images.toml) when "
     "older than auto_sync_threshold (default: .image.toml's auto_sync, "
     "else true)",
     0, NULL},
    {"auto_sync_threshold", BP_OPT_INT, NULL,
     "seconds, 0: never refresh (default: .image.toml's "
     "auto_sync_threshold, else 604800, a week)",
     0, NULL},
    {"registry_max_documents", BP_OPT_INT, "256",
     "most registry documents one load reads, includes followed", 0, NULL},
    {"registry_max_bytes", BP_OPT_INT, "67108864",
     "most bytes the registry documents of one load hold together", 0, NULL},
    {"max_download_size", BP_OPT_STR, "64G",
     "most bytes an archive download may hold when the server sends no "
     "Content-Length (a larger Content-Length is refused too): a count or "
     "512K, 512M, 64G, 1T",
     0, NULL},
    {"allow_unverified", BP_OPT_BOOL, "false",
     "allow downloading a remote archive without a known sha256", 0, NULL},
    {"uefi_firmware", BP_OPT_ENUM, "auto",
     "ovmf-prebuilt's UEFI firmware, fetched into firmware_cache: auto (the "
     "QEMU config has uefi = true and the distribution has no firmware for "
     "the arch), always (also over the distribution's, and for [patch-qemu] "
     "uefi = true), never; [patch-qemu] uefi_code/uefi_vars win over both",
     0, "auto|always|never"},
    {"uefi_firmware_url", BP_OPT_STR, FIRMWARE_DEFAULT_URL,
     "the ovmf-prebuilt release tarball (a mirror: the same file)", 0, NULL},
    {"uefi_firmware_sha256", BP_OPT_STR, FIRMWARE_DEFAULT_SHA256,
     "sha256 of uefi_firmware_url (ostool's pin of edk2-stable202508-r1)", 0,
     NULL},
    {"firmware_cache", BP_OPT_STR, NULL,
     "UEFI firmware cache shared by workspaces (default: "
     "$XDG_CACHE_HOME/bootpipe/firmware, else ~/.cache/bootpipe/firmware)",
     0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const char *const requires[] = {BP_KEY_REQUEST_ARCH,
				       BP_KEY_REQUEST_STORE, NULL};
static const char *const provides[] = {
    BP_KEY_ROOTFS_MANAGED_PATH,	 BP_KEY_ROOTFS_MANAGED_REFS,
    BP_KEY_ROOTFS_MANAGED_FILES, BP_KEY_FIRMWARE_CODE,
    BP_KEY_FIRMWARE_VARS,	 NULL};

/* At most five updates a second, and the final one once. */
static void on_progress(void *user, const char *what, uint64_t done,
			uint64_t total)
{
	static uint64_t last_ns, last_done;
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (done == last_done ||
	    (now - last_ns < 200000000u && !(total && done == total)))
		return;
	last_ns = now;
	last_done = done;
	bp_progress(user, what, done, total);
}

static void on_progress_end(void *user)
{
	bp_progress_end(user);
}

static void on_log(void *user, enum bp_log_level level, const char *message)
{
	bp_log(user, level, "%s", message);
}

static int store_from_options(struct bp_stage *self, struct bp_ctx *ctx,
			      struct bp_store *s, struct bp_image_config *cfg)
{
	const char *ws = bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, ".");
	char err[2048];
	int rc;

	/* resolve-request decides the store once (its `store` option), so
	 * infer-rootfs and this stage always see the same one */
	bp_store_init(s, bp_ctx_str_or(ctx, BP_KEY_REQUEST_STORE, NULL));
	rc = bp_store_from_stage(s, self);
	if (rc)
		return bp_fail(self, rc, "%s", s->err);
	/* options first; .image.toml and the environment fill the rest */
	rc = bp_image_config_read(ws, cfg, err, sizeof(err));
	if (rc)
		return bp_fail(self, rc, "%s", err);
	rc = bp_store_use_image_config(s, cfg);
	if (rc)
		return bp_fail(self, rc, "%s: %s",
			       bp_stage_opt_origin(self, "layout"), s->err);
	s->hooks = (struct bp_store_hooks){.log = on_log,
					   .progress = on_progress,
					   .progress_end = on_progress_end,
					   .user = self};
	return 0;
}

static int explicit_must_exist(struct bp_stage *self, const char *store,
			       const char *rootfs)
{
	struct stat st;

	if (!rootfs || bp_stage_dry_run(self))
		return 0;
	if (stat(rootfs, &st) != 0)
		return bp_fail(self, BP_EINFRA,
			       "rootfs %s: %s (it is outside the image store "
			       "%s, so it is never downloaded)",
			       rootfs, strerror(errno), store);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return bp_fail(self, BP_EINFRA,
			       "rootfs %s is not a regular file or block "
			       "device",
			       rootfs);
	return 0;
}

/* The registry version of the root image: the one `rootfs = NAME:VERSION`
 * pins, else image_version; both set and different is a conflict. */
static int root_version(struct bp_stage *self, const struct bp_store *s,
			struct bp_ctx *ctx, const char **version)
{
	const char *pin =
	    bp_ctx_str_or(ctx, BP_KEY_REQUEST_ROOTFS_VERSION, NULL);

	*version = pin ? pin : s->image_version;
	if (pin && s->image_version && strcmp(pin, s->image_version) != 0)
		return bp_fail(self, BP_ECONFIG,
			       "the rootfs pins version %s but %s sets "
			       "image_version = %s; keep one",
			       pin, bp_stage_opt_origin(self, "image_version"),
			       s->image_version);
	return 0;
}

static int ensure_managed(struct bp_stage *self, struct bp_store *s,
			  struct bp_ctx *ctx)
{
	const char *rootfs = bp_ctx_str_or(ctx, BP_KEY_REQUEST_ROOTFS, NULL);
	const char *workspace = bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, NULL);
	/* the same expansion infer-rootfs does, so both see one image */
	const struct ostool_vars vars = {
	    .workspace = workspace,
	    .package =
		bp_ctx_str_or(ctx, BP_KEY_REQUEST_PACKAGE_DIR, workspace),
	};
	const char *const *vms = NULL;
	size_t nvms = 0;
	struct store_paths p;
	char err[2048];
	char *managed = NULL;
	const char *version;
	int rc;

	const char *arch = bp_ctx_str_or(ctx, BP_KEY_REQUEST_ARCH, NULL);

	if (!arch)
		return bp_fail(self, BP_ECONFIG, "request.arch is not set");
	if (rootfs && !*rootfs)
		rootfs = NULL;
	/* axbuild's ArceOS flows boot the QEMU config's own drives */
	if (!rootfs &&
	    !strcmp(bp_ctx_str_or(ctx, BP_KEY_REQUEST_FLOW, ""), "arceos")) {
		bp_log(self, BP_LOG_INFO,
		       "no managed image: the arceos flow boots the QEMU "
		       "config's own drives");
		return 0;
	}
	if (bp_ctx_get_list(ctx, BP_KEY_REQUEST_VMCONFIGS, &vms, &nvms) != 0) {
		vms = NULL;
		nvms = 0;
	}
	rc = rootfs_managed_path(s->dir, arch, rootfs, vms, nvms, &vars,
				 &managed, err, sizeof(err));
	if (rc)
		return bp_fail(self, rc, "%s", err);
	if (!managed) {
		bp_log(self, BP_LOG_INFO, "no managed image: %s",
		       rootfs ? "the rootfs is outside the store"
			      : "a vmconfig provides the rootfs");
		return explicit_must_exist(self, s->dir, rootfs);
	}
	rc = store_paths_init(&p, managed, err, sizeof(err));
	if (rc && access(managed, F_OK) == 0) {
		/* A file the user put in the store under another name: there
		 * is nothing to fetch, use it as it is. */
		bp_log(self, BP_LOG_INFO, "using %s as it is (%s)", managed,
		       err);
		rc = 0;
		if (bp_ctx_set_str(ctx, BP_KEY_ROOTFS_MANAGED_PATH, managed))
			rc = bp_fail(self, BP_ENOMEM, "cannot set %s",
				     BP_KEY_ROOTFS_MANAGED_PATH);
		goto out;
	}
	if (rc) {
		rc =
		    bp_fail(self, BP_ECONFIG, "%s, or put the file there", err);
		goto out;
	}
	/* the image file itself: <store>/<name>.img/<name>.img in today's
	 * layout, never axbuild's unpack directory */
	rc = store_paths_layout(&p, s->layout, err, sizeof(err));
	if (rc) {
		rc = bp_fail(self, rc, "%s", err);
		goto out;
	}
	rc = root_version(self, s, ctx, &version);
	if (rc)
		goto out;
	if (store_paths_pin(&p, version, err, sizeof(err))) {
		rc = bp_fail(self, BP_ECONFIG, "%s", err);
		goto out;
	}
	rc = bp_store_ensure(s, &p, arch, version);
	if (rc)
		rc = bp_fail(self, rc, "%s", s->err);
	else if (bp_ctx_set_str(ctx, BP_KEY_ROOTFS_MANAGED_PATH, p.image))
		rc = bp_fail(self, BP_ENOMEM, "cannot set %s",
			     BP_KEY_ROOTFS_MANAGED_PATH);
out:
	free(managed);
	return rc;
}

static int fetch_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	struct bp_image_config cfg = {0};
	struct bp_store s;
	bool check = false;
	int rc;

	(void)state;
	/* the store and its downloads are not part of a pipeline check */
	bp_ctx_get_bool(ctx, BP_KEY_RUN_CHECK, &check);
	if (check)
		return 0;
	rc = store_from_options(self, ctx, &s, &cfg);
	if (rc == 0)
		rc = ensure_managed(self, &s, ctx);
	if (rc == 0)
		rc = managed_drives_ensure(self, &s, &cfg, ctx);
	if (rc == 0)
		rc = fetch_firmware(self, &s, ctx);
	bp_store_fini(&s);
	bp_image_config_free(&cfg);
	return rc;
}

BP_PLUGIN_DEFINE(.name = "fetch-rootfs", .version = "1.0.0",
		 .summary = "download, verify and unpack the managed images: "
			    "the rootfs, every managed drive, UEFI firmware",
		 .options = options, .needs = requires, .provides = provides,
		 .run = fetch_run);
