/*
 * `bootpipe image ls | pull NAME | rm NAME | verify [NAME]`: the store
 * commands, run on the bp-store library directly. No stage runs, so they
 * work in any directory, with or without a bootable pipeline.
 *
 * The store is, first found: --store; the `store` of a --pipeline's
 * resolve-request stage; <workspace>/tmp/axbuild/rootfs, the workspace
 * being --workspace or the cargo workspace around the current directory.
 * Outside any workspace the default pipeline (the demo) is used, as
 * `bootpipe run` does. The sources (registry, url) come from the
 * pipeline's fetch-rootfs stage when there is one.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/bootpipe.h>

#include "cli.h"
#include "image_config.h"
#include "store.h"

struct image_cli {
	struct bp_engine *engine;
	char *workspace;
	char *dir;
	const char *arch; /* the pipeline's, for names without one */
	struct bp_image_config cfg;
	bool progress_tty;
	bool progress_shown;
};

static void on_log(void *user, enum bp_log_level level, const char *message)
{
	struct image_cli *ic = user;

	bp_engine_log(ic->engine, level, "%s", message);
}

static void on_progress(void *user, const char *what, uint64_t done,
			uint64_t total)
{
	struct image_cli *ic = user;

	if (!ic->progress_tty)
		return;
	if (total)
		fprintf(stderr, "\r%s: %llu/%llu MiB", what,
			(unsigned long long)(done >> 20),
			(unsigned long long)(total >> 20));
	else
		fprintf(stderr, "\r%s: %llu MiB", what,
			(unsigned long long)(done >> 20));
	ic->progress_shown = true;
}

static void on_progress_end(void *user)
{
	struct image_cli *ic = user;

	if (ic->progress_shown)
		fputc('\n', stderr);
	ic->progress_shown = false;
}

/* @path relative to @base unless absolute; malloc'ed. */
static char *path_under(const char *base, const char *path)
{
	size_t n;
	char *out;

	if (path[0] == '/' || !base)
		return strdup(path);
	n = strlen(base) + strlen(path) + 2;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", base, path);
	return out;
}

static char *cwd_copy(void)
{
	char cwd[PATH_MAX];

	return getcwd(cwd, sizeof(cwd)) ? strdup(cwd) : NULL;
}

/* The first stage of the pipeline built from plugin @plugin, or NULL. */
static struct bp_stage *stage_of(struct bp_engine *e, const char *plugin)
{
	for (size_t i = 0; i < bp_engine_stage_count(e); i++) {
		struct bp_stage *st = bp_engine_stage_at(e, i);

		if (strcmp(bp_stage_plugin_name(st), plugin) == 0)
			return st;
	}
	return NULL;
}

static int read_image_config(struct image_cli *ic)
{
	char err[2048];

	if (bp_image_config_read(ic->workspace, &ic->cfg, err, sizeof(err))) {
		fprintf(stderr, "bootpipe: %s\n", err);
		return -1;
	}
	return 0;
}

static int apply_image_config(struct image_cli *ic, struct bp_store *s)
{
	if (bp_store_use_image_config(s, &ic->cfg)) {
		fprintf(stderr, "bootpipe: %s\n", s->err);
		return BP_OUTCOME_CONFIG;
	}
	return 0;
}

/* Loads the pipeline (no stage runs) and takes its workspace, store and
 * fetch-rootfs policy. 0 or an exit code. */
static int from_pipeline(struct image_cli *ic, const char *pipeline,
			 const char *store_opt, struct bp_store *s)
{
	struct bp_stage *req, *fetch;
	const char *ws, *dir = NULL;
	int rc = bp_engine_load(ic->engine, pipeline);

	if (rc) {
		fprintf(stderr, "bootpipe: %s\n", bp_engine_error(ic->engine));
		return (int)bp_outcome_from_status(rc);
	}
	req = stage_of(ic->engine, "resolve-request");
	/* resolve-request's own workspace (relative to the current
	 * directory) wins over the engine's, as in a run */
	if (!req || bp_stage_opt_str(req, "workspace", &ws) != 0 || !ws || !*ws)
		ws = bp_ctx_str_or(bp_engine_ctx(ic->engine), BP_KEY_WORKSPACE,
				   NULL);
	if (ws && ws[0] != '/') {
		char *cwd = cwd_copy();

		ic->workspace = cwd ? path_under(cwd, ws) : NULL;
		free(cwd);
	} else {
		ic->workspace = ws ? strdup(ws) : cwd_copy();
	}
	if (req && bp_stage_opt_str(req, "store", &dir) != 0)
		dir = NULL;
	if (req && bp_stage_opt_str(req, "arch", &ic->arch) != 0)
		ic->arch = NULL;
	if (read_image_config(ic))
		return BP_OUTCOME_CONFIG;
	if (store_opt)
		ic->dir = path_under(NULL, store_opt);
	else if (dir && *dir)
		ic->dir = path_under(ic->workspace, dir);
	else
		ic->dir = strdup(ic->cfg.local_storage);
	if (!ic->workspace || !ic->dir)
		return BP_OUTCOME_INFRA;
	s->dir = ic->dir;
	fetch = stage_of(ic->engine, "fetch-rootfs");
	if (fetch && bp_store_from_stage(s, fetch) != 0) {
		fprintf(stderr, "bootpipe: %s\n", s->err);
		return BP_OUTCOME_CONFIG;
	}
	return apply_image_config(ic, s);
}

