/*
 * infer-rootfs: chooses the rootfs image of the run, explicit > vmconfig
 * sibling > managed default, with the rule fetch-rootfs shares.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootpipe/keys.h>
#include <bootpipe/plugin.h>

#include "rootfs_rule.h"

static const char *const requires_keys[] = {
    BP_KEY_REQUEST_ARCH,
    BP_KEY_REQUEST_STORE,
    NULL,
};

static const char *const provides[] = {
    BP_KEY_ROOTFS_PATH,
    BP_KEY_ROOTFS_SOURCE,
    NULL,
};

/* What chose the image, for the message when it is missing. */
static const char *rule_text(const char *source)
{
	if (!strcmp(source, "explicit"))
		return "the explicit rootfs (resolve-request rootfs)";
	if (!strcmp(source, "vmconfig"))
		return "the vmconfig kernel's sibling rootfs.img";
	return "the managed default of the image store (fetch-rootfs "
	       "provides it)";
}

static int choose(struct bp_stage *self, struct bp_ctx *ctx, char **path,
		  const char **source)
{
	const char *const *vmconfigs = NULL;
	const char *arch = bp_ctx_str_or(ctx, BP_KEY_REQUEST_ARCH, "");
	const char *store = bp_ctx_str_or(ctx, BP_KEY_REQUEST_STORE, "");
	const char *explicit_path =
	    bp_ctx_str_or(ctx, BP_KEY_REQUEST_ROOTFS, NULL);
	const char *workspace = bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, NULL);
	const char *managed;
	/* the package dir falls back to the workspace, as in patch-qemu */
	const struct ostool_vars vars = {
	    .workspace = workspace,
	    .package =
		bp_ctx_str_or(ctx, BP_KEY_REQUEST_PACKAGE_DIR, workspace),
	};
	size_t count = 0;
	char err[2048] = "";
	int rc;

	*path = NULL;
	if (explicit_path) {
		*source = "explicit";
		*path = strdup(explicit_path);
		return *path ? 0 : bp_fail(self, BP_ENOMEM, "out of memory");
	}
	/* axbuild's ArceOS flows boot the QEMU config's own drives */
	if (!strcmp(bp_ctx_str_or(ctx, BP_KEY_REQUEST_FLOW, ""), "arceos"))
		return 0;
	if (bp_ctx_has(ctx, BP_KEY_REQUEST_VMCONFIGS)) {
		rc = bp_ctx_get_list(ctx, BP_KEY_REQUEST_VMCONFIGS, &vmconfigs,
				     &count);
		if (rc)
			return bp_fail(self, rc, "%s", bp_ctx_error(ctx));
	}
	rc = rootfs_infer_from_vmconfigs(vmconfigs, count, &vars, path, err,
					 sizeof(err));
	if (rc)
		return bp_fail(self, rc, "%s", err);
	if (*path) {
		*source = "vmconfig";
		return 0;
	}
	*source = "managed";
	/* the image fetch-rootfs ensured, when it ran; the same rule on the
	 * same request.store gives the same path without it */
	managed = bp_ctx_str_or(ctx, BP_KEY_ROOTFS_MANAGED_PATH, NULL);
	*path = managed ? strdup(managed) : rootfs_default_path(store, arch);
	return *path ? 0 : bp_fail(self, BP_ENOMEM, "out of memory");
}

static int infer_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	const char *source = NULL;
	const char *why = NULL;
	char *path = NULL;
	struct stat st;
	bool check = false;
	int rc;

	(void)state;
	/* which rootfs exists is not part of a pipeline check */
	bp_ctx_get_bool(ctx, BP_KEY_RUN_CHECK, &check);
	if (check)
		return 0;
	rc = choose(self, ctx, &path, &source);
	if (rc)
		return rc;
	if (!path) {
		bp_log(self, BP_LOG_INFO,
		       "no rootfs: the arceos flow boots the QEMU config's own "
		       "drives (set rootfs to attach one)");
		return 0;
	}
	if (stat(path, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	if (why) {
		if (bp_stage_dry_run(self)) {
			/* plan mode downloads nothing, so it may be absent */
			bp_log(self, BP_LOG_INFO,
			       "would use rootfs %s (%s), chosen by %s; it "
			       "does not exist yet",
			       path, source, rule_text(source));
			goto publish;
		}
		/* the store's image missing is the host's problem, an
		 * explicit one the configuration's */
		rc = bp_fail(
		    self, strcmp(source, "managed") ? BP_ECONFIG : BP_EINFRA,
		    "rootfs %s chosen by %s: %s", path, rule_text(source), why);
		goto out;
	}
	bp_log(self, BP_LOG_INFO, "rootfs %s (%s)", path, source);
publish:
	rc = bp_ctx_set_str(ctx, BP_KEY_ROOTFS_PATH, path);
	if (!rc)
		rc = bp_ctx_set_str(ctx, BP_KEY_ROOTFS_SOURCE, source);
	if (rc)
		rc = bp_fail(self, rc, "cannot publish the rootfs: %s",
			     bp_ctx_error(ctx));
out:
	free(path);
	return rc;
}

BP_PLUGIN_DEFINE(.name = "infer-rootfs", .version = "1.0.0",
		 .summary = "choose the rootfs: explicit, vmconfig sibling or "
			    "managed default",
		 .needs = requires_keys, .provides = provides,
		 .run = infer_run);
