/*
 * Loads stage plugins (loader.h). Each file is opened once per loader with
 * RTLD_NOW | RTLD_LOCAL and checked in a fixed order before anything else
 * is read: dlopen, symbol, magic, ABI major, ABI minor, size, required
 * fields, name. Each failure gets its own message with the path.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/util.h>

#include "loader.h"
#include "strbuf.h"

/* The descriptor a plugin must at least have: the header and every ABI 1.0
 * field. Later minors only append. */
#define BP_PLUGIN_SIZE_1_0                                                     \
	(offsetof(struct bp_plugin, cleanup) + sizeof(bp_cleanup_fn))

/* struct bp_option as ABI 1.0 defines it: what option_size 0 means. */
#define BP_OPTION_SIZE_1_0                                                     \
	(offsetof(struct bp_option, choices) + sizeof(const char *))
/* The smallest entry the loader can read: key to flags. */
#define BP_OPTION_SIZE_MIN                                                     \
	(offsetof(struct bp_option, flags) + sizeof(unsigned))
/* More options than any stage declares: a missing terminator. */
#define MAX_OPTIONS 4096

/* Copies the plugin's option table into @lp with the plugin's entry size,
 * so appended fields read as zero for plugins built before them. */
static int copy_options(struct bp_err *err, const char *path,
			struct loaded_plugin *lp)
{
	size_t stride =
	    lp->desc.option_size ? lp->desc.option_size : BP_OPTION_SIZE_1_0;
	size_t copy = stride < sizeof(struct bp_option)
			  ? stride
			  : sizeof(struct bp_option);
	const char *table = (const char *)lp->desc.options;
	size_t n = 0;

	if (!table)
		return 0;
	if (stride < BP_OPTION_SIZE_MIN || stride % sizeof(void *))
		return err_set(err, BP_EPLUGIN,
			       "%s: option_size %zu is not a struct "
			       "bp_option size (at least %zu, a multiple "
			       "of %zu): define the descriptor with "
			       "BP_PLUGIN_DEFINE",
			       path, stride, BP_OPTION_SIZE_MIN,
			       sizeof(void *));
	while (((const struct bp_option *)(const void *)(table + n * stride))
		   ->key) {
		if (++n > MAX_OPTIONS)
			return err_set(err, BP_EPLUGIN,
				       "%s: option table has no end (more "
				       "than %d entries): end it with an "
				       "entry whose key is NULL",
				       path, MAX_OPTIONS);
	}
	lp->options = calloc(n + 1, sizeof(*lp->options));
	if (!lp->options)
		return BP_ENOMEM;
	for (size_t i = 0; i < n; i++)
		memcpy(&lp->options[i], table + i * stride, copy);
	lp->desc.options = lp->options;
	return 0;
}

bool plugin_name_valid(const char *name)
{
	if (!name || !name[0])
		return false;
	for (const char *p = name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-'))
			return false;
	}
	return true;
}

/* Checks the descriptor at @sym in the order DESIGN.md fixes and copies
 * it into @out, zeroing what the plugin's (older) size does not cover. */
static int check_descriptor(struct bp_err *err, const char *path,
			    const void *sym, const char *expected_name,
			    struct bp_plugin *out)
{
	const struct bp_plugin *p = sym;
	size_t copy;

