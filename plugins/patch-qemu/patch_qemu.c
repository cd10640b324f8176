/*
 * patch-qemu: loads ostool's QEMU config (and the stage's overrides) and
 * produces the final argv: rootfs drive, machine, smp, accelerator,
 * kernel (raw binary or UEFI), GDB stub.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bootpipe/defaults.h>
#include <bootpipe/keys.h>
#include <bootpipe/plugin.h>
#include <bootpipe/util.h>

#include "accel.h"
#include "arch.h"
#include "drive.h"
#include "fat_disk.h"
#include "kernel_image.h"
#include "ostool_config.h"
#include "pattern.h"
#include "qemu_args.h"
#include "qemu_binary.h"
#include "rootfs_rule.h"
#include "run_dir.h"
#include "snapshots.h"
#include "uefi.h"

static const struct bp_option options[] = {
    {"qemu", BP_OPT_STR, NULL, "QEMU binary (default: qemu-system-<arch>)", 0,
     NULL},
    {"args", BP_OPT_LIST, NULL, "QEMU args, replacing the TOML's", 0, NULL},
    {"extra_args", BP_OPT_LIST, NULL, "QEMU args appended", 0, NULL},
    {"success_regex", BP_OPT_LIST, NULL, "replaces the TOML's", 0, NULL},
    {"fail_regex", BP_OPT_LIST, NULL, "replaces the TOML's", 0, NULL},
    {"shell_prefix", BP_OPT_STR, NULL,
     "console text after which shell_init_cmd is typed", 0, NULL},
    {"shell_init_cmd", BP_OPT_STR, NULL, "command typed at shell_prefix", 0,
     NULL},
    {"timeout", BP_OPT_INT, NULL,
     "seconds, 0: none (replaces the TOML's; `bootpipe test` passes the "
     "case's, scaled, so it wins over the pipeline's)",
     0, NULL},
    {"mode", BP_OPT_ENUM, "replace-drive-only",
     "rootfs patching, overriding the flow's (request.flow) rule", 0,
     "replace-drive-only|ensure-disk-boot-net"},
    {"rootfs_write", BP_OPT_ENUM, "discard",
     "discard: snapshot=on on every drive; persist: write the rootfs (never "
     "an image of the store, named or through a link)",
     0, "discard|persist"},
    {"diskless", BP_OPT_BOOL, "false", "boot without a rootfs drive", 0, NULL},
    {"accel", BP_OPT_ENUM, "auto", "accelerator", 0, "auto|kvm|tcg"},
    {"tcg_timeout_scale", BP_OPT_INT, "5",
     "timeout factor when KVM args fall back to TCG", 0, NULL},
    {"to_bin", BP_OPT_BOOL, NULL,
     "boot a raw binary made from the ELF (overrides the TOML)", 0, NULL},
    {"uefi", BP_OPT_BOOL, NULL, "boot through UEFI (overrides the TOML)", 0,
     NULL},
    {"uefi_code", BP_OPT_STR, NULL,
     "UEFI firmware code image (default: the distribution's, else "
     "ovmf-prebuilt's that fetch-rootfs fetched: see [fetch-rootfs] "
     "uefi_firmware)",
     0, NULL},
    {"uefi_vars", BP_OPT_STR, NULL,
     "UEFI variable store template, copied per run (with uefi_code)", 0, NULL},
    {"kvm_device", BP_OPT_STR, "/dev/kvm", "KVM device to probe", 0, NULL},
    {"host_arch", BP_OPT_STR, NULL, "host arch (default: uname -m)", 0, NULL},
    {"machine", BP_OPT_STR, NULL,
     "-machine when the args have none (default: virt, q35 on x86_64)", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const char *const requires_keys[] = {
    BP_KEY_REQUEST_ARCH,
    NULL,
};

static const char *const provides[] = {
    BP_KEY_QEMU_ARGV,		BP_KEY_QEMU_SUCCESS_REGEX,
    BP_KEY_QEMU_FAIL_REGEX,	BP_KEY_QEMU_SHELL_PREFIX,
    BP_KEY_QEMU_SHELL_INIT_CMD, BP_KEY_QEMU_TIMEOUT,
    BP_KEY_QEMU_ACCEL,		BP_KEY_QEMU_ACCEL_AUTO,
    BP_KEY_QEMU_ARGV_TCG,	NULL,
};

/* $TMPDIR/bootpipe-uefi-XXXXXX: a run's vars copy and ESP */
#define UEFI_DIR_PREFIX "bootpipe-uefi"

struct patch_state {
	struct run_dir uefi_dir; /* ESP and vars, removed at cleanup */
};

enum flow { FLOW_AXVISOR, FLOW_ARCEOS, FLOW_STARRY };

/* Everything one run works on. */
struct job {
	struct bp_stage *self;
	struct bp_ctx *ctx;
	const char *arch;
	const char *workspace;
	const char *config_path; /* NULL without a TOML */
	const char *args_from;	 /* config path or option origin */
	struct qemu_config cfg;
	struct strv args;
	enum flow flow; /* request.flow: whose rules apply */
	bool kvm_auto;	/* accel = auto chose KVM: publish a TCG argv too */
	bool dry_run;
	bool check; /* run.check: the config only */
};

static const char *opt_str(struct bp_stage *self, const char *key)
{
	const char *v = NULL;

	return bp_stage_opt_str(self, key, &v) ? NULL : v;
}

static int replace_list(struct bp_stage *self, const char *key,
			struct strv *list)
{
	const char *const *items;
	size_t count;

