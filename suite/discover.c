/*
 * Case discovery, rule for rule as axbuild's test/qemu/discovery.rs: a
 * build wrapper is a directory with build-<target>.toml or
 * build-<target>-<variant>.toml (one wrapper per variant, named
 * <dir>-<variant>); its cases are the directories below it with
 * qemu-<key>.toml files (<key> = arch or arch-variant), the wrapper itself
 * being a case when it has some; a nested wrapper and the asset folders
 * c, sh, python, rust are not walked into.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootpipe/toml.h>

#include "suite.h"

static const struct {
	const char *arch;
	const char *target;
} arch_specs[] = {
    {"aarch64", "aarch64-unknown-none-softfloat"},
    {"x86_64", "x86_64-unknown-none"},
    {"riscv64", "riscv64gc-unknown-none-elf"},
    {"loongarch64", "loongarch64-unknown-none-softfloat"},
};

/* ArceOS rust and c groups are one build dir whose cases are cargo
 * features (arceos/test/mod.rs); without --case only `all` runs. */
static const char *const arceos_rust_features[] = {
    "all",	     "debug-backtrace",	     "debug-panic-path",
    "display-basic", "exception-breakpoint", "exception-page-fault",
    "fs-basic",	     "lockdep-baseline",     "lockdep-detect",
    "memtest",	     "net-loopback",	     "sched-cfs",
    "sched-rr",	     "task-affinity",	     "task-ipi",
    "task-irq",	     "task-parallel",	     "task-priority",
    "task-sleep",    "task-smp-online",	     "task-stack-guard-page",
    "task-tls",	     "task-wait-queue",	     "task-wait-queue-remote-wake",
    "task-yield",
};
static const char *const arceos_c_features[] = {
    "all",	     "mem",  "pthread-basic", "pthread-parallel",
    "pthread-sleep", "pipe", "epoll",	      "net-http",
};

struct strv {
	char **v;
	size_t n, cap;
};

struct wrapper {
	char *name;
	char *dir;
	char *build_config;
	char *variant;
};

struct indexed {
	char *name;
	char *display;
	char *dir;
	const struct wrapper *w;
};

struct ctx {
	char *err;
	size_t errlen;
	const struct suite_filter *f;
	bool *case_seen; /* per filter->cases entry */
};

static int fail(struct ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *dupf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

const char *suite_arch_target(const char *arch)
{
	for (size_t i = 0; i < sizeof(arch_specs) / sizeof(arch_specs[0]); i++)
		if (strcmp(arch_specs[i].arch, arch) == 0)
			return arch_specs[i].target;
	return NULL;
}

static int strv_push(struct strv *s, char *str)
{
	if (!str)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			free(str);
			return -1;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	return 0;
}

static void strv_release(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct strv){0};
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The entry names of @dir, sorted; -1 with a message when unreadable. */
static int read_names(struct ctx *x, const char *dir, struct strv *out)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return fail(x, "cannot read %s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strv_push(out, strdup(de->d_name)) < 0) {
			closedir(d);
			return fail(x, "out of memory");
		}
	}
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

/* The full paths of the subdirectories of @dir. */
static int subdirs(struct ctx *x, const char *dir, struct strv *out)
{
	struct strv names = {0};
	int rc = read_names(x, dir, &names);

	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *p = dupf("%s/%s", dir, names.v[i]);

		if (p && !is_dir(p)) {
			free(p);
			continue;
		}
		if (strv_push(out, p) < 0)
			rc = fail(x, "out of memory");
	}
	strv_release(&names);
	return rc;
}

static bool is_asset_dir(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strcmp(base, "c") == 0 || strcmp(base, "sh") == 0 ||
	       strcmp(base, "python") == 0 || strcmp(base, "rust") == 0;
}