	if (p->magic != BP_PLUGIN_MAGIC)
		return err_set(err, BP_EPLUGIN,
			       "%s: `%s` has bad magic 0x%08x (expected "
			       "0x%08x): not a bootpipe plugin descriptor",
			       path, BP_PLUGIN_SYMBOL, p->magic,
			       BP_PLUGIN_MAGIC);
	if (p->abi_major != BP_ABI_MAJOR)
		return err_set(err, BP_EPLUGIN,
			       "%s: plugin ABI %u.%u is incompatible with "
			       "this bootpipe (ABI %d.%d): rebuild the "
			       "plugin against bootpipe %s",
			       path, p->abi_major, p->abi_minor, BP_ABI_MAJOR,
			       BP_ABI_MINOR, bp_version());
	if (p->abi_minor > BP_ABI_MINOR)
		return err_set(err, BP_EPLUGIN,
			       "%s: plugin needs ABI %u.%u but this "
			       "bootpipe has ABI %d.%d: upgrade bootpipe "
			       "or rebuild the plugin against this one",
			       path, p->abi_major, p->abi_minor, BP_ABI_MAJOR,
			       BP_ABI_MINOR);
	if (p->size < BP_PLUGIN_SIZE_1_0)
		return err_set(err, BP_EPLUGIN,
			       "%s: descriptor is %u bytes, smaller than "
			       "the %zu bytes of ABI %u.0: corrupt or "
			       "hand-made descriptor; define it with "
			       "BP_PLUGIN_DEFINE",
			       path, p->size, BP_PLUGIN_SIZE_1_0, p->abi_major);
	memset(out, 0, sizeof(*out));
	copy = p->size < sizeof(*out) ? p->size : sizeof(*out);
	memcpy(out, p, copy);
	if (!out->name || !plugin_name_valid(out->name))
		return err_set(err, BP_EPLUGIN,
			       "%s: descriptor has %s name: set .name to "
			       "a name made of [a-z0-9_-]",
			       path, out->name ? "an invalid" : "no");
	if (!out->version)
		return err_set(err, BP_EPLUGIN, "%s: plugin %s has no .version",
			       path, out->name);
	if (!out->run)
		return err_set(err, BP_EPLUGIN,
			       "%s: plugin %s has no .run function", path,
			       out->name);
	if (expected_name && strcmp(out->name, expected_name) != 0)
		return err_set(err, BP_EPLUGIN,
			       "%s: file is named for plugin `%s` but its "
			       "descriptor says `%s`",
			       path, expected_name, out->name);
	return 0;
}

/* Why @path (a plugin file or a directory above it) may hold code someone
 * else wrote, or NULL; the checks of ssh's StrictModes. A sticky directory
 * owned by root (/tmp) may be writable by others: they cannot replace a
 * file they do not own there, and the file itself is checked too. */
static const char *unsafe_reason(const struct stat *sb, char *buf, size_t len)
{
	mode_t mode = sb->st_mode & 07777;

	if ((mode & (S_IWGRP | S_IWOTH)) &&
	    !(S_ISDIR(sb->st_mode) && (mode & S_ISVTX) && sb->st_uid == 0)) {
		snprintf(buf, len, "is writable by %s (mode %04o)",
			 mode & S_IWOTH ? "every user" : "its group",
			 (unsigned)mode);
		return buf;
	}
	if (sb->st_uid != 0 && sb->st_uid != geteuid()) {
		snprintf(buf, len,
			 "is owned by uid %u, neither root nor you (uid %u)",
			 (unsigned)sb->st_uid, (unsigned)geteuid());
		return buf;
	}
	return NULL;
}

/* Refuses a plugin whose file, or any directory from it up to /, other
 * users can write: the loader runs its code with our rights. Symlinks are
 * resolved first, so a link from a safe place into an unsafe one is
 * judged by where the code really is; *@checked is that real path, the
 * one to open (a link re-resolved by dlopen could point elsewhere by
 * then), or NULL when @path does not exist. */