	if (!bp_stage_opt_is_set(self, key))
		return 0;
	if (bp_stage_opt_list(self, key, &items, &count))
		return 0;
	strv_free(list);
	return strv_init(list, items, count);
}

/* Pattern options replace the TOML's patterns and where they were. */
static int replace_patterns(struct bp_stage *self, const char *key,
			    struct strv *list, struct strv *where)
{
	const char *origin = bp_stage_opt_origin(self, key);
	int rc;

	if (!bp_stage_opt_is_set(self, key))
		return 0;
	rc = replace_list(self, key, list);
	strv_free(where);
	if (!rc)
		rc = strv_init(where, NULL, 0);
	for (size_t i = 0; i < list->n && !rc; i++) {
		char *text;

		if (asprintf(&text, "%s: [%s] %s, item %zu", origin,
			     bp_stage_name(self), key, i + 1) < 0)
			return BP_ENOMEM;
		rc = strv_push(where, text);
		free(text);
	}
	return rc;
}

/* Every pattern compiles, or the error names where it was written: found
 * by `bootpipe plan`, not by launch after the rootfs was downloaded. */
static int check_patterns(struct bp_stage *self, const char *key,
			  const struct strv *list, const struct strv *where)
{
	char err[1024] = "";

	for (size_t i = 0; i < list->n; i++) {
		int rc = pattern_check(list->v[i], err, sizeof(err));

		if (rc)
			return bp_fail(self, rc, "%s: bad %s pattern %s",
				       i < where->n ? where->v[i] : key, key,
				       err);
	}
	return 0;
}

/* Option `timeout` into *out when set, within 0 .. TIMEOUT_MAX_S. */
static int opt_timeout(struct bp_stage *self, int64_t *out)
{
	int64_t v;

	if (!bp_stage_opt_is_set(self, "timeout") ||
	    bp_stage_opt_int(self, "timeout", &v))
		return 0;
	if (v < 0 || v > TIMEOUT_MAX_S)
		return bp_fail(self, BP_ECONFIG,
			       "%s: timeout must be 0 to %d seconds (0: none), "
			       "not %lld",
			       bp_stage_opt_origin(self, "timeout"),
			       TIMEOUT_MAX_S, (long long)v);
	*out = v;
	return 0;
}

/* Option `tcg_timeout_scale`, at least 1 (the product saturates). */
static int opt_tcg_scale(struct bp_stage *self, int64_t *out)
{
	if (bp_stage_opt_int(self, "tcg_timeout_scale", out))
		*out = 5;
	if (*out < 1)
		return bp_fail(self, BP_ECONFIG,
			       "%s: tcg_timeout_scale must be at least 1, got "
			       "%lld",
			       bp_stage_opt_origin(self, "tcg_timeout_scale"),
			       (long long)*out);
	return 0;
}

static int replace_str(struct bp_stage *self, const char *key, char **out)
{
	const char *v;

	if (!bp_stage_opt_is_set(self, key) || !(v = opt_str(self, key)))
		return 0;
	free(*out);
	*out = strdup(v);
	return *out ? 0 : BP_ENOMEM;
}

static void opt_bool_override(struct bp_stage *self, const char *key, bool *out)
{
	if (bp_stage_opt_is_set(self, key))
		bp_stage_opt_bool(self, key, out);
}

static int load_config(struct job *job)
{
	struct bp_stage *self = job->self;
	struct ostool_vars vars = {
	    .workspace = job->workspace,
	    .package = bp_ctx_str_or(job->ctx, BP_KEY_REQUEST_PACKAGE_DIR,
				     job->workspace),
	};
	struct strv warnings;
	char err[2048] = "";
	int rc;

	if (qemu_config_init(&job->cfg) || strv_init(&warnings, NULL, 0))
		return bp_fail(self, BP_ENOMEM, "out of memory");
	job->config_path =
	    bp_ctx_str_or(job->ctx, BP_KEY_REQUEST_QEMU_CONFIG, NULL);
	if (job->config_path) {
		rc = qemu_config_load(&job->cfg, job->config_path, &vars,
				      &warnings, err, sizeof(err));
		for (size_t i = 0; i < warnings.n; i++)
			bp_log(self, BP_LOG_WARN, "%s", warnings.v[i]);
		for (size_t i = 0; i < job->cfg.suite_notes.n; i++)
			bp_log(self, BP_LOG_INFO, "%s",
			       job->cfg.suite_notes.v[i]);
		strv_free(&warnings);
		if (rc)
			return bp_fail(self, rc, "%s", err);
		job->args_from = job->config_path;
	} else {
		strv_free(&warnings);
		if (!bp_stage_opt_is_set(self, "args"))
			return bp_fail(self, BP_ECONFIG,
				       "no QEMU args: no QEMU config was found "
				       "(set [resolve-request] qemu_config = "
				       "PATH) and [%s] args is not set",
				       bp_stage_name(self));
	}
	if (bp_stage_opt_is_set(self, "args"))
		job->args_from = bp_stage_opt_origin(self, "args");

	rc = replace_list(self, "args", &job->cfg.args);
	if (!rc)
		rc = replace_patterns(self, "success_regex",
				      &job->cfg.success_regex,
				      &job->cfg.success_where);
	if (!rc)
		rc = replace_patterns(self, "fail_regex", &job->cfg.fail_regex,
				      &job->cfg.fail_where);
	if (!rc)
		rc = replace_str(self, "shell_prefix", &job->cfg.shell_prefix);
	if (!rc)
		rc = replace_str(self, "shell_init_cmd",
				 &job->cfg.shell_init_cmd);
	if (rc)
		return bp_fail(self, rc, "out of memory");
	rc = check_patterns(self, "fail_regex", &job->cfg.fail_regex,
			    &job->cfg.fail_where);
	if (!rc)
		rc = check_patterns(self, "success_regex",
				    &job->cfg.success_regex,
				    &job->cfg.success_where);
	if (rc)
		return rc;
	opt_bool_override(self, "to_bin", &job->cfg.to_bin);
	opt_bool_override(self, "uefi", &job->cfg.uefi);
	if (job->cfg.uefi && !job->cfg.to_bin)
		return bp_fail(
		    self, BP_ECONFIG,
		    "%s: uefi = true needs to_bin = true (the EFI "
		    "binary is made from the kernel, as axbuild "
		    "requires): set to_bin = true in the QEMU config "
		    "or [%s] to_bin = true",
		    bp_stage_opt_is_set(self, "uefi")
			? bp_stage_opt_origin(self, "uefi")
			: job->config_path,
		    bp_stage_name(self));
	rc = opt_timeout(self, &job->cfg.timeout);
	if (rc)
		return rc;
	if (job->cfg.shell_init_cmd && !job->cfg.shell_prefix)
		return bp_fail(self, BP_ECONFIG,
			       "%s: shell_init_cmd is set but shell_prefix is "
			       "not: the command would never be typed",
			       bp_stage_opt_is_set(self, "shell_init_cmd")
				   ? bp_stage_opt_origin(self, "shell_init_cmd")
				   : job->config_path);
	if (strv_init(&job->args, (const char *const *)job->cfg.args.v,
		      job->cfg.args.n))
		return bp_fail(self, BP_ENOMEM, "out of memory");
	return 0;
}