/* Any build-*.toml in @dir (the wrapper test without a target). */
static int has_build_config(struct ctx *x, const char *dir, bool *out)
{
	struct strv names = {0};
	int rc = read_names(x, dir, &names);

	*out = false;
	for (size_t i = 0; rc == 0 && i < names.n && !*out; i++) {
		char *p;

		if (!has_prefix(names.v[i], "build-") ||
		    !has_suffix(names.v[i], ".toml"))
			continue;
		p = dupf("%s/%s", dir, names.v[i]);
		*out = p && is_file(p);
		free(p);
	}
	strv_release(&names);
	return rc;
}

/* The qemu-<key>.toml files of @dir as "key\0path" pairs in @keys and
 * @paths, sorted by key; qemu-base-*.toml are templates, not cases. */
static int qemu_configs(struct ctx *x, const char *dir, struct strv *keys,
			struct strv *paths)
{
	struct strv names = {0};
	int rc = read_names(x, dir, &names);

	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		const char *n = names.v[i];
		size_t len = strlen(n);
		char *p;

		if (!has_prefix(n, "qemu-") || !has_suffix(n, ".toml") ||
		    has_prefix(n + 5, "base-") || len <= 10)
			continue;
		p = dupf("%s/%s", dir, n);
		if (!p || !is_file(p)) {
			free(p);
			continue;
		}
		if (strv_push(paths, p) < 0 ||
		    strv_push(keys, strndup(n + 5, len - 10)) < 0)
			rc = fail(x, "out of memory");
	}
	strv_release(&names);
	return rc;
}

/* A path relative to @root, '/'-joined; @path must be below @root. */
static char *relative(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (strncmp(root, path, n) != 0)
		return NULL;
	path += n;
	while (*path == '/')
		path++;
	return strdup(path);
}

static char *with_variant(const char *name, const char *variant)
{
	return variant ? dupf("%s-%s", name, variant) : strdup(name);
}

static void wrappers_release(struct wrapper *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].name);
		free(w[i].dir);
		free(w[i].build_config);
		free(w[i].variant);
	}
	free(w);
}

static int cmp_wrapper(const void *a, const void *b)
{
	return strcmp(((const struct wrapper *)a)->name,
		      ((const struct wrapper *)b)->name);
}

static int cmp_indexed(const void *a, const void *b)
{
	return strcmp(((const struct indexed *)a)->display,
		      ((const struct indexed *)b)->display);
}

/* build-<target>.toml and build-<target>-<variant>.toml of @dir, sorted by
 * path, into @variants (NULL for the canonical one) and @paths. */
static int build_configs_for(struct ctx *x, const char *dir, const char *target,
			     const char *arch, struct strv *variants,
			     struct strv *paths)
{
	struct strv names = {0};
	char *prefix = dupf("build-%s", target);
	size_t plen = prefix ? strlen(prefix) : 0;
	int rc = prefix ? read_names(x, dir, &names) : fail(x, "oom");

	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		const char *n = names.v[i];
		char *p, *variant = NULL;

		if (!has_prefix(n, prefix) || !has_suffix(n, ".toml"))
			continue;
		if (strcmp(n + plen, ".toml") != 0) {
			size_t vlen = strlen(n) - plen - 5;

			if (n[plen] != '-' || vlen < 2)
				continue;
			variant = strndup(n + plen + 1, vlen - 1);
			if (!variant) {
				rc = fail(x, "out of memory");
				break;
			}
		}
		p = dupf("%s/%s", dir, n);
		if (!p || !is_file(p)) {
			free(p);
			free(variant);
			continue;
		}
		/* keep the two lists parallel: an empty string is "none" */
		if (strv_push(paths, p) < 0 ||
		    strv_push(variants, variant ? variant : strdup("")) < 0)
			rc = fail(x, "out of memory");
	}
	if (rc == 0 && paths->n == 0) {
		char *legacy = dupf("%s/build-%s.toml", dir, arch);

		if (legacy && is_file(legacy))
			rc = fail(x,
				  "%s: unsupported legacy build config name; "
				  "rename it to build-%s.toml or "
				  "build-%s-<variant>.toml",
				  legacy, target, target);
		free(legacy);
	}
	/* names are sorted, so paths already are */
	strv_release(&names);
	free(prefix);
	return rc;
}

