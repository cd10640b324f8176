/*
 * case-rootfs: the run boots a sparse copy of its rootfs with files
 * written into it (a test case's runner), never the image itself, which
 * may be the store's. The copy is removed after the run unless kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/keys.h>
#include <bootpipe/plugin.h>
#include <bootpipe/util.h>

#include "ext4_inject.h"
#include "image_copy.h"

#define MAX_INJECT_SIZE (64u << 20)

static const struct bp_option options[] = {
    {"copy", BP_OPT_STR, NULL, "path of the per-run copy (must not exist)",
     BP_OPT_REQUIRED, NULL},
    {"inject", BP_OPT_LIST, NULL,
     "HOST_FILE=GUEST_PATH: files written into the copy (ext2/3/4), with "
     "the host file's permissions, root-owned",
     0, NULL},
    {"keep", BP_OPT_BOOL, "false", "keep the copy after the run", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const char *const requires_keys[] = {BP_KEY_ROOTFS_PATH, NULL};
static const char *const provides[] = {BP_KEY_ROOTFS_PATH, BP_KEY_ROOTFS_SOURCE,
				       NULL};

struct state {
	char *made; /* the copy this run made, removed at cleanup */
};

static int init(struct bp_stage *self, void **state)
{
	struct state *s = calloc(1, sizeof(*s));

	if (!s)
		return bp_fail(self, BP_ENOMEM, "out of memory");
	*state = s;
	return 0;
}

/* A host file to inject: opened as a config file (a FIFO or a device is
 * refused, never waited on), at most MAX_INJECT_SIZE. */
static char *read_file(const char *path, size_t *len, mode_t *mode, char *err,
		       size_t errlen)
{
	struct stat st;
	char *buf = NULL, *why = NULL;
	int fd = bp_open_config(path, "inject file", &why);
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;

	if (!f) {
		snprintf(err, errlen, "%s", why ? why : "out of memory");
		free(why);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0) {
		snprintf(err, errlen, "cannot stat %s: %s", path,
			 strerror(errno));
		fclose(f);
		return NULL;
	}
	if ((size_t)st.st_size > MAX_INJECT_SIZE) {
		snprintf(err, errlen, "cannot read %s: larger than 64 MiB",
			 path);
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		snprintf(err, errlen, "out of memory reading %s", path);
	if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno));
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)st.st_size;
	*mode = st.st_mode & 07777;
	return buf;
}

static int inject_all(struct bp_stage *self, const char *copy,
		      const char *const *items, size_t count)
{
	struct ext4_file *files = calloc(count + 1, sizeof(*files));
	char **bufs = calloc(count + 1, sizeof(*bufs));
	char **specs = calloc(count + 1, sizeof(*specs));
	char err[2048];
	int rc = 0;

	if (!files || !bufs || !specs)
		rc = bp_fail(self, BP_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < count; i++) {
		char *eq;

		specs[i] = strdup(items[i]);
		eq = specs[i] ? strchr(specs[i], '=') : NULL;
		if (!eq || eq == specs[i] || eq[1] != '/') {
			rc = bp_fail(self, BP_ECONFIG,
				     "%s: inject `%s`: expected "
				     "HOST_FILE=/GUEST/PATH",
				     bp_stage_opt_origin(self, "inject"),
				     items[i]);
			break;
		}
		*eq = '\0';
		bufs[i] = read_file(specs[i], &files[i].len, &files[i].mode,
				    err, sizeof(err));
		if (!bufs[i]) {
			rc = bp_fail(self, BP_ECONFIG, "inject: %s", err);
			break;
		}
		files[i].guest_path = eq + 1;
		files[i].data = bufs[i];
	}
	if (!rc && ext4_inject(copy, files, count, err, sizeof(err)) < 0)
		rc = bp_fail(self, BP_ECONFIG, "%s", err);
	for (size_t i = 0; i < count; i++) {
		if (!rc)
			bp_log(self, BP_LOG_INFO, "wrote %s (%zu bytes)",
			       files[i].guest_path, files[i].len);
		free(bufs ? bufs[i] : NULL);
		free(specs ? specs[i] : NULL);
	}
	free(files);
	free(bufs);
	free(specs);
	return rc;
}

static int run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	struct state *s = state;
	const char *src = bp_ctx_str_or(ctx, BP_KEY_ROOTFS_PATH, NULL);
	const char *copy = NULL;
	const char *const *items = NULL;
	size_t count = 0;
	char err[2048];
	bool check = false;
	int rc;

	/* the rootfs it copies is not part of a pipeline check */
	bp_ctx_get_bool(ctx, BP_KEY_RUN_CHECK, &check);
	if (check)
		return 0;
	bp_stage_opt_str(self, "copy", &copy);
	bp_stage_opt_list(self, "inject", &items, &count);
	if (!src)
		return bp_fail(self, BP_ECONFIG,
			       "no rootfs to copy: the run attaches none "
			       "(set resolve-request rootfs)");
	if (bp_stage_dry_run(self)) {
		bp_log(self, BP_LOG_INFO,
		       "would copy %s to %s and write %zu file%s into it", src,
		       copy, count, count == 1 ? "" : "s");
		goto publish;
	}
	if (access(copy, F_OK) == 0)
		return bp_fail(self, BP_ECONFIG,
			       "%s exists; the per-run copy must be new (a "
			       "run dir of its own)",
			       copy);
	if (image_copy_sparse(src, copy, err, sizeof(err)) < 0)
		return bp_fail(self, BP_EINFRA, "%s", err);
	s->made = strdup(copy);
	if (!s->made)
		return bp_fail(self, BP_ENOMEM, "out of memory");
	rc = inject_all(self, copy, items, count);
	if (rc)
		return rc;
	bp_log(self, BP_LOG_INFO, "rootfs %s: a copy of %s", copy, src);
publish:
	rc = bp_ctx_set_str(ctx, BP_KEY_ROOTFS_PATH, copy);
	if (!rc)
		rc = bp_ctx_set_str(ctx, BP_KEY_ROOTFS_SOURCE, "case-copy");
	return rc ? bp_fail(self, rc, "%s", bp_ctx_error(ctx)) : 0;
}

static void cleanup(struct bp_stage *self, void *state)
{
	struct state *s = state;
	bool keep = false;

	bp_stage_opt_bool(self, "keep", &keep);
	if (s->made && !keep)
		unlink(s->made);
	free(s->made);
	free(s);
}

BP_PLUGIN_DEFINE(.name = "case-rootfs", .version = "1.0.0",
		 .summary = "boot a sparse copy of the rootfs with files "
			    "written into it (ext2/3/4, no mount)",
		 .options = options, .needs = requires_keys,
		 .provides = provides, .init = init, .run = run,
		 .cleanup = cleanup);