/* diskless = true: no rootfs drive, whatever the template attaches. */
static int drop_rootfs(struct job *job, const struct rootfs_patch *p)
{
	struct bp_stage *self = job->self;
	struct strv removed;
	char err[1024] = "";
	int rc;

	if (strv_init(&removed, NULL, 0) ||
	    qemu_args_drop_rootfs(&job->args, &removed)) {
		strv_free(&removed);
		return bp_fail(self, BP_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < removed.n; i++)
		bp_log(self, BP_LOG_INFO, "diskless: removed %s (from %s)",
		       removed.v[i], job->args_from);
	strv_free(&removed);
	if (p->path)
		bp_log(self, BP_LOG_INFO, "diskless: rootfs %s is not attached",
		       p->path);
	rc = qemu_args_patch_rootfs(&job->args, p, err, sizeof(err));
	return rc ? bp_fail(self, rc, "out of memory") : 0;
}

/* AXBUILD_TEST_TIMEOUT_SCALE, an integer > 1, multiplies the QEMU
 * config's timeout as axbuild's test flows do; any other value is ignored
 * with a warning. A timeout option is final (`bootpipe test` passes the
 * case's, already scaled). */
static int scale_timeout_by_env(struct job *job)
{
	const char *v = getenv("AXBUILD_TEST_TIMEOUT_SCALE");
	int64_t before = job->cfg.timeout;
	long long scale;
	char *end;

	if (!v || !job->cfg.timeout ||
	    bp_stage_opt_is_set(job->self, "timeout"))
		return 0;
	errno = 0;
	scale = strtoll(v, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (errno || end == v || *end || scale <= 1) {
		bp_log(job->self, BP_LOG_WARN,
		       "ignoring AXBUILD_TEST_TIMEOUT_SCALE=%s: expected an "
		       "integer > 1",
		       v);
		return 0;
	}
	job->cfg.timeout = job->cfg.timeout > TIMEOUT_MAX_S / scale
			       ? TIMEOUT_MAX_S
			       : job->cfg.timeout * scale;
	bp_log(job->self, BP_LOG_INFO,
	       "AXBUILD_TEST_TIMEOUT_SCALE=%lld: timeout %llds -> %llds", scale,
	       (long long)before, (long long)job->cfg.timeout);
	return 0;
}

/* rootfs_write = persist never writes an image of the store, not through
 * a symbolic or hard link either: it writes the run's working copy of it
 * (rootfs.working_copy), or is refused. */
static int persist_target(struct job *job, const char **path)
{
	const char *store = bp_ctx_str_or(job->ctx, BP_KEY_REQUEST_STORE, NULL);
	const char *copy =
	    bp_ctx_str_or(job->ctx, BP_KEY_ROOTFS_WORKING_COPY, NULL);
	char via[PATH_MAX];
	char link[PATH_MAX + 32] = "";

	if (!store || !rootfs_reaches_store(store, *path, via, sizeof(via)))
		return 0;
	if (copy) {
		bp_log(job->self, BP_LOG_INFO,
		       "rootfs_write = persist: writing %s, the working copy "
		       "of %s",
		       copy, *path);
		*path = copy;
		return 0;
	}
	if (strcmp(via, *path) != 0)
		snprintf(link, sizeof(link), ", a link to %s", via);
	return bp_fail(job->self, BP_ECONFIG,
		       "%s: rootfs_write = persist would write %s%s, an image "
		       "of the store %s, which is never written: copy it out "
		       "of the store and set [resolve-request] rootfs = PATH, "
		       "or use rootfs_write = discard",
		       bp_stage_opt_origin(job->self, "rootfs_write"), *path,
		       link, store);
}

/* The rootfs mode: the `mode` option when set, else the flow's rule. */
static enum rootfs_mode rootfs_mode(struct job *job)
{
	const char *mode = opt_str(job->self, "mode");
	const char *source = bp_ctx_str_or(job->ctx, BP_KEY_ROOTFS_SOURCE, "");

	if (bp_stage_opt_is_set(job->self, "mode"))
		return mode && !strcmp(mode, "ensure-disk-boot-net")
			   ? ROOTFS_ENSURE_DISK_BOOT_NET
			   : ROOTFS_REPLACE_DRIVE_ONLY;
	switch (job->flow) {
	case FLOW_STARRY:
		return ROOTFS_ENSURE_DISK_BOOT_NET;
	case FLOW_ARCEOS:
		/* axbuild's test flows attach no rootfs; `arceos qemu
		 * --rootfs` attaches the explicit one as Starry does */
		return strcmp(source, "explicit") ? ROOTFS_KEEP
						  : ROOTFS_ENSURE_DISK_BOOT_NET;
	case FLOW_AXVISOR:
		break;
	}
	return ROOTFS_REPLACE_DRIVE_ONLY;
}

static int patch_rootfs(struct job *job)
{
	struct bp_stage *self = job->self;
	struct rootfs_patch p = {0};
	const char *write = opt_str(self, "rootfs_write");
	char err[1024] = "";
	int rc;

	p.path = bp_ctx_str_or(job->ctx, BP_KEY_ROOTFS_PATH, NULL);
	p.mode = rootfs_mode(job);
	p.discard = !write || strcmp(write, "persist");
	bp_stage_opt_bool(self, "diskless", &p.diskless);
	if (p.diskless)
		return drop_rootfs(job, &p);
	if (p.mode == ROOTFS_KEEP) {
		bp_log(self, BP_LOG_INFO,
		       "arceos flow: the drives of %s as written, no rootfs "
		       "added",
		       job->args_from);
		return 0;
	}
	if (!p.path)
		return bp_fail(self, BP_ECONFIG,
			       "no rootfs: %s is not set (put infer-rootfs "
			       "before %s, or set diskless = true)",
			       BP_KEY_ROOTFS_PATH, bp_stage_name(self));
	if (!p.discard && (rc = persist_target(job, &p.path)))
		return rc;
	rc = qemu_args_patch_rootfs(&job->args, &p, err, sizeof(err));
	if (rc == BP_ECONFIG)
		return bp_fail(self, rc, "%s: %s", job->args_from, err);
	if (rc)
		return bp_fail(self, rc, "out of memory");
	return 0;
}

/* The file= of the -drive value at @i (malloc'ed), or NULL. */
static char *drive_file(const struct strv *args, size_t i)
{
	struct drive_spec spec;
	const char *file;
	char *out = NULL;

	if (i == 0 || !qemu_opt_is(args->v[i - 1], "drive") ||
	    drive_spec_parse(args->v[i], &spec))
		return NULL;
	file = drive_spec_get(&spec, "file");
	if (file)
		out = strdup(file);
	drive_spec_free(&spec);
	return out;
}

/* The arceos flow makes the FAT32 images its configs attach, as axbuild
 * does: anew under runtime-assets, else only when missing. */
static int make_fat_disks(struct job *job)
{
	struct bp_stage *self = job->self;
	struct strv seen;
	char err[1024] = "";
	int rc = 0;

	if (job->flow != FLOW_ARCEOS)
		return 0;
	if (strv_init(&seen, NULL, 0))
		return bp_fail(self, BP_ENOMEM, "out of memory");
	for (size_t i = 1; i < job->args.n && !rc; i++) {
		char *file = drive_file(&job->args, i);
		bool again;

		if (!file || !fat_disk_wanted(file) ||
		    strv_find(&seen, file, 0) >= 0) {
			free(file);
			continue;
		}
		if (strv_push(&seen, file)) {
			free(file);
			rc = bp_fail(self, BP_ENOMEM, "out of memory");
			break;
		}
		again = fat_disk_recreated(job->workspace, file);
		if (!again && access(file, F_OK) == 0) {
			free(file);
			continue;
		}
		if (job->dry_run) {
			bp_log(self, BP_LOG_INFO,
			       "would create the FAT32 image %s (%llu MiB, "
			       "mkfs.fat -F 32)",
			       file, FAT_DISK_SIZE >> 20);
		} else {
			rc = fat_disk_create(file, err, sizeof(err));
			if (rc)
				rc = bp_fail(self, rc, "%s", err);
			else
				bp_log(self, BP_LOG_INFO,
				       "created the FAT32 image %s", file);
		}
		free(file);
	}
	strv_free(&seen);
	return rc;
}

/* Managed refs to their store files, snapshot=on where nothing may be
 * written; see snapshots.h. */
static int protect_drives(struct job *job)
{
	struct bp_stage *self = job->self;
	const char *write = opt_str(self, "rootfs_write");
	const char *const *refs = NULL, *const *files = NULL;
	size_t nrefs = 0, nfiles = 0;
	struct drive_guard g = {
	    .discard = !write || strcmp(write, "persist"),
	    .store = bp_ctx_str_or(job->ctx, BP_KEY_REQUEST_STORE, NULL),
	};
	struct strv notes;
	int rc;

	if (bp_ctx_has(job->ctx, BP_KEY_ROOTFS_MANAGED_REFS) &&
	    (bp_ctx_get_list(job->ctx, BP_KEY_ROOTFS_MANAGED_REFS, &refs,
			     &nrefs) ||
	     bp_ctx_get_list(job->ctx, BP_KEY_ROOTFS_MANAGED_FILES, &files,
			     &nfiles) ||
	     nrefs != nfiles))
		return bp_fail(self, BP_EINVAL,
			       "%s and %s do not pair up (%zu refs, %zu "
			       "files)",
			       BP_KEY_ROOTFS_MANAGED_REFS,
			       BP_KEY_ROOTFS_MANAGED_FILES, nrefs, nfiles);
	g.refs = refs;
	g.files = files;
	g.nrefs = nrefs;
	if (strv_init(&notes, NULL, 0))
		return bp_fail(self, BP_ENOMEM, "out of memory");
	rc = snapshots_apply(&job->args, &g, &notes);
	for (size_t i = 0; i < notes.n; i++)
		bp_log(self, BP_LOG_INFO, "%s", notes.v[i]);
	strv_free(&notes);
	return rc ? bp_fail(self, rc, "out of memory") : 0;
}

static const char *host_arch(struct bp_stage *self, struct utsname *u)
{
	const char *v = opt_str(self, "host_arch");

	if (v)
		return v;
	if (uname(u))
		return "unknown";
	return u->machine;
}

static int apply_accel(struct job *job)
{
	struct bp_stage *self = job->self;
	enum accel_mode mode = ACCEL_AUTO;
	struct accel_result res;
	struct utsname u;
	const char *device = opt_str(self, "kvm_device");
	const char *accel = opt_str(self, "accel");
	int64_t scale = 5;
	char why[512] = "";
	char err[1024] = "";
	bool usable = false;
	int rc;

	if (accel)
		accel_mode_parse(accel, &mode);
	if (mode != ACCEL_TCG)
		usable = accel_kvm_usable(device ? device : "/dev/kvm",
					  host_arch(self, &u), job->arch, why,
					  sizeof(why));
	rc = accel_apply(&job->args, mode, usable, why, &res, err, sizeof(err));
	if (rc == BP_EINFRA)
		return bp_fail(self, rc, "%s", err);
	if (rc)
		return bp_fail(self, rc, "out of memory");
	if (res.rewritten) {
		int64_t before = job->cfg.timeout;

		rc = opt_tcg_scale(self, &scale);
		if (rc)
			return rc;
		/* saturates at the limit instead of overflowing int64 */
		job->cfg.timeout = job->cfg.timeout > TIMEOUT_MAX_S / scale
				       ? TIMEOUT_MAX_S
				       : job->cfg.timeout * scale;
		if (mode == ACCEL_AUTO)
			bp_log(self, BP_LOG_WARN,
			       "KVM is not usable (%s): running under TCG with "
			       "KVM-only args rewritten (-cpu host -> -cpu "
			       "max), timeout %llds -> %llds",
			       why, (long long)before,
			       (long long)job->cfg.timeout);
		else
			bp_log(self, BP_LOG_INFO,
			       "accel = tcg: KVM-only args rewritten (-cpu "
			       "host -> -cpu max), timeout %llds -> %llds "
			       "(tcg_timeout_scale %lld)",
			       (long long)before, (long long)job->cfg.timeout,
			       (long long)scale);
	}
	job->kvm_auto = res.kvm && mode == ACCEL_AUTO;
	return bp_ctx_set_str(job->ctx, BP_KEY_QEMU_ACCEL,
			      res.kvm ? "kvm" : "tcg");
}

/* The image QEMU gets: the kernel, or the raw binary made from it. */
static int kernel_image(struct job *job, const char *kernel, char **image)
{
	struct bp_stage *self = job->self;
	struct stat st;
	char err[1024] = "";
	bool missing, made;
	char *bin;
	int rc;

	*image = NULL;
	missing = stat(kernel, &st) != 0;
	if (missing || !S_ISREG(st.st_mode)) {
		const char *why =
		    missing ? strerror(errno) : "not a regular file";
		bool pending = false;

		/* plan mode builds nothing: a kernel an earlier stage builds
		 * may be missing; any other is the error run would give */
		bp_ctx_get_bool(job->ctx, BP_KEY_REQUEST_KERNEL_PENDING,
				&pending);
		if (!job->dry_run || !pending)
			return bp_fail(self, BP_ECONFIG,
				       "kernel image %s (%s, set by "
				       "[resolve-request] kernel or --kernel): "
				       "%s",
				       kernel, BP_KEY_REQUEST_KERNEL, why);
		bp_log(self, BP_LOG_INFO,
		       "kernel %s does not exist yet: an earlier stage builds "
		       "it",
		       kernel);
	}
	if (!job->cfg.to_bin ||
	    (access(kernel, F_OK) == 0 && !kernel_is_elf(kernel))) {
		*image = strdup(kernel);
		return *image ? 0 : bp_fail(self, BP_ENOMEM, "out of memory");
	}
	if (job->dry_run && access(kernel, F_OK) != 0) {
		bin = kernel_bin_placeholder(job->workspace);
		if (!bin)
			return bp_fail(self, BP_ENOMEM, "out of memory");
		bp_log(self, BP_LOG_INFO,
		       "would convert ELF %s to raw binary %s once built "
		       "(to_bin; SHA256 is the ELF's digest)",
		       kernel, bin);
		*image = bin;
		return 0;
	}
	rc = kernel_bin_cached(job->workspace, kernel, &bin, &made, err,
			       sizeof(err));
	if (rc)
		return bp_fail(self, rc, "to_bin: %s", err);
	bp_log(self, BP_LOG_INFO, "%s %s to %s", made ? "converted" : "reused",
	       kernel, bin);
	*image = bin;
	return 0;
}

/* The firmware: uefi_code/uefi_vars (relative: to the workspace), else
 * what fetch-rootfs fetched (firmware.code/vars: where the distribution
 * has none, or always when its uefi_firmware says so), else the
 * distribution's packages. The paths are kept in @keep. */
static int pick_firmware(struct job *job, struct uefi_firmware *fw,
			 struct strv *keep)
{
	struct bp_stage *self = job->self;
	const char *code = opt_str(self, "uefi_code");
	const char *vars = opt_str(self, "uefi_vars");
	const char *keys[] = {"uefi_code", "uefi_vars"};
	char err[2048] = "";
	struct stat st;
	int rc;

	if (!code != !vars)
		return bp_fail(self, BP_ECONFIG,
			       "%s: uefi_code and uefi_vars go together (set "
			       "both, or neither for the default firmware)",
			       bp_stage_opt_origin(self, code ? "uefi_code"
							      : "uefi_vars"));
	fw->package = NULL;
	if (code) {
		for (size_t k = 0; k < 2; k++) {
			const char *v = k ? vars : code;
			char *full = bp_path_join(job->workspace, v);

			if (!full || strv_push(keep, full)) {
				free(full);
				return bp_fail(self, BP_ENOMEM,
					       "out of memory");
			}
			int e = stat(full, &st) ? errno : 0;

			rc = 0;
			if (e || !S_ISREG(st.st_mode))
				rc = bp_fail(self, BP_ECONFIG, "%s: %s %s: %s",
					     bp_stage_opt_origin(self, keys[k]),
					     keys[k], full,
					     e ? strerror(e)
					       : "not a regular file");
			free(full);
			if (rc)
				return rc;
		}
		fw->code = keep->v[keep->n - 2];
		fw->vars = keep->v[keep->n - 1];
		return 0;
	}
	code = bp_ctx_str_or(job->ctx, BP_KEY_FIRMWARE_CODE, NULL);
	vars = bp_ctx_str_or(job->ctx, BP_KEY_FIRMWARE_VARS, NULL);
	if (code && vars) {
		fw->code = code;
		fw->vars = vars;
		return 0;
	}
	rc = uefi_find_firmware("", job->arch, fw, err, sizeof(err));
	if (rc)
		return bp_fail(self, rc,
			       "uefi: %s, or set [%s] uefi_code and uefi_vars, "
			       "or let fetch-rootfs fetch ovmf-prebuilt's "
			       "([fetch-rootfs] uefi_firmware = always)",
			       err, bp_stage_name(self));
	return 0;
}

/* The per-run UEFI dir (vars copy, ESP unless @esp is false) and the
 * pflash drives; -kernel too when the firmware boots the kernel. */
static int prepare_esp(struct job *job, struct patch_state *ps,
		       const struct uefi_firmware *fw, const char *image,
		       bool esp, const struct arch_info *info)
{
	struct bp_stage *self = job->self;
	char err[2048] = "";
	char *dir;
	int rc;

	if (job->dry_run) {
		if (asprintf(&dir, "%s/" UEFI_DIR_PREFIX "-XXXXXX",
			     ostool_tmpdir()) < 0)
			return bp_fail(self, BP_ENOMEM, "out of memory");
		if (esp)
			bp_log(self, BP_LOG_INFO,
			       "would copy %s to %s/esp/EFI/BOOT/%s", image,
			       dir, info->efi_boot);
		bp_log(self, BP_LOG_INFO, "would copy %s to %s/vars.fd",
		       fw->vars, dir);
	} else {
		int swept = run_dir_sweep(ostool_tmpdir(), UEFI_DIR_PREFIX);

		if (swept)
			bp_log(self, BP_LOG_INFO,
			       "removed %d UEFI director%s of runs that were "
			       "killed",
			       swept, swept == 1 ? "y" : "ies");
		run_dir_remove(&ps->uefi_dir);
		rc = run_dir_create(ostool_tmpdir(), UEFI_DIR_PREFIX,
				    &ps->uefi_dir, err, sizeof(err));
		if (rc)
			return bp_fail(self, rc, "uefi: %s", err);
		dir = strdup(ps->uefi_dir.path);
		if (!dir)
			return bp_fail(self, BP_ENOMEM, "out of memory");
	}
	rc = uefi_prepare(&job->args, fw, dir, esp ? image : NULL,
			  info->efi_boot, !job->dry_run, err, sizeof(err));
	free(dir);
	if (rc)
		return bp_fail(self, rc, "uefi: %s", err);
	/* QEMU refuses -append/-initrd without -kernel; the pflash
	 * firmware boots a -kernel itself (fw_cfg) */
	if (!esp &&
	    (strv_push(&job->args, "-kernel") || strv_push(&job->args, image)))
		return bp_fail(self, BP_ENOMEM, "out of memory");
	return 0;
}

static int add_uefi(struct job *job, struct patch_state *ps, const char *image)
{
	struct bp_stage *self = job->self;
	const struct arch_info *info = arch_by_name(job->arch);
	/* a kernel with a command line or an initrd is booted by the
	 * firmware as -kernel, not from the ESP */
	bool esp = !qemu_args_has(&job->args, "append", NULL) &&
		   !qemu_args_has(&job->args, "initrd", NULL);
	struct uefi_firmware fw;
	struct strv keep;
	int rc;

	if (!info)
		return bp_fail(self, BP_ECONFIG, "uefi: unknown arch %s",
			       job->arch);
	if (!esp)
		bp_log(self, BP_LOG_INFO,
		       "uefi: the args have -append or -initrd: the firmware "
		       "boots -kernel %s (no ESP)",
		       image);
	if (strv_init(&keep, NULL, 0))
		return bp_fail(self, BP_ENOMEM, "out of memory");
	rc = pick_firmware(job, &fw, &keep);
	if (!rc)
		rc = prepare_esp(job, ps, &fw, image, esp, info);
	strv_free(&keep);
	return rc;
}

static int add_kernel(struct job *job, struct patch_state *ps)
{
	const char *kernel =
	    bp_ctx_str_or(job->ctx, BP_KEY_REQUEST_KERNEL, NULL);
	char *image = NULL;
	int rc;

	if (!kernel) {
		if (job->cfg.uefi)
			return bp_fail(job->self, BP_ECONFIG,
				       "uefi = true needs a kernel (the EFI "
				       "binary): set [resolve-request] kernel");
		return 0;
	}
	rc = kernel_image(job, kernel, &image);
	if (rc)
		return rc;
	if (job->cfg.uefi) {
		rc = add_uefi(job, ps, image);
	} else if (strv_push(&job->args, "-kernel") ||
		   strv_push(&job->args, image)) {
		rc = bp_fail(job->self, BP_ENOMEM, "out of memory");
	}
	free(image);
	return rc;
}

/* A TCP port nobody listens on right now (ostool's fixed 1234 collides
 * when runs are parallel). */
static int free_port(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int port = -1;

	if (fd < 0)
		return -1;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!bind(fd, (struct sockaddr *)&addr, sizeof(addr)) &&
	    !getsockname(fd, (struct sockaddr *)&addr, &len))
		port = ntohs(addr.sin_port);
	close(fd);
	return port;
}

static int add_debug(struct job *job)
{
	bool debug = false;
	int port;

	bp_ctx_get_bool(job->ctx, BP_KEY_REQUEST_DEBUG, &debug);
	if (!debug)
		return 0;
	port = free_port();
	if (port < 0)
		return bp_fail(job->self, BP_EINFRA,
			       "debug: cannot find a free local TCP port: %s",
			       strerror(errno));
	if (qemu_args_add_gdb(&job->args, port))
		return bp_fail(job->self, BP_ENOMEM, "out of memory");
	/* launch prints the command that attaches, once it knows the
	 * kernel and the host: a GDB line here would be a second one */
	bp_log(job->self, BP_LOG_INFO,
	       "debug: QEMU starts halted, GDB stub on 127.0.0.1:%d", port);
	return 0;
}

static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char full[4096];

	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	while (path && *path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);

		snprintf(full, sizeof(full), "%.*s/%s", (int)len, path, name);
		if (access(full, X_OK) == 0)
			return true;
		path = colon ? colon + 1 : NULL;
	}
	return false;
}