static int find_wrappers(struct ctx *x, const char *group_dir,
			 const char *target, const char *arch,
			 struct wrapper **out, size_t *count)
{
	struct strv stack = {0};
	struct wrapper *w = NULL;
	size_t n = 0, cap = 0;
	int rc = subdirs(x, group_dir, &stack);

	while (rc == 0 && stack.n) {
		char *dir = stack.v[--stack.n];
		struct strv variants = {0}, paths = {0};

		rc = build_configs_for(x, dir, target, arch, &variants, &paths);
		for (size_t i = 0; rc == 0 && i < paths.n; i++) {
			const char *v = variants.v[i][0] ? variants.v[i] : NULL;
			char *rel = relative(group_dir, dir);

			if (n == cap) {
				struct wrapper *nw;

				cap = cap ? 2 * cap : 16;
				nw = realloc(w, cap * sizeof(*w));
				if (!nw) {
					free(rel);
					rc = fail(x, "out of memory");
					break;
				}
				w = nw;
			}
			w[n] = (struct wrapper){
			    .name = rel ? with_variant(rel, v) : NULL,
			    .dir = strdup(dir),
			    .build_config = strdup(paths.v[i]),
			    .variant = v ? strdup(v) : NULL,
			};
			free(rel);
			n++;
			if (!w[n - 1].name || !w[n - 1].dir ||
			    !w[n - 1].build_config || (v && !w[n - 1].variant))
				rc = fail(x, "out of memory");
		}
		if (rc == 0 && paths.n == 0 && !is_asset_dir(dir))
			rc = subdirs(x, dir, &stack);
		strv_release(&variants);
		strv_release(&paths);
		free(dir);
	}
	strv_release(&stack);
	if (rc < 0) {
		wrappers_release(w, n);
		return rc;
	}
	if (n)
		qsort(w, n, sizeof(*w), cmp_wrapper);
	*out = w;
	*count = n;
	return 0;
}

static bool selected(const struct suite_filter *f, const char *name,
		     const char *display, bool *seen)
{
	if (!f || f->case_count == 0)
		return true;
	for (size_t i = 0; i < f->case_count; i++) {
		const char *s = f->cases[i];
		size_t n = strlen(s);
		bool hit = strcmp(name, s) == 0 || strcmp(display, s) == 0 ||
			   (strncmp(name, s, n) == 0 && name[n] == '/') ||
			   (strncmp(display, s, n) == 0 && display[n] == '/');

		if (hit) {
			if (seen)
				seen[i] = true;
			return true;
		}
	}
	return false;
}

struct emit {
	const char *os, *group, *arch, *target;
};

static int emit_case(struct ctx *x, struct suite_list *out,
		     const struct emit *e, const struct indexed *c,
		     const char *qemu_config, const char *feature,
		     const char *package, const struct strv *subcases)
{
	char *case_dir = realpath(c->dir, NULL);
	char *qemu = realpath(qemu_config, NULL);
	char *build = realpath(c->w->build_config, NULL);
	struct suite_case sc = {
	    .os = (char *)e->os,
	    .group = (char *)e->group,
	    .name = c->name,
	    .display = c->display,
	    .arch = (char *)e->arch,
	    .target = (char *)e->target,
	    .variant = c->w->variant,
	    .case_dir = case_dir,
	    .qemu_config = qemu,
	    .build_group = c->w->name,
	    .build_config = build,
	    .feature = (char *)feature,
	    .package = (char *)package,
	    .subcases = subcases ? subcases->v : NULL,
	    .subcase_count = subcases ? subcases->n : 0,
	};
	int rc = 0;

	if (!case_dir || !qemu || !build)
		rc = fail(x, "cannot resolve the paths of case %s: %s",
			  c->display, strerror(errno));
	else if (suite_list_add(out, &sc) < 0)
		rc = fail(x, "out of memory");
	free(case_dir);
	free(qemu);
	free(build);
	return rc;
}