static int check_trust(struct bp_err *err, const char *path, char **checked)
{
	char *real = realpath(path, NULL), *dir, *at;
	const char *why = NULL;
	char reason[96];
	struct stat sb;
	int rc = 0;

	*checked = NULL;
	if (!real) /* dlopen reports the missing file */
		return errno == ENOMEM ? BP_ENOMEM : 0;
	dir = strdup(real);
	if (!dir) {
		free(real);
		return BP_ENOMEM;
	}
	for (;;) {
		if (stat(dir, &sb) == 0 &&
		    (why = unsafe_reason(&sb, reason, sizeof(reason))))
			break;
		if (strcmp(dir, "/") == 0)
			break;
		at = strrchr(dir, '/'); /* realpath gives an absolute path */
		if (at == dir)
			at++; /* the root directory is checked last */
		*at = '\0';
	}
	if (why) {
		rc = err_set(err, BP_EPLUGIN,
			     "refusing plugin %s: %s %s, so someone else "
			     "could change the code bootpipe runs; fix the "
			     "permissions or pass --allow-unsafe-plugins",
			     path, dir, why);
		free(real);
	} else {
		*checked = real;
	}
	free(dir);
	return rc;
}

static int open_plugin(struct loader *ld, struct bp_err *err, const char *path,
		       const char *expected_name, struct loaded_plugin **out)
{
	struct loaded_plugin *lp;
	const void *sym;
	char *real = NULL;
	int rc;

	for (lp = ld->plugins; lp; lp = lp->next) {
		if (strcmp(lp->path, path) == 0) {
			if (expected_name &&
			    strcmp(lp->desc.name, expected_name) != 0)
				return err_set(
				    err, BP_EPLUGIN,
				    "%s: file is named for plugin `%s` but "
				    "its descriptor says `%s`",
				    path, expected_name, lp->desc.name);
			*out = lp;
			return 0;
		}
	}
	if (!ld->allow_unsafe) {
		rc = check_trust(err, path, &real);
		if (rc)
			return rc;
	}
	lp = calloc(1, sizeof(*lp));
	if (!lp || !(lp->path = strdup(path))) {
		free(lp);
		free(real);
		return BP_ENOMEM;
	}
	dlerror();
	/* the file that was checked, not the link again */
	lp->handle = dlopen(real ? real : path, RTLD_NOW | RTLD_LOCAL);
	free(real);
	if (!lp->handle) {
		struct plugin_header h;
		const char *why = dlerror();

		/* a plugin for a newer bootpipe fails to link (a host
		 * function or symbol version this one lacks) before its
		 * descriptor can be read: read its header from the file */
		if (plugin_header_peek(path, &h) == 0 &&
		    h.magic == BP_PLUGIN_MAGIC &&
		    (h.abi_major != BP_ABI_MAJOR || h.abi_minor > BP_ABI_MINOR))
			rc = err_set(err, BP_EPLUGIN,
				     "%s: plugin needs ABI %u.%u but this "
				     "bootpipe has ABI %d.%d: upgrade "
				     "bootpipe or rebuild the plugin "
				     "against this one (%s)",
				     path, h.abi_major, h.abi_minor,
				     BP_ABI_MAJOR, BP_ABI_MINOR,
				     why ? why : "it does not link");
		else
			rc = err_set(err, BP_EPLUGIN,
				     "cannot load plugin %s: %s", path,
				     why ? why : "unknown dlopen error");
		/* glibc keeps the message until the next call asks again */
		dlerror();
		goto fail;
	}
	sym = dlsym(lp->handle, BP_PLUGIN_SYMBOL);
	if (!sym) {
		rc = err_set(err, BP_EPLUGIN,
			     "%s: not a bootpipe plugin: no exported "
			     "`%s` symbol (define it with "
			     "BP_PLUGIN_DEFINE)",
			     path, BP_PLUGIN_SYMBOL);
		goto fail;
	}
	rc = check_descriptor(err, path, sym, expected_name, &lp->desc);
	if (rc == 0)
		rc = copy_options(err, path, lp);
	if (rc)
		goto fail;
	lp->next = ld->plugins;
	ld->plugins = lp;
	*out = lp;
	return 0;
fail:
	if (lp->handle)
		dlclose(lp->handle);
	free(lp->options);
	free(lp->path);
	free(lp);
	return rc;
}

/* The directory of libbootpipe itself: plugins live in
 * <libdir>/bootpipe/plugins both in the build tree and when installed. */
static const char library_anchor;