/* accel = auto chose KVM: the same argv for TCG, which launch runs once
 * when QEMU dies at start with a KVM error (KVM that opens, creates a VM
 * and still fails in QEMU). */
static int publish_tcg_fallback(struct job *job)
{
	struct strv tcg;
	bool changed = false;
	int rc;

	rc = bp_ctx_set_bool(job->ctx, BP_KEY_QEMU_ACCEL_AUTO, job->kvm_auto);
	if (rc || !job->kvm_auto)
		return rc;
	rc = strv_init(&tcg, (const char *const *)job->args.v, job->args.n);
	if (!rc)
		rc = accel_rewrite_for_tcg(&tcg, &changed);
	if (!rc)
		rc = bp_ctx_set_list(job->ctx, BP_KEY_QEMU_ARGV_TCG,
				     (const char *const *)tcg.v, tcg.n);
	strv_free(&tcg);
	return rc;
}

/* The QEMU command and what launch matches, into the context. */
static int publish(struct job *job)
{
	int rc = bp_ctx_set_list(job->ctx, BP_KEY_QEMU_ARGV,
				 (const char *const *)job->args.v, job->args.n);

	if (!rc)
		rc = bp_ctx_set_list(
		    job->ctx, BP_KEY_QEMU_SUCCESS_REGEX,
		    (const char *const *)job->cfg.success_regex.v,
		    job->cfg.success_regex.n);
	if (!rc)
		rc = bp_ctx_set_list(job->ctx, BP_KEY_QEMU_FAIL_REGEX,
				     (const char *const *)job->cfg.fail_regex.v,
				     job->cfg.fail_regex.n);
	if (!rc && job->cfg.shell_prefix)
		rc = bp_ctx_set_str(job->ctx, BP_KEY_QEMU_SHELL_PREFIX,
				    job->cfg.shell_prefix);
	if (!rc && job->cfg.shell_init_cmd)
		rc = bp_ctx_set_str(job->ctx, BP_KEY_QEMU_SHELL_INIT_CMD,
				    job->cfg.shell_init_cmd);
	if (!rc)
		rc = bp_ctx_set_int(job->ctx, BP_KEY_QEMU_TIMEOUT,
				    job->cfg.timeout);
	if (!rc)
		rc = publish_tcg_fallback(job);
	if (rc)
		return bp_fail(job->self, rc,
			       "cannot publish the QEMU command: %s",
			       bp_ctx_error(job->ctx));
	return 0;
}