static void indexed_release(struct indexed *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].display);
		free(c[i].dir);
	}
	free(c);
}

static int index_push(struct ctx *x, struct indexed **v, size_t *n, size_t *cap,
		      struct indexed c)
{
	if (!c.name || !c.display || !c.dir) {
		free(c.name);
		free(c.display);
		free(c.dir);
		return fail(x, "out of memory");
	}
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		struct indexed *nv = realloc(*v, ncap * sizeof(**v));

		if (!nv)
			return fail(x, "out of memory");
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = c;
	return 0;
}

/* The cases of one wrapper: its own dir when it has qemu configs, then
 * each dir below with qemu configs (not walked into), skipping nested
 * wrappers and asset dirs. */
static int index_wrapper(struct ctx *x, const struct wrapper *w,
			 struct indexed **v, size_t *n, size_t *cap)
{
	struct strv keys = {0}, paths = {0}, stack = {0};
	int rc = qemu_configs(x, w->dir, &keys, &paths);

	if (rc == 0 && keys.n)
		rc = index_push(x, v, n, cap,
				(struct indexed){.name = strdup(w->name),
						 .display = strdup(w->name),
						 .dir = strdup(w->dir),
						 .w = w});
	strv_release(&keys);
	strv_release(&paths);
	if (rc == 0)
		rc = subdirs(x, w->dir, &stack);
	while (rc == 0 && stack.n) {
		char *dir = stack.v[--stack.n];
		bool nested;

		rc = has_build_config(x, dir, &nested);
		if (rc == 0 && !nested)
			rc = qemu_configs(x, dir, &keys, &paths);
		if (rc == 0 && !nested && keys.n) {
			char *rel = relative(w->dir, dir);
			char *name = rel ? with_variant(rel, w->variant) : NULL;

			rc = index_push(
			    x, v, n, cap,
			    (struct indexed){
				.name = name,
				.display =
				    name ? dupf("%s/%s", w->name, name) : NULL,
				.dir = strdup(dir),
				.w = w});
			free(rel);
		} else if (rc == 0 && !nested && !is_asset_dir(dir)) {
			rc = subdirs(x, dir, &stack);
		}
		strv_release(&keys);
		strv_release(&paths);
		free(dir);
	}
	strv_release(&stack);
	return rc;
}

/* Whether the QEMU config at @path has test_commands. One that does not
 * parse has none here: running the case reports why. */
static bool has_test_commands(const char *path)
{
	struct bp_toml_doc *doc = NULL;
	const struct bp_toml_node *node;
	char err[256];
	bool yes;

	if (bp_toml_parse_file(path, &doc, err, sizeof(err)) != 0)
		return false;
	node = bp_toml_get(bp_toml_root(doc), "test_commands");
	yes = node && bp_toml_type(node) == BP_TOML_ARRAY && bp_toml_len(node);
	bp_toml_free(doc);
	return yes;
}

/*
 * The subcases of a grouped StarryOS case (axbuild's
 * discover_qemu_subcases): each directory of @case_dir with a c/ dir, a
 * CMakeLists.txt or a rust/ dir, unless it has qemu-*.toml configs and
 * none for @key (the case's arch[-variant]); sorted by name.
 */
static int grouped_subcases(struct ctx *x, const char *case_dir,
			    const char *key, struct strv *out)
{
	struct strv names = {0};
	int rc = read_names(x, case_dir, &names);

	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		struct strv keys = {0}, paths = {0};
		char *dir = dupf("%s/%s", case_dir, names.v[i]);
		char *c = dir ? dupf("%s/c", dir) : NULL;
		char *cmake = dir ? dupf("%s/CMakeLists.txt", dir) : NULL;
		char *rust = dir ? dupf("%s/rust", dir) : NULL;
		bool for_arch = true;

		if (!rust)
			rc = fail(x, "out of memory");
		else if (is_dir(dir))
			rc = qemu_configs(x, dir, &keys, &paths);
		if (rc == 0 && is_dir(dir) && keys.n) {
			for_arch = false;
			for (size_t k = 0; k < keys.n; k++)
				for_arch = for_arch || !strcmp(keys.v[k], key);
		}
		if (rc == 0 && is_dir(dir) && for_arch &&
		    (is_dir(c) || is_file(cmake) || is_dir(rust)) &&
		    strv_push(out, strdup(names.v[i])) < 0)
			rc = fail(x, "out of memory");
		strv_release(&keys);
		strv_release(&paths);
		free(dir);
		free(c);
		free(cmake);
		free(rust);
	}
	strv_release(&names);
	return rc;
}

