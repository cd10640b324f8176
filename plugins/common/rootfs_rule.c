/*
 * The rootfs rule: explicit > vmconfig sibling > managed default, and which
 * image the store manages. Ported from axbuild's rootfs module; deviations
 * from it are marked "Deviation".
 */
#include "rootfs_rule.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/toml.h>
#include <bootpipe/util.h>

#include "ostool_expand.h"

/* The directory part of @path ("." when it has none), malloc'ed. */
static char *path_dir(const char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	while (len > 0 && path[len - 1] != '/')
		len--;
	if (len == 0)
		return strdup(".");
	while (len > 1 && path[len - 1] == '/')
		len--;
	return strndup(path, len);
}

char *rootfs_default_path(const char *store, const char *arch)
{
	char *name;
	char *out;

	if (asprintf(&name, "rootfs-%s-alpine.img", arch) < 0)
		return NULL;
	out = bp_path_join(store, name);
	free(name);
	return out;
}

static bool is_managed_word(const char *value)
{
	return !strcmp(value, "alpine") || !strcmp(value, "busybox") ||
	       !strcmp(value, "debian");
}

/* "NAME[.img]:VERSION" -> NAME into *base and VERSION into *version;
 * both NULL when @value pins no version. */
static int split_version(const char *value, char **base, char **version,
			 char *err, size_t errlen)
{
	const char *colon = strchr(value, ':');
	size_t n = colon ? (size_t)(colon - value) : 0;

	*base = *version = NULL;
	if (!colon)
		return 0;
	if (n >= 4 && !strncmp(colon - 4, ".img", 4))
		n -= 4;
	if (n == 0 || !colon[1]) {
		snprintf(err, errlen,
			 "rootfs `%s`: write NAME:VERSION (alpine:0.0.8, "
			 "rootfs-aarch64-alpine.img:0.0.8) or a path",
			 value);
		return BP_ECONFIG;
	}
	*base = strndup(value, n);
	*version = strdup(colon + 1);
	if (*base && *version)
		return 0;
	free(*base);
	free(*version);
	*base = *version = NULL;
	return BP_ENOMEM;
}

int rootfs_resolve_explicit(const char *store, const char *arch,
			    const char *value, const char *workspace,
			    char **out, char **version, char *err,
			    size_t errlen)
{
	char *base = NULL, *name = NULL;
	int rc;

	*out = *version = NULL;
	if (strchr(value, '/')) {
		if (value[0] == '/' || !workspace)
			*out = strdup(value);
		else
			*out = bp_path_join(workspace, value);
		return *out ? 0 : BP_ENOMEM;
	}
	rc = split_version(value, &base, version, err, errlen);
	if (rc)
		return rc;
	if (is_managed_word(base ? base : value))
		rc = asprintf(&name, "rootfs-%s-%s.img", arch,
			      base ? base : value);
	else if (base) /* a pinned name is a registry entry's: NAME.img */
		rc = asprintf(&name, "%s.img", base);
	else
		rc = (name = strdup(value)) ? 0 : -1;
	free(base);
	*out = rc < 0 ? NULL : bp_path_join(store, name);
	if (rc < 0)
		name = NULL;
	free(name);
	if (!*out) {
		free(*version);
		*version = NULL;
		return BP_ENOMEM;
	}
	return 0;
}

/* A VM config is a few KiB; a bigger file is a wrong path, and reading it
 * whole (a disk image, /dev/zero) would eat memory for nothing. */
#define VMCONFIG_MAX (1u << 20)

static int too_large(const char *path, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "cannot read vm config %s: larger than %u KiB, not a VM "
		 "config",
		 path, VMCONFIG_MAX >> 10);
	return BP_ECONFIG;
}