static int finish(struct job *job)
{
	struct bp_stage *self = job->self;
	const char *binary = opt_str(self, "qemu");
	const char *source = NULL;
	char fallback[64];
	char *lvz = NULL;
	int rc;

	/* loongarch64 AxVisor needs an LVZ-capable QEMU: axbuild's search */
	if (!binary && job->flow == FLOW_AXVISOR &&
	    !strcmp(job->arch, "loongarch64") &&
	    (lvz = qemu_lvz_binary(job->workspace, &source))) {
		bp_log(self, BP_LOG_INFO, "QEMU %s (from %s)", lvz, source);
		binary = lvz;
	}
	if (!binary) {
		snprintf(fallback, sizeof(fallback), "qemu-system-%s",
			 job->arch);
		binary = fallback;
	}
	if (!in_path(binary)) {
		if (!job->dry_run) {
			rc = bp_fail(self, BP_EINFRA,
				     "QEMU binary %s not found (install QEMU "
				     "for %s or set [%s] qemu = PATH)",
				     binary, job->arch, bp_stage_name(self));
			free(lvz);
			return rc;
		}
		bp_log(self, BP_LOG_WARN, "QEMU binary %s not found", binary);
	}
	rc = strv_insert(&job->args, 0, binary);
	free(lvz);
	return rc ? bp_fail(self, rc, "out of memory") : publish(job);
}