/* [package] name of the Cargo.toml at @path, as axbuild's
 * read_manifest_package_name reads an ArceOS case's: the package it
 * builds, and the binary. */
static int manifest_package(struct ctx *x, const char *path, char **out)
{
	struct bp_toml_doc *doc = NULL;
	const char *name;
	char err[512];
	int rc;

	*out = NULL;
	if (!is_file(path))
		return fail(x,
			    "%s: missing; an ArceOS case directory needs the "
			    "Cargo.toml of the package to build",
			    path);
	if (bp_toml_parse_file(path, &doc, err, sizeof(err)) != 0)
		return fail(x, "%s", err);
	rc = bp_toml_get_str(bp_toml_root(doc), "package.name", &name);
	if (rc != 0)
		rc = fail(x,
			  "%s: missing package.name; add `name = \"...\"` "
			  "under [package] (the package and binary to build)",
			  path);
	else if (!(*out = strdup(name)))
		rc = fail(x, "out of memory");
	bp_toml_free(doc);
	return rc;
}

/* A case of the generic walk; StarryOS grouped cases with their
 * subcases, as only axbuild's Starry flow finds them; ArceOS cases with
 * the package their Cargo.toml names. */
static int emit_generic(struct ctx *x, struct suite_list *out,
			const struct emit *e, const struct indexed *c,
			const char *qemu_config)
{
	struct strv subcases = {0};
	char *key = with_variant(e->arch, c->w->variant);
	char *manifest = NULL, *package = NULL;
	int rc = key ? 0 : fail(x, "out of memory");

	if (rc == 0 && strcmp(e->os, "starry") == 0 &&
	    has_test_commands(qemu_config))
		rc = grouped_subcases(x, c->dir, key, &subcases);
	if (rc == 0 && strcmp(e->os, "arceos") == 0) {
		manifest = dupf("%s/Cargo.toml", c->dir);
		rc = manifest ? manifest_package(x, manifest, &package)
			      : fail(x, "out of memory");
	}
	if (rc == 0)
		rc = emit_case(x, out, e, c, qemu_config, NULL, package,
			       &subcases);
	strv_release(&subcases);
	free(manifest);
	free(package);
	free(key);
	return rc;
}

/* axbuild's discover_qemu_cases_allow_empty for one arch, in run order:
 * cases sorted by display name, then stably grouped by build config. */
static int discover_generic(struct ctx *x, const char *group_dir,
			    const struct emit *e, struct suite_list *out)
{
	struct wrapper *w = NULL;
	struct indexed *v = NULL;
	size_t nw = 0, n = 0, cap = 0;
	bool *done = NULL;
	int rc = find_wrappers(x, group_dir, e->target, e->arch, &w, &nw);

	for (size_t i = 0; rc == 0 && i < nw; i++)
		rc = index_wrapper(x, &w[i], &v, &n, &cap);
	if (rc == 0 && n)
		qsort(v, n, sizeof(*v), cmp_indexed);
	done = calloc(n + 1, sizeof(*done));
	if (rc == 0 && !done)
		rc = fail(x, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (done[i])
			continue;
		for (size_t j = i; rc == 0 && j < n; j++) {
			char *key, *config;

			if (done[j] ||
			    v[j].w->build_config != v[i].w->build_config)
				continue;
			done[j] = true;
			if (!selected(x->f, v[j].name, v[j].display,
				      x->case_seen))
				continue;
			key = with_variant(e->arch, v[j].w->variant);
			config =
			    key ? dupf("%s/qemu-%s.toml", v[j].dir, key) : NULL;
			if (!config)
				rc = fail(x, "out of memory");
			else if (is_file(config))
				rc = emit_generic(x, out, e, &v[j], config);
			free(key);
			free(config);
		}
	}
	free(done);
	indexed_release(v, n);
	wrappers_release(w, nw);
	return rc;
}

