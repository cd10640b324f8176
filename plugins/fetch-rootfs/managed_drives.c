/* The managed drives of a QEMU config: found, resolved, ensured. */
#include "managed_drives.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootpipe/error.h>
#include <bootpipe/keys.h>
#include <bootpipe/log.h>
#include <bootpipe/plugin.h>
#include <bootpipe/util.h>

#include "drive.h"
#include "image_config.h"
#include "ostool_config.h"
#include "root_drive.h"
#include "rootfs_rule.h"
#include "store.h"

/* What the drives of one run resolve to. */
struct drives {
	struct bp_stage *self;
	struct bp_store *s;
	struct bp_ctx *ctx;
	const char *config; /* the QEMU config, for messages */
	const char *arch;
	const char *bases[3]; /* legacy dir, local_storage, the store */
	struct strv refs;     /* file= values as the config has them */
	struct strv files;    /* the store's file for each ref */
	struct strv ensured;  /* images already made ready */
};

/* The base of @file (one of d->bases) and the part below it, or 0 and
 * *rel = NULL when @file is not a managed reference. */
static int managed_rel(const struct drives *d, const char *file, char **rel)
{
	*rel = NULL;
	for (size_t k = 0; k < 3 && !*rel; k++) {
		int rc;

		if (!d->bases[k])
			continue;
		rc = rootfs_store_relative(d->bases[k], file, rel);
		if (rc)
			return rc;
	}
	return 0;
}

/* The image name a path below the store names: "N.img" (the flat
 * layout) or "N.img/N.img" (today's), without ".img"; NULL otherwise. */
static char *image_name(const char *rel)
{
	const char *slash = strchr(rel, '/');
	size_t len = slash ? (size_t)(slash - rel) : strlen(rel);

	if (slash && (strchr(slash + 1, '/') || strlen(slash + 1) != len ||
		      strncmp(rel, slash + 1, len)))
		return NULL;
	if (len < 5 || strncmp(rel + len - 4, ".img", 4))
		return NULL;
	return strndup(rel, len - 4);
}

static int publish(struct drives *d, const char *ref, const char *file)
{
	if (strv_push(&d->refs, ref) || strv_push(&d->files, file))
		return bp_fail(d->self, BP_ENOMEM, "out of memory");
	return 0;
}

/* A file below the store that names no managed image: used as it is when
 * it is there, as for the rootfs; nothing can fetch it otherwise. */
static int not_an_image(struct drives *d, const char *id, const char *ref)
{
	struct stat st;

	if (stat(ref, &st) == 0 && S_ISREG(st.st_mode)) {
		bp_log(d->self, BP_LOG_INFO,
		       "drive %s: using %s as it is (it names no managed image "
		       "<name>.img)",
		       id, ref);
		return publish(d, ref, ref);
	}
	if (bp_stage_dry_run(d->self))
		return 0;
	return bp_fail(
	    d->self, BP_ECONFIG,
	    "%s: drive %s: %s is in the image store but names no "
	    "managed image (<name>.img or <name>.img/<name>.img), so "
	    "it cannot be fetched: rename it in the config or put "
	    "the file there",
	    d->config, id, ref);
}

/* Resolves and ensures the managed reference @ref of drive @id. */
static int resolve(struct drives *d, const char *id, const char *ref,
		   const char *rel)
{
	struct store_paths p;
	char err[2048];
	char *name = image_name(rel);
	int rc;

	if (!name)
		return not_an_image(d, id, ref);
	rc = store_paths_for_name(&p, d->s->dir, name, err, sizeof(err));
	free(name);
	if (!rc)
		rc = store_paths_layout(&p, d->s->layout, err, sizeof(err));
	if (rc)
		return bp_fail(d->self, rc, "%s: drive %s: %s", d->config, id,
			       err);
	if (strcmp(ref, p.image))
		bp_log(d->self, BP_LOG_INFO,
		       "drive %s: %s is the managed image %s", id, ref,
		       p.image);
	else
		bp_log(d->self, BP_LOG_INFO, "drive %s: managed image %s", id,
		       p.image);
	if (strv_find(&d->ensured, p.image, 0) < 0) {
		rc = bp_store_ensure(d->s, &p, d->arch, d->s->image_version);
		if (rc)
			return bp_fail(d->self, rc, "%s: drive %s: %s",
				       d->config, id, d->s->err);
		if (strv_push(&d->ensured, p.image))
			return bp_fail(d->self, BP_ENOMEM, "out of memory");
	}
	return publish(d, ref, p.image);
}