/* A check read and validated the config: its command as written, for the
 * stages after (no rootfs, kernel or accelerator edits). */
static int publish_checked(struct job *job)
{
	const char *binary = opt_str(job->self, "qemu");
	char fallback[64];

	if (!binary) {
		snprintf(fallback, sizeof(fallback), "qemu-system-%s",
			 job->arch);
		binary = fallback;
	}
	if (strv_insert(&job->args, 0, binary))
		return bp_fail(job->self, BP_ENOMEM, "out of memory");
	return publish(job);
}

static int add_machine_smp_extra(struct job *job)
{
	struct bp_stage *self = job->self;
	const char *const *extra;
	const char *machine = opt_str(self, "machine");
	size_t count = 0;
	int64_t smp;
	int rc = 0;

	if (!bp_stage_opt_list(self, "extra_args", &extra, &count))
		for (size_t i = 0; i < count && !rc; i++)
			rc = strv_push(&job->args, extra[i]);
	if (!rc)
		rc = qemu_args_ensure_machine(
		    &job->args,
		    machine ? machine : qemu_default_machine(job->arch));
	/* axbuild's ArceOS test flows: --smp, else the build config's
	 * max_cpu_num */
	if (!rc &&
	    (!bp_ctx_get_int(job->ctx, BP_KEY_REQUEST_SMP, &smp) ||
	     (job->flow == FLOW_ARCEOS &&
	      !bp_ctx_get_int(job->ctx, BP_KEY_REQUEST_MAX_CPU_NUM, &smp))))
		rc = qemu_args_set_smp(&job->args, smp);
	return rc ? bp_fail(self, rc, "out of memory") : 0;
}