/* ArceOS rust / c: one dir, one build config per target, a case per
 * feature (arceos/test/discovery.rs load_arceos_test_suit_qemu_case). */
static int discover_arceos_features(struct ctx *x, const char *dir,
				    const struct emit *e,
				    const char *const *features, size_t count,
				    const char *build_group,
				    const char *package, struct suite_list *out)
{
	struct wrapper w = {.name = (char *)build_group};
	char *build = dupf("%s/build-%s.toml", dir, e->target);
	char *qemu = dupf("%s/qemu-%s.toml", dir, e->arch);
	int rc = 0;

	if (!build || !qemu) {
		rc = fail(x, "out of memory");
		goto out;
	}
	if (!is_file(build) || !is_file(qemu))
		goto out; /* this arch is not part of the group */
	w.build_config = build;
	for (size_t i = 0; rc == 0 && i < count; i++) {
		struct indexed c = {.name = (char *)features[i],
				    .display = (char *)features[i],
				    .dir = (char *)dir,
				    .w = &w};

		/* without --case only the first, `all`, runs */
		if (x->f && x->f->case_count) {
			if (!selected(x->f, c.name, c.display, x->case_seen))
				continue;
		} else if (i > 0) {
			break;
		}
		rc = emit_case(x, out, e, &c, qemu, features[i], package, NULL);
	}
out:
	free(build);
	free(qemu);
	return rc;
}

static int group_names(struct ctx *x, const char *root, struct strv *out)
{
	struct strv dirs = {0};
	int rc = subdirs(x, root, &dirs);

	for (size_t i = 0; rc == 0 && i < dirs.n; i++)
		if (strv_push(out, strdup(strrchr(dirs.v[i], '/') + 1)) < 0)
			rc = fail(x, "out of memory");
	strv_release(&dirs);
	return rc;
}

static char *joined(const struct strv *s)
{
	size_t len = 1, off = 0;
	char *out;

	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + 2;
	out = malloc(len);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < s->n; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s",
					i ? ", " : "", s->v[i]);
	return out;
}

/* The groups of one OS to run, in order, as "label\0dir" pairs. */
static int os_groups(struct ctx *x, const char *os, const char *root,
		     struct strv *labels, struct strv *dirs)
{
	const char *want = x->f ? x->f->group : NULL;
	struct strv names = {0};
	int rc;

