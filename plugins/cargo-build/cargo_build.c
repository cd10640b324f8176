/*
 * cargo-build: builds the kernel from an axbuild build config
 * (build-<target>.toml) as axbuild does: `cargo build -p PACKAGE --bin BIN
 * --target TARGET --release --features ...` with the config's [env],
 * AX_LOG from `log`, SMP from `max_cpu_num` (and the `smp` feature above
 * one CPU), AX_ARCH / AX_TARGET, and AXVISOR_VM_CONFIGS from `vm_configs`;
 * the ELF it leaves in target/<target>/release/<bin> is request.kernel.
 */
#include <ctype.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bootpipe/keys.h>
#include <bootpipe/plugin.h>
#include <bootpipe/toml.h>

extern char **environ;

static const struct bp_option options[] = {
    {"build_config", BP_OPT_STR, NULL,
     "axbuild build config (relative: to the workspace)", BP_OPT_REQUIRED,
     NULL},
    {"package", BP_OPT_STR, NULL, "cargo package (-p)", BP_OPT_REQUIRED, NULL},
    {"bin", BP_OPT_STR, NULL, "binary (--bin; default: the package)", 0, NULL},
    {"target", BP_OPT_STR, NULL,
     "Rust target (default: the config's target, else request.target)", 0,
     NULL},
    {"features", BP_OPT_LIST, NULL, "features added to the config's", 0, NULL},
    {"cargo", BP_OPT_STR, "cargo", "the cargo binary", 0, NULL},
    {"target_dir", BP_OPT_STR, NULL,
     "cargo's target dir (default: $CARGO_TARGET_DIR, else "
     "<workspace>/target)",
     0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const char *const requires_keys[] = {BP_KEY_REQUEST_ARCH, NULL};
static const char *const provides[] = {BP_KEY_REQUEST_KERNEL,
				       BP_KEY_REQUEST_KERNEL_PENDING, NULL};

struct strv {
	char **v;
	size_t n, cap;
};

static int push(struct strv *s, char *str)
{
	if (!str)
		return -1;
	if (s->n + 2 > s->cap) {
		char **v = realloc(s->v, (s->cap = s->cap ? 2 * s->cap : 32) *
					     sizeof(*v));
		if (!v) {
			free(str);
			return -1;
		}
		s->v = v;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	return 0;
}

static void release(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static char *fmt(const char *f, const char *a, const char *b)
{
	char *s = NULL;

	return asprintf(&s, f, a, b) < 0 ? NULL : s;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* NAME=VALUE in @env, replacing NAME. */
static int setenv_in(struct strv *env, const char *name, const char *value)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], name, n) && env->v[i][n] == '=') {
			free(env->v[i]);
			env->v[i] = fmt("%s=%s", name, value);
			return env->v[i] ? 0 : -1;
		}
	return push(env, fmt("%s=%s", name, value));
}

static char *resolve(const char *workspace, const char *path)
{
	return path[0] == '/' || !workspace ? strdup(path)
					    : fmt("%s/%s", workspace, path);
}

static int build(struct bp_stage *self, struct bp_ctx *ctx,
		 const struct bp_toml_node *cfg, const char *config_path,
		 const char *workspace, const char *target, const char *kernel)
{
	const char *package, *bin = NULL, *cargo, *s, *const * extra;
	const struct bp_toml_node *node;
	struct strv argv = {0}, env = {0}, feats = {0};
	char *joined = NULL, num[32];
	size_t extra_n = 0, len = 0;
	int64_t cpus = 0;
	pid_t pid;
	int rc = 0, status;

	bp_stage_opt_str(self, "package", &package);
	if (bp_stage_opt_str(self, "bin", &bin) != 0)
		bin = package;
	bp_stage_opt_str(self, "cargo", &cargo);
	bp_stage_opt_list(self, "features", &extra, &extra_n);
	for (char **e = environ; e && *e; e++)
		if (push(&env, strdup(*e)) < 0)
			goto oom;
	/* the config's [env] first, then what axbuild derives */
	node = bp_toml_get(cfg, "env");
	for (size_t i = 0; node && i < bp_toml_len(node); i++)
		if (bp_toml_as_str(bp_toml_value_at(node, i), &s, NULL) &&
		    setenv_in(&env, bp_toml_key_at(node, i), s) < 0)
			goto oom;
	if (bp_toml_get_str(cfg, "log", &s) == 0) {
		char *lower = strdup(s);

		for (char *p = lower; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!lower || setenv_in(&env, "AX_LOG", lower) < 0) {
			free(lower);
			goto oom;
		}
		free(lower);
	}
	if (bp_toml_get_int(cfg, "max_cpu_num", &cpus) == 0) {
		if (cpus < 1)
			return bp_fail(self, BP_ECONFIG,
				       "%s: max_cpu_num must be at least 1",
				       config_path);
		snprintf(num, sizeof(num), "%lld", (long long)cpus);
		if (setenv_in(&env, "SMP", num) < 0)
			goto oom;
	}
	if (setenv_in(&env, "AX_ARCH",
		      bp_ctx_str_or(ctx, BP_KEY_REQUEST_ARCH, "")) < 0 ||
	    setenv_in(&env, "AX_TARGET", target) < 0)
		goto oom;
	node = bp_toml_get(cfg, "vm_configs");
	for (size_t i = 0; node && i < bp_toml_len(node); i++) {
		char *p, *j;

		if (!bp_toml_as_str(bp_toml_at(node, i), &s, NULL))
			continue;
		p = resolve(workspace, s);
		j = p ? (joined ? fmt("%s:%s", joined, p) : strdup(p)) : NULL;
		free(p);
		free(joined);
		if (!(joined = j))
			goto oom;
	}
	if (joined && setenv_in(&env, "AXVISOR_VM_CONFIGS", joined) < 0)
		goto oom;
	node = bp_toml_get(cfg, "features");
	for (size_t i = 0; node && i < bp_toml_len(node); i++)
		if (bp_toml_as_str(bp_toml_at(node, i), &s, NULL) &&
		    push(&feats, strdup(s)) < 0)
			goto oom;
	for (size_t i = 0; i < extra_n; i++)
		if (push(&feats, strdup(extra[i])) < 0)
			goto oom;
	if (cpus > 1 && push(&feats, strdup("smp")) < 0)
		goto oom;
	if (feats.n)
		qsort(feats.v, feats.n, sizeof(*feats.v), cmp);
	if (push(&argv, strdup(cargo)) || push(&argv, strdup("build")) ||
	    push(&argv, strdup("-p")) || push(&argv, strdup(package)) ||
	    push(&argv, strdup("--bin")) || push(&argv, strdup(bin)) ||
	    push(&argv, strdup("--target")) || push(&argv, strdup(target)) ||
	    push(&argv, strdup("--release")))
		goto oom;
	for (size_t i = 0; i < feats.n; i++)
		len += strlen(feats.v[i]) + 1;
	if (feats.n) {
		char *list = calloc(1, len + 1);
		size_t off = 0;

		if (!list)
			goto oom;
		for (size_t i = 0; i < feats.n; i++) {
			/* sorted and deduplicated, as axbuild does */
			if (i && !strcmp(feats.v[i], feats.v[i - 1]))
				continue;
			off +=
			    (size_t)snprintf(list + off, len + 1 - off, "%s%s",
					     off ? "," : "", feats.v[i]);
		}
		if (push(&argv, strdup("--features")) || push(&argv, list))
			goto oom;
	}
	{
		char *line = bp_shell_join((const char *const *)argv.v, argv.n);

		bp_log(self, BP_LOG_INFO, "%s%s",
		       bp_stage_dry_run(self) ? "would run: " : "",
		       line ? line : "cargo build");
		free(line);
	}
	if (bp_stage_dry_run(self))
		goto out;
	{
		posix_spawn_file_actions_t fa;

		/* cargo runs in the workspace; this process stays where it is
		 */
		posix_spawn_file_actions_init(&fa);
		if (workspace)
			posix_spawn_file_actions_addchdir_np(&fa, workspace);
		rc = posix_spawnp(&pid, argv.v[0], &fa, NULL, argv.v, env.v);
		posix_spawn_file_actions_destroy(&fa);
	}
	if (rc) {
		rc = bp_fail(self, BP_EINFRA, "cannot start %s: %s", cargo,
			     strerror(rc));
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		rc = bp_fail(
		    self, BP_ECONFIG, "cargo build of %s (%s) failed: %s %d",
		    package, config_path, WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		goto out;
	}
	if (access(kernel, R_OK) != 0)
		rc = bp_fail(self, BP_ECONFIG,
			     "cargo build succeeded but left no %s", kernel);
	goto out;
oom:
	rc = bp_fail(self, BP_ENOMEM, "out of memory");
out:
	free(joined);
	release(&argv);
	release(&env);
	release(&feats);
	return rc;
}

static int run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	const char *workspace = bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, NULL);
	const char *config, *target = NULL, *bin = NULL, *tdir = NULL;
	struct bp_toml_doc *doc = NULL;
	char err[1024], *path, *kernel = NULL;
	bool check = false;
	int rc;

	(void)state;
	bp_ctx_get_bool(ctx, BP_KEY_RUN_CHECK, &check);
	bp_stage_opt_str(self, "build_config", &config);
	path = resolve(workspace, config);
	if (!path)
		return bp_fail(self, BP_ENOMEM, "out of memory");
	if (bp_toml_parse_file(path, &doc, err, sizeof(err)) != 0) {
		free(path);
		return bp_fail(self, BP_ECONFIG, "%s", err);
	}
	if (bp_stage_opt_str(self, "target", &target) != 0 &&
	    bp_toml_get_str(bp_toml_root(doc), "target", &target) != 0)
		target = bp_ctx_str_or(ctx, BP_KEY_REQUEST_TARGET, NULL);
	if (!target) {
		rc = bp_fail(self, BP_ECONFIG,
			     "%s: no target (set target there or the "
			     "cargo-build target option)",
			     path);
		goto out;
	}
	/* a check reads the build config; building is for the run */
	if (check) {
		rc = 0;
		goto out;
	}
	if (bp_stage_opt_str(self, "bin", &bin) != 0)
		bp_stage_opt_str(self, "package", &bin);
	if (bp_stage_opt_str(self, "target_dir", &tdir) != 0)
		tdir = getenv("CARGO_TARGET_DIR");
	kernel = tdir
		     ? fmt("%s/%s", tdir, target)
		     : fmt("%s/target/%s", workspace ? workspace : ".", target);
	if (kernel) {
		char *k = fmt("%s/release/%s", kernel, bin);

		free(kernel);
		kernel = k;
	}
	if (!kernel) {
		rc = bp_fail(self, BP_ENOMEM, "out of memory");
		goto out;
	}
	rc = build(self, ctx, bp_toml_root(doc), path, workspace, target,
		   kernel);
	if (!rc)
		rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_KERNEL, kernel);
	if (!rc && bp_stage_dry_run(self))
		rc = bp_ctx_set_bool(ctx, BP_KEY_REQUEST_KERNEL_PENDING, true);
out:
	bp_toml_free(doc);
	free(path);
	free(kernel);
	return rc;
}

BP_PLUGIN_DEFINE(.name = "cargo-build", .version = "1.0.0",
		 .summary = "build the kernel from an axbuild build config "
			    "with cargo",
		 .options = options, .needs = requires_keys,
		 .provides = provides, .run = run);
