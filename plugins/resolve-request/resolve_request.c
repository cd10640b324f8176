/*
 * resolve-request: turns the stage's options (pipeline file, --set, CLI
 * shortcuts) and axbuild's saved state into the request every later stage
 * reads: arch, target, package dir, kernel, vmconfigs, QEMU config, rootfs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/keys.h>
#include <bootpipe/plugin.h>

#include "build_config.h"
#include "request.h"

static const struct bp_option options[] = {
    {"package", BP_OPT_STR, NULL,
     "package dir, ${package} (default: <workspace>/os/axvisor if it "
     "exists, else the workspace)",
     0, NULL},
    {"arch", BP_OPT_STR, NULL,
     "aarch64, x86_64, riscv64 or loongarch64 (default: from target, "
     "state, kernel ELF, else aarch64)",
     0, NULL},
    {"target", BP_OPT_STR, NULL, "Rust target triple matching arch", 0, NULL},
    {"kernel", BP_OPT_STR, NULL,
     "image QEMU boots, ELF or raw (relative: to the workspace)", 0, NULL},
    {"require_kernel", BP_OPT_BOOL, "true", "fail when no kernel is given", 0,
     NULL},
    {"vmconfigs", BP_OPT_LIST, NULL,
     "AxVisor VM configs (relative: to the workspace)", 0, NULL},
    {"qemu_config", BP_OPT_STR, NULL,
     "ostool QEMU TOML (default: <package>/configs/qemu/qemu-<arch>.toml)", 0,
     NULL},
    {"rootfs", BP_OPT_STR, NULL,
     "explicit rootfs: alpine|busybox|debian, a name in the store, or a "
     "path; a word or name may pin a registry version: alpine:0.0.8",
     0, NULL},
    {"store", BP_OPT_STR, NULL,
     "managed image store (this option, else TGOS_IMAGE_LOCAL_STORAGE, "
     "else tmp/axbuild/.image.toml `local_storage`, else "
     "<workspace>/tmp/axbuild/rootfs)",
     0, NULL},
    {"debug", BP_OPT_BOOL, "false", "start QEMU halted with a GDB stub", 0,
     NULL},
    {"smp", BP_OPT_INT, NULL, "number of guest CPUs", 0, NULL},
    {"flow", BP_OPT_ENUM, "axvisor",
     "whose QEMU rules apply: axvisor (replace disk0), arceos or starry "
     "(axbuild's EnsureDiskBootNet)",
     0, "axvisor|arceos|starry"},
    {"build_config", BP_OPT_STR, NULL,
     "axbuild build config (build-<target>.toml; relative: to the "
     "workspace): its max_cpu_num is -smp in the arceos flow",
     0, NULL},
    {"state_file", BP_OPT_STR, NULL,
     "axbuild's saved state (default: "
     "<workspace>/tmp/axbuild/.axvisor.toml)",
     0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const char *const provides[] = {
    BP_KEY_ARCH,
    BP_KEY_REQUEST_ARCH,
    BP_KEY_REQUEST_ARCH_SOURCE,
    BP_KEY_REQUEST_TARGET,
    BP_KEY_REQUEST_PACKAGE_DIR,
    BP_KEY_REQUEST_KERNEL,
    BP_KEY_REQUEST_VMCONFIGS,
    BP_KEY_REQUEST_QEMU_CONFIG,
    BP_KEY_REQUEST_ROOTFS,
    BP_KEY_REQUEST_ROOTFS_VERSION,
    BP_KEY_REQUEST_STORE,
    BP_KEY_REQUEST_DEBUG,
    BP_KEY_REQUEST_SMP,
    BP_KEY_REQUEST_FLOW,
    BP_KEY_REQUEST_MAX_CPU_NUM,
    NULL,
};

/* The option's value when the pipeline set it, else NULL. */
static struct req_opt opt(struct bp_stage *self, const char *key)
{
	struct req_opt o = {NULL, bp_stage_opt_origin(self, key)};

	if (bp_stage_opt_is_set(self, key) &&
	    bp_stage_opt_str(self, key, &o.value))
		o.value = NULL;
	return o;
}

static int read_input(struct bp_stage *self, struct bp_ctx *ctx,
		      struct request_input *in)
{
	int rc;

	memset(in, 0, sizeof(*in));
	in->stage = bp_stage_name(self);
	in->engine_workspace = bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, NULL);
	in->package = opt(self, "package");
	in->arch = opt(self, "arch");
	in->target = opt(self, "target");
	in->kernel = opt(self, "kernel");
	in->qemu_config = opt(self, "qemu_config");
	in->rootfs = opt(self, "rootfs");
	in->store = opt(self, "store");
	in->state_file = opt(self, "state_file");
	in->vmconfigs_set = bp_stage_opt_is_set(self, "vmconfigs");
	in->vmconfigs_origin = bp_stage_opt_origin(self, "vmconfigs");
	rc = bp_stage_opt_list(self, "vmconfigs", &in->vmconfigs,
			       &in->vmconfig_count);
	if (rc)
		return bp_fail(self, rc, "cannot read option vmconfigs: %s",
			       bp_strerror(rc));
	rc = bp_stage_opt_bool(self, "debug", &in->debug);
	if (!rc)
		rc = bp_stage_opt_bool(self, "require_kernel",
				       &in->require_kernel);
	if (rc)
		return bp_fail(self, rc, "cannot read a bool option: %s",
			       bp_strerror(rc));
	in->smp_set = bp_stage_opt_is_set(self, "smp") &&
		      !bp_stage_opt_int(self, "smp", &in->smp);
	in->smp_origin = bp_stage_opt_origin(self, "smp");
	return 0;
}