	if (strcmp(os, "starry") == 0) {
		/* one group, the whole test-suit/starryos tree */
		if (want && strcmp(want, "qemu") != 0)
			return fail(x,
				    "unsupported StarryOS test group `%s`; "
				    "the only group is `qemu`",
				    want);
		if (strv_push(labels, strdup("qemu")) < 0 ||
		    strv_push(dirs, strdup(root)) < 0)
			return fail(x, "out of memory");
		return 0;
	}
	rc = group_names(x, root, &names);
	if (rc == 0 && want) {
		bool found = false;

		for (size_t i = 0; i < names.n; i++)
			found = found || strcmp(names.v[i], want) == 0;
		if (!found) {
			char *all = joined(&names);

			rc = fail(x,
				  "unsupported %s test group `%s` under %s; "
				  "supported groups are: %s",
				  os, want, root, all && *all ? all : "<none>");
			free(all);
		} else if (strv_push(labels, strdup(want)) < 0) {
			rc = fail(x, "out of memory");
		}
	} else if (rc == 0 && strcmp(os, "axvisor") == 0) {
		if (strv_push(labels, strdup("normal")) < 0)
			rc = fail(x, "out of memory");
	} else if (rc == 0) {
		/* ArceOS: rust, c, then every other group but axtest */
		static const char *const first[] = {"rust", "c"};

		for (size_t i = 0; rc == 0 && i < 2; i++)
			for (size_t j = 0; j < names.n; j++)
				if (strcmp(names.v[j], first[i]) == 0 &&
				    strv_push(labels, strdup(first[i])) < 0)
					rc = fail(x, "out of memory");
		for (size_t j = 0; rc == 0 && j < names.n; j++) {
			const char *g = names.v[j];

			if (strcmp(g, "rust") && strcmp(g, "c") &&
			    strcmp(g, "axtest") &&
			    strv_push(labels, strdup(g)) < 0)
				rc = fail(x, "out of memory");
		}
	}
	for (size_t i = 0; rc == 0 && i < labels->n; i++) {
		char *d = dupf("%s/%s", root, labels->v[i]);

		if (d && !is_dir(d)) {
			rc = fail(x,
				  "%s: missing %s test group `%s`; supported "
				  "groups are the directories of %s",
				  d, os, labels->v[i], root);
			free(d);
		} else if (strv_push(dirs, d) < 0) {
			rc = fail(x, "out of memory");
		}
	}
	strv_release(&names);
	return rc;
}

static int discover_os(struct ctx *x, const char *suite_dir, const char *os,
		       struct suite_list *out)
{
	const char *dir_name = strcmp(os, "starry") == 0 ? "starryos" : os;
	char *root = dupf("%s/%s", suite_dir, dir_name);
	struct strv labels = {0}, dirs = {0};
	int rc = 0;

	if (!root)
		return fail(x, "out of memory");
	if (!is_dir(root)) {
		/* a suite of one OS is fine unless that OS was asked for */
		if (x->f && x->f->os)
			rc = fail(x,
				  "%s: no %s test suite (expected the "
				  "directory test-suit/%s)",
				  root, os, dir_name);
		free(root);
		return rc;
	}
	rc = os_groups(x, os, root, &labels, &dirs);
	for (size_t g = 0; rc == 0 && g < labels.n; g++) {
		for (size_t a = 0;
		     rc == 0 && a < sizeof(arch_specs) / sizeof(arch_specs[0]);
		     a++) {
			struct emit e = {os, labels.v[g], arch_specs[a].arch,
					 arch_specs[a].target};

			if (x->f && x->f->arch &&
			    strcmp(x->f->arch, e.arch) != 0)
				continue;
			if (strcmp(os, "arceos") == 0 &&
			    strcmp(e.group, "rust") == 0)
				rc = discover_arceos_features(
				    x, dirs.v[g], &e, arceos_rust_features,
				    sizeof(arceos_rust_features) /
					sizeof(*arceos_rust_features),
				    "arceos-test-suit", "arceos-test-suit",
				    out);
			else if (strcmp(os, "arceos") == 0 &&
				 strcmp(e.group, "c") == 0)
				rc = discover_arceos_features(
				    x, dirs.v[g], &e, arceos_c_features,
				    sizeof(arceos_c_features) /
					sizeof(*arceos_c_features),
				    "arceos-c-test-suit", NULL, out);
			else
				rc = discover_generic(x, dirs.v[g], &e, out);
		}
	}
	strv_release(&labels);
	strv_release(&dirs);
	free(root);
	return rc;
}

static bool valid_case_name(const char *s)
{
	const char *p = s;

	if (!*s || *s == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
		if (!*p && p[-1] == '/')
			return false;
	}
	return true;
}

/*
 * When @name is <case>/<subcase>, a subcase of a grouped case that the
 * rest of @f selects, that case's name (to free); else NULL.
 */