static int without_pipeline(struct image_cli *ic, char *workspace,
			    const char *store_opt, struct bp_store *s)
{
	ic->workspace = workspace;
	if (!ic->workspace)
		return BP_OUTCOME_INFRA;
	if (read_image_config(ic))
		return BP_OUTCOME_CONFIG;
	ic->dir = strdup(store_opt ? store_opt : ic->cfg.local_storage);
	if (!ic->dir)
		return BP_OUTCOME_INFRA;
	s->dir = ic->dir;
	s->offline = bp_store_env_offline();
	return apply_image_config(ic, s);
}

static bool cache_exists(const char *dir)
{
	char *path = bp_path_join(dir, "images.toml");
	bool yes = path && access(path, F_OK) == 0;

	free(path);
	return yes;
}

static int check_args(char *const *args, int count)
{
	const char *verb = count > 0 ? args[0] : "";
	bool named = !strcmp(verb, "pull") || !strcmp(verb, "rm");
	bool optional = !strcmp(verb, "verify");

	if (!named && !optional && strcmp(verb, "ls") != 0 &&
	    strcmp(verb, "sync") != 0) {
		fprintf(stderr,
			"bootpipe: image %s: use ls [--remote], pull NAME, rm "
			"NAME, verify [NAME] or sync\n",
			verb);
		return BP_OUTCOME_CONFIG;
	}
	if ((named && count != 2) || (optional && count > 2) ||
	    (!named && !optional && count != 1)) {
		fprintf(stderr,
			"bootpipe: image %s: wrong number of arguments\n",
			verb);
		return BP_OUTCOME_CONFIG;
	}
	return 0;
}

int cli_image(struct bp_engine *engine, char *const *args, int count,
	      const struct cli_image_opts *o)
{
	struct image_cli ic = {.engine = engine};
	const char *pipeline = o->pipeline;
	char *workspace = NULL;
	struct bp_store s;
	int rc = check_args(args, count);

	if (rc)
		return rc;
	bp_store_init(&s, NULL);
	s.policy_where = "the pipeline's fetch-rootfs section";
	if (!pipeline) {
		workspace = o->workspace ? strdup(o->workspace)
					 : bp_workspace_find(NULL);
		if (!workspace && o->store)
			workspace = cwd_copy();
		if (!workspace)
			pipeline = o->default_pipeline;
	}
	if (pipeline && o->prepare && o->prepare(pipeline) != 0)
		rc = BP_OUTCOME_CONFIG;
	else if (pipeline)
		rc = from_pipeline(&ic, pipeline, o->store, &s);
	else
		rc = without_pipeline(&ic, workspace, o->store, &s);
	if (rc)
		goto out;
	s.dry_run = o->dry_run;
	ic.progress_tty = isatty(STDERR_FILENO);
	s.hooks = (struct bp_store_hooks){.log = on_log,
					  .progress = on_progress,
					  .progress_end = on_progress_end,
					  .user = &ic};
	if (!strcmp(args[0], "ls") && o->remote) {
		rc = bp_store_cmd_remote(&s, stdout);
	} else if (!strcmp(args[0], "ls")) {
		/* the store as it is: the cached registry, no network */
		if (s.cache_dir && !cache_exists(s.cache_dir))
			s.registry = NULL;
		s.auto_sync = false;
		rc = bp_store_cmd_ls(&s, stdout);
	} else if (!strcmp(args[0], "sync"))
		rc = bp_store_cmd_sync(&s, stdout);
	else if (!strcmp(args[0], "verify"))
		rc = bp_store_cmd_verify(&s, count == 2 ? args[1] : NULL,
					 stdout);
	else if (!strcmp(args[0], "pull"))
		rc = bp_store_cmd_pull(&s, args[1], ic.arch, stdout);
	else
		rc = bp_store_cmd_rm(&s, args[1], stdout);
	if (rc) {
		fprintf(stderr, "bootpipe: %s\n", s.err);
		rc = (int)bp_outcome_from_status(rc);
	}
out:
	bp_store_fini(&s);
	bp_image_config_free(&ic.cfg);
	free(ic.workspace);
	free(ic.dir);
	return rc;
}