static int publish(struct bp_ctx *ctx, const struct request *req,
		   bool workspace_set)
{
	int rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_ARCH, req->arch);

	if (!rc)
		rc = bp_ctx_set_str(ctx, BP_KEY_ARCH, req->arch);
	if (!rc)
		rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_ARCH_SOURCE,
				    req->arch_source);
	if (!rc)
		rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_TARGET, req->target);
	if (!rc)
		rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_PACKAGE_DIR,
				    req->package_dir);
	if (!rc && req->kernel)
		rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_KERNEL, req->kernel);
	if (!rc)
		rc = bp_ctx_set_list(ctx, BP_KEY_REQUEST_VMCONFIGS,
				     (const char *const *)req->vmconfigs,
				     req->vmconfig_count);
	if (!rc && req->qemu_config)
		rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_QEMU_CONFIG,
				    req->qemu_config);
	if (!rc && req->rootfs)
		rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_ROOTFS, req->rootfs);
	if (!rc && req->rootfs_version)
		rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_ROOTFS_VERSION,
				    req->rootfs_version);
	if (!rc)
		rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_STORE, req->store);
	if (!rc)
		rc = bp_ctx_set_bool(ctx, BP_KEY_REQUEST_DEBUG, req->debug);
	if (!rc && req->smp_set)
		rc = bp_ctx_set_int(ctx, BP_KEY_REQUEST_SMP, req->smp);
	/* Later stages expand ${workspace} in ostool files: an explicit
	 * workspace option is the workspace for them too. */
	if (!rc && workspace_set)
		rc = bp_ctx_set_str(ctx, BP_KEY_WORKSPACE, req->workspace);
	return rc;
}

/* request.flow, and request.max_cpu_num from the build config. */
static int publish_flow(struct bp_stage *self, struct bp_ctx *ctx,
			const struct request *req)
{
	const char *flow = "axvisor";
	const char *build = NULL;
	char err[2048] = "";
	int64_t cpus = 0;
	char *path;
	int rc;

	bp_stage_opt_str(self, "flow", &flow);
	rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_FLOW, flow);
	if (rc)
		return bp_fail(self, rc, "cannot publish the request: %s",
			       bp_ctx_error(ctx));
	if (!bp_stage_opt_is_set(self, "build_config") ||
	    bp_stage_opt_str(self, "build_config", &build) || !build)
		return 0;
	path = request_abs_path(req->workspace, build);
	if (!path)
		return bp_fail(self, BP_ENOMEM, "out of memory");
	rc = build_config_max_cpu_num(path, &cpus, err, sizeof(err));
	free(path);
	if (rc)
		return bp_fail(self, rc, "%s (set by %s)", err,
			       bp_stage_opt_origin(self, "build_config"));
	if (cpus > 0 &&
	    (rc = bp_ctx_set_int(ctx, BP_KEY_REQUEST_MAX_CPU_NUM, cpus)))
		return bp_fail(self, rc, "cannot publish the request: %s",
			       bp_ctx_error(ctx));
	return 0;
}

static int resolve_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	struct request_input in;
	struct request req;
	char err[2048] = "";
	bool check = false;
	int rc;

	(void)state;
	rc = read_input(self, ctx, &in);
	if (rc)
		return rc;
	/* a check reads the files the request names; the kernel is given
	 * (or built) at run time */
	bp_ctx_get_bool(ctx, BP_KEY_RUN_CHECK, &check);
	if (check)
		in.require_kernel = false;
	rc = request_resolve(&in, &req, err, sizeof(err));
	if (rc)
		return bp_fail(self, rc, "%s", err);
	for (size_t i = 0; i < req.note_count; i++)
		bp_log(self, BP_LOG_INFO, "%s", req.notes[i]);
	bp_log(self, BP_LOG_INFO, "arch %s (%s), target %s, workspace %s",
	       req.arch, req.arch_source, req.target, req.workspace);
	rc = publish(ctx, &req, in.workspace.value != NULL);
	if (rc)
		rc = bp_fail(self, rc, "cannot publish the request: %s",
			     bp_ctx_error(ctx));
	if (!rc)
		rc = publish_flow(self, ctx, &req);
	request_free(&req);
	return rc;
}

BP_PLUGIN_DEFINE(.name = "resolve-request", .version = "1.0.0",
		 .summary = "what to boot: arch, kernel, vmconfigs, QEMU "
			    "config, rootfs",
		 .options = options, .provides = provides, .run = resolve_run);