static char *subcase_parent(const char *suite_dir, const struct suite_filter *f,
			    const char *name)
{
	const char *slash = strrchr(name, '/');
	struct suite_filter one = *f;
	struct suite_list list = {0};
	char err[256], *parent, *hit = NULL;
	const char *cases[1];

	if (!slash || slash == name || !slash[1])
		return NULL;
	parent = strndup(name, (size_t)(slash - name));
	if (!parent)
		return NULL;
	cases[0] = parent;
	one.cases = cases;
	one.case_count = 1;
	if (suite_discover(suite_dir, &one, &list, err, sizeof(err)) == 0)
		for (size_t i = 0; !hit && i < list.count; i++) {
			const struct suite_case *c = &list.cases[i];

			if (strcmp(c->name, parent) &&
			    strcmp(c->display, parent))
				continue;
			for (size_t k = 0; k < c->subcase_count; k++)
				if (!strcmp(c->subcases[k], slash + 1))
					hit = parent;
		}
	suite_list_release(&list);
	if (!hit)
		free(parent);
	return hit;
}

int suite_discover(const char *suite_dir, const struct suite_filter *filter,
		   struct suite_list *out, char *err, size_t errlen)
{
	static const char *const oses[] = {"axvisor", "arceos", "starry"};
	struct ctx x = {.err = err, .errlen = errlen, .f = filter};
	size_t before = out->count;
	int rc = 0;

	if (!is_dir(suite_dir))
		return fail(&x,
			    "%s: no test suite directory (give SUITE_DIR "
			    "or run in a workspace with test-suit/)",
			    suite_dir);
	if (filter && filter->os) {
		bool known = false;

		for (size_t i = 0; i < 3; i++)
			known = known || strcmp(filter->os, oses[i]) == 0;
		if (!known)
			return fail(&x,
				    "unknown OS `%s`; expected axvisor, "
				    "arceos or starry",
				    filter->os);
	}
	if (filter && filter->arch && !suite_arch_target(filter->arch))
		return fail(&x,
			    "unsupported arch `%s`; expected aarch64, "
			    "x86_64, riscv64 or loongarch64",
			    filter->arch);
	for (size_t i = 0; filter && i < filter->case_count; i++)
		if (!valid_case_name(filter->cases[i]))
			return fail(&x,
				    "invalid test case `%s`; expected a "
				    "relative case name without path "
				    "traversal",
				    filter->cases[i]);
	if (filter && filter->case_count) {
		x.case_seen = calloc(filter->case_count, sizeof(bool));
		if (!x.case_seen)
			return fail(&x, "out of memory");
	}
	for (size_t i = 0; rc == 0 && i < 3; i++)
		if (!filter || !filter->os || strcmp(filter->os, oses[i]) == 0)
			rc = discover_os(&x, suite_dir, oses[i], out);
	for (size_t i = 0; rc == 0 && x.case_seen && i < filter->case_count;
	     i++) {
		char *parent =
		    x.case_seen[i]
			? NULL
			: subcase_parent(suite_dir, filter, filter->cases[i]);

		if (parent)
			rc = fail(&x,
				  "test case `%s` is a subcase of the grouped "
				  "case `%s`: axbuild runs one subcase by "
				  "building only it into the case's rootfs "
				  "(with the guest's C toolchain), and "
				  "`bootpipe test` builds no subcases; select "
				  "--case %s, whose runner runs the tests its "
				  "rootfs image already holds",
				  filter->cases[i], parent, parent);
		else if (!x.case_seen[i])
			rc = fail(&x,
				  "unknown test case `%s` under %s; cases "
				  "are the directories with qemu-<arch>.toml "
				  "below a build-<target>.toml (see "
				  "`bootpipe test --list`)",
				  filter->cases[i], suite_dir);
		free(parent);
	}
	free(x.case_seen);
	if (rc == 0 && out->count == before)
		rc = fail(&x, "no qemu test cases under %s for the selection",
			  suite_dir);
	return rc;
}

void suite_shard(struct suite_list *list, unsigned long index,
		 unsigned long count)
{
	size_t kept = 0;

	for (size_t i = 0; i < list->count; i++) {
		if (count && i % count == index - 1)
			list->cases[kept++] = list->cases[i];
		else
			suite_case_release(&list->cases[i]);
	}
	list->count = kept;
}