static char *library_plugin_dir(void)
{
	Dl_info info;
	char *dir, *plugins;

	if (!dladdr(&library_anchor, &info) || !info.dli_fname)
		return NULL;
	dir = bp_path_dirname(info.dli_fname);
	plugins = dir ? bp_path_join(dir, "bootpipe/plugins") : NULL;
	free(dir);
	return plugins;
}

typedef int (*dir_visit_fn)(void *user, const char *dir);

/* Calls @fn for each search directory in order; empty entries of
 * BOOTPIPE_PLUGIN_PATH are skipped, never taken as the current directory,
 * and relative ones are an error: they would load code from wherever the
 * command happens to run. --plugin-dir is explicit and may be relative. */
static int foreach_search_dir(const struct loader *ld, struct bp_err *err,
			      dir_visit_fn fn, void *user)
{
	const char *env = getenv("BOOTPIPE_PLUGIN_PATH");
	char *libdir;
	int rc;

	for (size_t i = 0; i < ld->dir_count; i++) {
		rc = fn(user, ld->dirs[i]);
		if (rc)
			return rc;
	}
	while (env && *env) {
		const char *end = strchr(env, ':');
		size_t len = end ? (size_t)(end - env) : strlen(env);

		if (len && *env != '/')
			return err_set(
			    err, BP_EPLUGIN,
			    "BOOTPIPE_PLUGIN_PATH entry `%.*s` is relative: "
			    "plugins are never loaded relative to the current "
			    "directory; use an absolute path",
			    (int)len, env);
		if (len) {
			char *dir = strndup(env, len);

			if (!dir)
				return BP_ENOMEM;
			rc = fn(user, dir);
			free(dir);
			if (rc)
				return rc;
		}
		env = end ? end + 1 : NULL;
	}
	libdir = library_plugin_dir();
	rc = libdir ? fn(user, libdir) : 0;
	if (rc == 0 && (!libdir || strcmp(libdir, BP_INSTALL_PLUGIN_DIR) != 0))
		rc = fn(user, BP_INSTALL_PLUGIN_DIR);
	free(libdir);
	return rc;
}

struct find_state {
	const char *name;
	char *found;
	struct strbuf searched;
};

static int look_in_dir(void *user, const char *dir)
{
	struct find_state *st = user;
	char *file = str_printf("%s/%s.so", dir, st->name);
	struct stat sb;

	if (!file)
		return BP_ENOMEM;
	strbuf_addf(&st->searched, "%s%s", st->searched.len ? ", " : "", dir);
	if (stat(file, &sb) == 0 && S_ISREG(sb.st_mode)) {
		st->found = file;
		return 1;
	}
	free(file);
	return 0;
}

int loader_add_dir(struct loader *ld, const char *dir)
{
	char **dirs;

	if (!dir || !dir[0])
		return BP_EINVAL;
	dirs = realloc(ld->dirs, (ld->dir_count + 1) * sizeof(*dirs));
	if (!dirs)
		return BP_ENOMEM;
	ld->dirs = dirs;
	dirs[ld->dir_count] = strdup(dir);
	if (!dirs[ld->dir_count])
		return BP_ENOMEM;
	ld->dir_count++;
	return 0;
}

int loader_find(struct loader *ld, struct bp_err *err, const char *name_or_path,
		struct loaded_plugin **out)
{
	struct find_state st = {.name = name_or_path};
	int rc;