/* The options are known at load time: `bootpipe check` sees a bad
 * pattern or timeout too. */
static int check_options(struct bp_stage *self)
{
	static const char *const keys[] = {"fail_regex", "success_regex"};
	int64_t value = 0;
	int rc = opt_timeout(self, &value);

	if (!rc)
		rc = opt_tcg_scale(self, &value);

	for (size_t k = 0; k < 2 && !rc; k++) {
		struct strv list, where;

		if (strv_init(&list, NULL, 0))
			return bp_fail(self, BP_ENOMEM, "out of memory");
		if (strv_init(&where, NULL, 0)) {
			strv_free(&list);
			return bp_fail(self, BP_ENOMEM, "out of memory");
		}
		rc = replace_patterns(self, keys[k], &list, &where);
		if (rc)
			rc = bp_fail(self, rc, "out of memory");
		else
			rc = check_patterns(self, keys[k], &list, &where);
		strv_free(&where);
		strv_free(&list);
	}
	return rc;
}

static int patch_init(struct bp_stage *self, void **state)
{
	struct patch_state *ps;
	int rc = check_options(self);

	if (rc)
		return rc;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return bp_fail(self, BP_ENOMEM, "out of memory");
	ps->uefi_dir = (struct run_dir)RUN_DIR_INIT;
	*state = ps;
	return 0;
}