static int read_file(const char *path, char **data, size_t *len, char *err,
		     size_t errlen)
{
	struct stat st = {0};
	char *buf = NULL, *why = NULL;
	size_t n = 0;
	int fd = bp_open_config(path, "vm config", &why);
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;

	if (fd < 0) {
		/* a FIFO or a device never ends or blocks: refused unread */
		snprintf(err, errlen, "%s", why ? why : "out of memory");
		free(why);
		return fd == BP_ENOMEM ? BP_ENOMEM : BP_ECONFIG;
	}
	if (!f) {
		close(fd);
		goto fail_errno;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > (off_t)VMCONFIG_MAX) {
		fclose(f);
		return too_large(path, err, errlen);
	}
	/* one byte more than the cap tells a FIFO or device that goes on */
	buf = malloc(VMCONFIG_MAX + 2);
	if (!buf) {
		fclose(f);
		return BP_ENOMEM;
	}
	for (;;) {
		size_t got = fread(buf + n, 1, VMCONFIG_MAX + 1 - n, f);

		n += got;
		if (got == 0 || n > VMCONFIG_MAX)
			break;
	}
	if (n > VMCONFIG_MAX) {
		free(buf);
		fclose(f);
		return too_large(path, err, errlen);
	}
	if (ferror(f)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EIO;
		free(buf);
		fclose(f);
		goto fail_errno;
	}
	fclose(f);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
fail_errno:
	snprintf(err, errlen, "cannot read vm config %s: %s", path,
		 strerror(errno));
	return BP_ECONFIG;
}

/* The rootfs.img beside @vmconfig's [kernel].kernel_path, or NULL in *out
 * when it names none or that file is not a regular file. */
static int sibling_of(const char *vmconfig, const struct ostool_vars *vars,
		      char **out, char *err, size_t errlen)
{
	struct bp_toml_doc *doc = NULL;
	const char *kernel_path;
	char *data = NULL;
	char *expanded = NULL;
	char *kernel = NULL;
	char *dir = NULL;
	char *candidate = NULL;
	struct stat st;
	size_t len;
	int rc;

	*out = NULL;
	rc = read_file(vmconfig, &data, &len, err, errlen);
	if (rc)
		return rc;
	rc = bp_toml_parse_buf(data, len, vmconfig, &doc, err, errlen);
	if (rc) {
		if (rc != BP_ENOMEM)
			rc = BP_ECONFIG;
		goto out_data;
	}
	/* Absent or not a string: this vmconfig names no kernel; skip it. */
	if (bp_toml_get_str(bp_toml_root(doc), "kernel.kernel_path",
			    &kernel_path))
		goto out_doc;

	/* Deviation: axbuild took kernel_path literally; its placeholders
	 * are expanded here as in the other ostool files. */
	rc = ostool_expand(kernel_path, vars, &expanded);
	if (rc)
		goto out_doc;
	/* Deviation: a relative kernel_path is relative to the vmconfig's
	 * directory (axbuild used the current directory). */
	if (expanded[0] == '/') {
		kernel = expanded;
		expanded = NULL;
	} else {
		char *vdir = path_dir(vmconfig);

		kernel = vdir ? bp_path_join(vdir, expanded) : NULL;
		free(vdir);
	}
	dir = kernel ? path_dir(kernel) : NULL;
	candidate = dir ? bp_path_join(dir, "rootfs.img") : NULL;
	if (!candidate) {
		rc = BP_ENOMEM;
		goto out_paths;
	}
	/* Deviation: a directory named rootfs.img does not count. */
	if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
		*out = candidate;
		candidate = NULL;
	}
out_paths:
	free(candidate);
	free(dir);
	free(kernel);
	free(expanded);
out_doc:
	bp_toml_free(doc);
out_data:
	free(data);
	return rc;
}

int rootfs_infer_from_vmconfigs(const char *const *vmconfigs, size_t count,
				const struct ostool_vars *vars, char **out,
				char *err, size_t errlen)
{
	*out = NULL;
	for (size_t i = 0; i < count; i++) {
		int rc = sibling_of(vmconfigs[i], vars, out, err, errlen);

		if (rc || *out)
			return rc;
	}
	return 0;
}

int rootfs_managed_path(const char *store, const char *arch,
			const char *explicit_rootfs,
			const char *const *vmconfigs, size_t count,
			const struct ostool_vars *vars, char **out, char *err,
			size_t errlen)
{
	char *sibling = NULL;
	int rc;

	*out = NULL;
	if (explicit_rootfs) {
		/* An explicit image elsewhere is the user's: never fetched. */
		if (!rootfs_in_store(store, explicit_rootfs))
			return 0;
		*out = strdup(explicit_rootfs);
		return *out ? 0 : BP_ENOMEM;
	}
	rc = rootfs_infer_from_vmconfigs(vmconfigs, count, vars, &sibling, err,
					 errlen);
	if (rc)
		return rc;
	if (sibling) {
		free(sibling);
		return 0;
	}
	*out = rootfs_default_path(store, arch);
	return *out ? 0 : BP_ENOMEM;
}