/* The drive at @i when it is a managed reference not seen yet. */
static int visit(struct drives *d, const struct strv *args, size_t i)
{
	struct drive_spec spec;
	const char *file, *ifv, *id;
	char *rel = NULL;
	int rc = drive_spec_parse(args->v[i], &spec);

	if (rc)
		return bp_fail(d->self, rc, "out of memory");
	file = drive_spec_get(&spec, "file");
	ifv = drive_spec_get(&spec, "if");
	id = drive_spec_get(&spec, "id");
	/* firmware and the ESP folder are never images of the store */
	if (!file || (ifv && !strcmp(ifv, "pflash")) ||
	    !strncmp(file, "fat:", 4) || strv_find(&d->refs, file, 0) >= 0)
		goto out;
	rc = managed_rel(d, file, &rel);
	if (rc)
		rc = bp_fail(d->self, rc, "out of memory");
	else if (rel)
		rc = resolve(d, id ? id : "(no id)", file, rel);
out:
	free(rel);
	drive_spec_free(&spec);
	return rc;
}

/* Which drives the run's rootfs replaces, as patch-qemu decides it from
 * the flow: none when the arceos flow keeps the config's drives. */
static void find_roots(struct drives *d, const struct strv *args,
		       enum root_drive_kind *kinds)
{
	const char *flow = bp_ctx_str_or(d->ctx, BP_KEY_REQUEST_FLOW, "");
	const char *rootfs = bp_ctx_str_or(d->ctx, BP_KEY_REQUEST_ROOTFS, "");
	bool arceos = !strcmp(flow, "arceos");

	if (arceos && !*rootfs) {
		for (size_t i = 0; i < args->n; i++)
			kinds[i] = ROOT_DRIVE_NONE;
		return;
	}
	root_drives_find(args, arceos || !strcmp(flow, "starry"), kinds);
}

static int scan(struct drives *d, const struct qemu_config *qc)
{
	const char *root =
	    bp_ctx_str_or(d->ctx, BP_KEY_ROOTFS_MANAGED_PATH, NULL);
	enum root_drive_kind *kinds;
	int rc;

	if (root && strv_push(&d->ensured, root))
		return bp_fail(d->self, BP_ENOMEM, "out of memory");
	kinds = calloc(qc->args.n ? qc->args.n : 1, sizeof(*kinds));
	if (!kinds)
		return bp_fail(d->self, BP_ENOMEM, "out of memory");
	find_roots(d, &qc->args, kinds);
	rc = 0;
	for (size_t i = 1; i < qc->args.n && !rc; i++)
		if (qemu_opt_is(qc->args.v[i - 1], "drive") &&
		    kinds[i] == ROOT_DRIVE_NONE)
			rc = visit(d, &qc->args, i);
	free(kinds);
	if (rc || !d->refs.n)
		return rc;
	if (bp_ctx_set_list(d->ctx, BP_KEY_ROOTFS_MANAGED_REFS,
			    (const char *const *)d->refs.v, d->refs.n) ||
	    bp_ctx_set_list(d->ctx, BP_KEY_ROOTFS_MANAGED_FILES,
			    (const char *const *)d->files.v, d->files.n))
		return bp_fail(d->self, BP_ENOMEM, "cannot set %s: %s",
			       BP_KEY_ROOTFS_MANAGED_REFS,
			       bp_ctx_error(d->ctx));
	return 0;
}

int managed_drives_ensure(struct bp_stage *self, struct bp_store *s,
			  const struct bp_image_config *cfg, struct bp_ctx *ctx)
{
	const char *workspace = bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, NULL);
	const struct ostool_vars vars = {
	    .workspace = workspace,
	    .package =
		bp_ctx_str_or(ctx, BP_KEY_REQUEST_PACKAGE_DIR, workspace),
	};
	struct drives d = {
	    .self = self,
	    .s = s,
	    .ctx = ctx,
	    .config = bp_ctx_str_or(ctx, BP_KEY_REQUEST_QEMU_CONFIG, NULL),
	    .arch = bp_ctx_str_or(ctx, BP_KEY_REQUEST_ARCH, NULL),
	};
	struct qemu_config qc = {0};
	struct strv warnings = {0};
	char err[2048] = "";
	char *legacy = NULL;
	int rc;

	if (!d.config)
		return 0;
	if (workspace && !(legacy = bp_path_join(workspace, "tmp/axbuild/"
							    "rootfs")))
		return bp_fail(self, BP_ENOMEM, "out of memory");
	d.bases[0] = legacy;
	d.bases[1] = cfg->local_storage;
	d.bases[2] = s->dir;
	if (qemu_config_init(&qc) || strv_init(&warnings, NULL, 0) ||
	    strv_init(&d.refs, NULL, 0) || strv_init(&d.files, NULL, 0) ||
	    strv_init(&d.ensured, NULL, 0)) {
		rc = bp_fail(self, BP_ENOMEM, "out of memory");
		goto out;
	}
	/* patch-qemu reports the config's warnings and errors; this only
	 * needs its drives */
	rc =
	    qemu_config_load(&qc, d.config, &vars, &warnings, err, sizeof(err));
	if (rc == BP_ENOMEM)
		rc = bp_fail(self, rc, "out of memory");
	else if (rc)
		rc = 0;
	else
		rc = scan(&d, &qc);
out:
	strv_free(&d.ensured);
	strv_free(&d.files);
	strv_free(&d.refs);
	strv_free(&warnings);
	qemu_config_free(&qc);
	free(legacy);
	return rc;
}