	if (strchr(name_or_path, '/'))
		return open_plugin(ld, err, name_or_path, NULL, out);
	if (!plugin_name_valid(name_or_path))
		return err_set(err, BP_ECONFIG,
			       "invalid plugin name `%s`: a name is made "
			       "of [a-z0-9_-]; a value with a / is a path",
			       name_or_path);
	strbuf_init(&st.searched);
	rc = foreach_search_dir(ld, err, look_in_dir, &st);
	if (rc < 0) {
		strbuf_release(&st.searched);
		return rc;
	}
	if (!st.found) {
		rc = err_set(err, BP_EPLUGIN,
			     "no plugin named `%s`: %s.so is not in %s; add "
			     "a directory with --plugin-dir or "
			     "BOOTPIPE_PLUGIN_PATH",
			     name_or_path, name_or_path,
			     st.searched.buf ? st.searched.buf : "(none)");
		strbuf_release(&st.searched);
		return rc;
	}
	strbuf_release(&st.searched);
	rc = open_plugin(ld, err, st.found, name_or_path, out);
	free(st.found);
	return rc;
}

void loader_release(struct loader *ld)
{
	struct loaded_plugin *lp = ld->plugins;

	while (lp) {
		struct loaded_plugin *next = lp->next;

		/* Leak checkers cannot name a closed plugin's frames. */
		if (!getenv("BOOTPIPE_NO_DLCLOSE"))
			dlclose(lp->handle);
		free(lp->options);
		free(lp->path);
		free(lp);
		lp = next;
	}
	ld->plugins = NULL;
	for (size_t i = 0; i < ld->dir_count; i++)
		free(ld->dirs[i]);
	free(ld->dirs);
	ld->dirs = NULL;
	ld->dir_count = 0;
}

struct visit_state {
	struct loader *ld;
	bp_plugin_visit_fn fn;
	void *user;
	char **seen;
	size_t seen_count;
};

static bool seen_before(struct visit_state *st, const char *name)
{
	for (size_t i = 0; i < st->seen_count; i++) {
		if (strcmp(st->seen[i], name) == 0)
			return true;
	}
	return false;
}

static int visit_file(struct visit_state *st, const char *dir,
		      const char *fname)
{
	size_t len = strlen(fname);
	char *name, *path, **seen;
	struct bp_err why = {0};
	struct loaded_plugin *lp;
	int rc;

	if (len < 4 || strcmp(fname + len - 3, ".so") != 0)
		return 0;
	name = strndup(fname, len - 3);
	if (!name)
		return BP_ENOMEM;
	if (!plugin_name_valid(name) || seen_before(st, name)) {
		free(name);
		return 0;
	}
	seen = realloc(st->seen, (st->seen_count + 1) * sizeof(*seen));
	if (!seen) {
		free(name);
		return BP_ENOMEM;
	}
	st->seen = seen;
	st->seen[st->seen_count++] = name;
	path = str_printf("%s/%s", dir, fname);
	if (!path)
		return BP_ENOMEM;
	rc = open_plugin(st->ld, &why, path, name, &lp);
	if (rc == 0)
		rc = st->fn(st->user, path, &lp->desc, NULL);
	else
		rc = st->fn(st->user, path, NULL, err_msg(&why));
	err_clear(&why);
	free(path);
	return rc;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int visit_dir(void *user, const char *dir)
{
	struct visit_state *st = user;
	struct dirent *de;
	char **names = NULL;
	size_t count = 0;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char **n = realloc(names, (count + 1) * sizeof(*n));

		if (!n || !(n[count] = strdup(de->d_name))) {
			names = n ? n : names;
			rc = BP_ENOMEM;
			break;
		}
		names = n;
		count++;
	}
	closedir(d);
	if (rc == 0)
		qsort(names, count, sizeof(*names), compare_names);
	for (size_t i = 0; i < count; i++) {
		if (rc == 0)
			rc = visit_file(st, dir, names[i]);
		free(names[i]);
	}
	free(names);
	return rc;
}

int loader_foreach(struct loader *ld, struct bp_err *err, bp_plugin_visit_fn fn,
		   void *user)
{
	struct visit_state st = {.ld = ld, .fn = fn, .user = user};
	int rc = foreach_search_dir(ld, err, visit_dir, &st);

	for (size_t i = 0; i < st.seen_count; i++)
		free(st.seen[i]);
	free(st.seen);
	return rc > 0 ? 0 : rc;
}