/*
 * Lexical normal form: absolute (relative paths are taken from the current
 * directory), no empty, "." or ".." components, no trailing slash. Symlinks
 * are not resolved: the store may not exist yet.
 */
static char *path_normalise(const char *path)
{
	char cwd[4096];
	char *joined;
	char *out;
	size_t n = 0;
	const char *p;

	if (path[0] == '/') {
		joined = strdup(path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		joined = bp_path_join(cwd, path);
	}
	if (!joined)
		return NULL;
	out = malloc(strlen(joined) + 2);
	if (!out)
		goto out_joined;
	p = joined;
	while (*p) {
		const char *start;
		size_t len;

		while (*p == '/')
			p++;
		start = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - start);
		if (len == 0 || (len == 1 && start[0] == '.'))
			continue;
		if (len == 2 && start[0] == '.' && start[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		out[n++] = '/';
		memcpy(out + n, start, len);
		n += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
out_joined:
	free(joined);
	return out;
}

/* The part of normalised @p below normalised @s, or NULL when outside. */
static const char *below(const char *s, const char *p)
{
	size_t slen = strlen(s);

	if (slen == 1) /* the store is "/" */
		return strlen(p) > 1 ? p + 1 : NULL;
	return !strncmp(s, p, slen) && p[slen] == '/' ? p + slen + 1 : NULL;
}

bool rootfs_in_store(const char *store, const char *path)
{
	char *s = path_normalise(store);
	char *p = path_normalise(path);
	bool inside = s && p && below(s, p);

	free(s);
	free(p);
	return inside;
}

/* Looks in @dir (and, @depth > 0, its directories) for the file @st is
 * another name of; its path to @via. At most a few hundred entries are
 * looked at: a store holds a handful of images. */
static bool find_inode(const char *dir, const struct stat *st, int depth,
		       char *via, size_t vialen, int *budget)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d)) && (*budget)-- > 0) {
		struct stat e;
		char path[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dirfd(d), de->d_name, &e, AT_SYMLINK_NOFOLLOW))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name) >= sizeof(path))
			continue;
		if (S_ISREG(e.st_mode) && e.st_dev == st->st_dev &&
		    e.st_ino == st->st_ino) {
			if (via)
				snprintf(via, vialen, "%s", path);
			found = true;
		} else if (S_ISDIR(e.st_mode) && depth > 0) {
			found = find_inode(path, st, depth - 1, via, vialen,
					   budget);
		}
	}
	closedir(d);
	return found;
}

bool rootfs_reaches_store(const char *store, const char *path, char *via,
			  size_t vialen)
{
	char *real_store, *real_path;
	struct stat st;
	bool reaches = false;
	int budget = 512;

	if (rootfs_in_store(store, path)) {
		if (via)
			snprintf(via, vialen, "%s", path);
		return true;
	}
	real_store = realpath(store, NULL);
	if (!real_store)
		return false;
	real_path = realpath(path, NULL);
	if (real_path && rootfs_in_store(real_store, real_path)) {
		if (via)
			snprintf(via, vialen, "%s", real_path);
		reaches = true;
	} else if (real_path && stat(real_path, &st) == 0 &&
		   S_ISREG(st.st_mode) && st.st_nlink > 1) {
		reaches = find_inode(real_store, &st, 1, via, vialen, &budget);
	}
	free(real_path);
	free(real_store);
	return reaches;
}

int rootfs_store_relative(const char *store, const char *path, char **out)
{
	char *s = path_normalise(store);
	char *p = path_normalise(path);
	const char *rel = s && p ? below(s, p) : NULL;
	int rc = s && p ? 0 : BP_ENOMEM;

	*out = NULL;
	if (rel && !(*out = strdup(rel)))
		rc = BP_ENOMEM;
	free(s);
	free(p);
	return rc;
}
