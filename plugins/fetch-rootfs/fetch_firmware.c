/* The UEFI firmware a run boots, when the distribution has none. */
#include "fetch_firmware.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>
#include <bootpipe/keys.h>
#include <bootpipe/log.h>
#include <bootpipe/plugin.h>
#include <bootpipe/util.h>

#include "firmware.h"
#include "ostool_config.h"
#include "store.h"
#include "uefi_firmware.h"

static const char *opt_str(struct bp_stage *self, const char *key)
{
	const char *v = NULL;

	return bp_stage_opt_str(self, key, &v) || !v || !*v ? NULL : v;
}

/* The QEMU config's uefi; false without one or when it does not load
 * (patch-qemu reports its errors). */
static int config_wants_uefi(struct bp_stage *self, struct bp_ctx *ctx,
			     bool *uefi)
{
	const char *workspace = bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, NULL);
	const char *config =
	    bp_ctx_str_or(ctx, BP_KEY_REQUEST_QEMU_CONFIG, NULL);
	const struct ostool_vars vars = {
	    .workspace = workspace,
	    .package =
		bp_ctx_str_or(ctx, BP_KEY_REQUEST_PACKAGE_DIR, workspace),
	};
	struct qemu_config qc = {0};
	struct strv warnings = {0};
	char err[2048];
	int rc;

	*uefi = false;
	if (!config)
		return 0;
	if (qemu_config_init(&qc) || strv_init(&warnings, NULL, 0)) {
		qemu_config_free(&qc);
		strv_free(&warnings);
		return bp_fail(self, BP_ENOMEM, "out of memory");
	}
	rc = qemu_config_load(&qc, config, &vars, &warnings, err, sizeof(err));
	*uefi = !rc && qc.uefi;
	strv_free(&warnings);
	qemu_config_free(&qc);
	return rc == BP_ENOMEM ? bp_fail(self, rc, "out of memory") : 0;
}

/* firmware_cache (relative: to the workspace), else the XDG default. */
static int cache_dir(struct bp_stage *self, struct bp_ctx *ctx, char *out,
		     size_t outlen)
{
	const char *opt = opt_str(self, "firmware_cache");
	char err[512];
	char *full;

	if (!opt) {
		if (firmware_cache_default(out, outlen, err, sizeof(err)))
			return bp_fail(self, BP_ECONFIG, "%s", err);
		return 0;
	}
	full = bp_path_join(bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, "."), opt);
	if (!full)
		return bp_fail(self, BP_ENOMEM, "out of memory");
	if ((size_t)snprintf(out, outlen, "%s", full) >= outlen) {
		free(full);
		return bp_fail(self, BP_ECONFIG, "%s: firmware_cache too long",
			       bp_stage_opt_origin(self, "firmware_cache"));
	}
	free(full);
	return 0;
}

static int publish(struct bp_stage *self, struct bp_ctx *ctx,
		   const struct firmware_paths *p)
{
	if (bp_ctx_set_str(ctx, BP_KEY_FIRMWARE_CODE, p->code) ||
	    bp_ctx_set_str(ctx, BP_KEY_FIRMWARE_VARS, p->vars))
		return bp_fail(self, BP_ENOMEM, "cannot set %s: %s",
			       BP_KEY_FIRMWARE_CODE, bp_ctx_error(ctx));
	return 0;
}

int fetch_firmware(struct bp_stage *self, struct bp_store *s,
		   struct bp_ctx *ctx)
{
	const char *mode = opt_str(self, "uefi_firmware");
	const char *arch = bp_ctx_str_or(ctx, BP_KEY_REQUEST_ARCH, NULL);
	const char *url = opt_str(self, "uefi_firmware_url");
	const char *sha = opt_str(self, "uefi_firmware_sha256");
	bool always = mode && !strcmp(mode, "always");
	struct firmware_request req = {0};
	struct firmware_paths paths;
	struct uefi_firmware distro;
	char origin[1024];
	char hex[SHA256_HEX_SIZE];
	char cache[PATH_MAX];
	char err[2048];
	bool uefi;
	int rc;

	if ((mode && !strcmp(mode, "never")) || !arch)
		return 0;
	rc = config_wants_uefi(self, ctx, &uefi);
	if (rc || (!uefi && !always))
		return rc;
	if (!(req.arch = uefi_prebuilt_arch(arch))) {
		bp_log(self, BP_LOG_INFO,
		       "uefi: ovmf-prebuilt has no firmware for %s", arch);
		return 0;
	}
	if (!always &&
	    !uefi_find_firmware("", arch, &distro, err, sizeof(err))) {
		bp_log(self, BP_LOG_INFO,
		       "uefi: the distribution's firmware %s (%s); "
		       "uefi_firmware = always uses ovmf-prebuilt's instead",
		       distro.code, distro.package);
		return 0;
	}
	if (!url)
		url = FIRMWARE_DEFAULT_URL;
	if (!sha)
		sha = FIRMWARE_DEFAULT_SHA256;
	if (!sha256_hex_parse(sha, hex))
		return bp_fail(
		    self, BP_ECONFIG,
		    "%s: uefi_firmware_sha256 must be 64 hex digits, "
		    "not `%s`",
		    bp_stage_opt_origin(self, "uefi_firmware_sha256"), sha);
	rc = cache_dir(self, ctx, cache, sizeof(cache));
	if (rc)
		return rc;
	snprintf(origin, sizeof(origin),
		 "[%s] uefi_firmware_url from %s, uefi_firmware_sha256 from %s",
		 bp_stage_name(self),
		 bp_stage_opt_origin(self, "uefi_firmware_url"),
		 bp_stage_opt_origin(self, "uefi_firmware_sha256"));
	req.cache = cache;
	req.url = url;
	req.sha256 = hex;
	req.origin = origin;
	req.instead_hint = "set [patch-qemu] uefi_code and uefi_vars to "
			   "firmware of your own";
	if (!always)
		bp_log(self, BP_LOG_INFO, "uefi: %s; using ovmf-prebuilt's",
		       err);
	rc = bp_store_firmware_ensure(s, &req, &paths);
	if (rc)
		return bp_fail(self, rc, "%s", s->err);
	return publish(self, ctx, &paths);
}