static int patch_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	struct patch_state *ps = state;
	struct job job = {.self = self, .ctx = ctx};
	const char *flow;
	char cwd[4096];
	int rc;

	job.dry_run = bp_stage_dry_run(self);
	job.arch = bp_ctx_str_or(ctx, BP_KEY_REQUEST_ARCH, BP_DEFAULT_ARCH);
	job.workspace = bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, NULL);
	flow = bp_ctx_str_or(ctx, BP_KEY_REQUEST_FLOW, "axvisor");
	job.flow = !strcmp(flow, "arceos")   ? FLOW_ARCEOS
		   : !strcmp(flow, "starry") ? FLOW_STARRY
					     : FLOW_AXVISOR;
	if (!job.workspace)
		job.workspace = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
	bp_ctx_get_bool(ctx, BP_KEY_RUN_CHECK, &job.check);
	rc = load_config(&job);
	if (!rc && job.check) {
		rc = publish_checked(&job);
		goto out;
	}
	if (!rc)
		rc = scale_timeout_by_env(&job);
	if (!rc)
		rc = patch_rootfs(&job);
	if (!rc)
		rc = make_fat_disks(&job);
	if (!rc)
		rc = add_machine_smp_extra(&job);
	if (!rc)
		rc = protect_drives(&job);
	if (!rc)
		rc = apply_accel(&job);
	if (!rc)
		rc = add_kernel(&job, ps);
	if (!rc)
		rc = add_debug(&job);
	if (!rc)
		rc = finish(&job);
out:
	strv_free(&job.args);
	qemu_config_free(&job.cfg);
	return rc;
}

static void patch_cleanup(struct bp_stage *self, void *state)
{
	struct patch_state *ps = state;

	(void)self;
	if (!ps)
		return;
	run_dir_remove(&ps->uefi_dir);
	free(ps);
}

BP_PLUGIN_DEFINE(.name = "patch-qemu", .version = "1.0.0",
		 .summary = "final QEMU argv from the ostool config: rootfs, "
			    "machine, accel, kernel, UEFI, GDB",
		 .options = options, .needs = requires_keys,
		 .provides = provides, .init = patch_init, .run = patch_run,
		 .cleanup = patch_cleanup);
