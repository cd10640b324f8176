/*
 * `bootpipe image ls | pull NAME | rm NAME | verify [NAME]`: the store
 * commands, run by the plugin when the context names one, so the CLI
 * needs nothing but public headers. Results go to stdout.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootpipe/error.h>
#include <bootpipe/keys.h>
#include <bootpipe/log.h>
#include <bootpipe/plugin.h>

#include "fetch_rootfs.h"

/* Splits "NAME[.img][:VERSION]" into @name and @version ("" when none). */
static int parse_name(struct bp_stage *self, const char *arg, char *name,
		      size_t nlen, char *version, size_t vlen)
{
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);

	if (n >= 4 && !strncmp(arg + n - 4, ".img", 4))
		n -= 4;
	if (n == 0 || n >= nlen)
		return bp_fail(self, BP_ECONFIG, "bad image name `%s`", arg);
	snprintf(name, nlen, "%.*s", (int)n, arg);
	snprintf(version, vlen, "%s", colon ? colon + 1 : "");
	if (!store_name_valid(name))
		return bp_fail(self, BP_ECONFIG,
			       "bad image name `%s`: use letters, digits, '.', "
			       "'_', '-', '+'",
			       arg);
	return 0;
}

/* "rootfs-<arch>-<distro>" -> arch, into @out; "-" otherwise. */
static void arch_of(const char *name, char *out, size_t len)
{
	const char *dash;

	snprintf(out, len, "-");
	if (strncmp(name, "rootfs-", 7) != 0)
		return;
	dash = strchr(name + 7, '-');
	if (dash)
		snprintf(out, len, "%.*s", (int)(dash - name - 7), name + 7);
}

static void human(uint64_t bytes, char *out, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(out, len, "%.1f %s", v, units[u]);
}

/* The names of the images in @store, sorted; *names is the caller's. */
static int scan_store(struct bp_stage *self, const char *store, char ***names,
		      size_t *count)
{
	DIR *d = opendir(store);
	struct dirent *de;
	char **list = NULL;
	size_t n = 0;

	*names = NULL;
	*count = 0;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return bp_fail(self, BP_EIO, "cannot read store %s: %s", store,
			       strerror(errno));
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char **grown;

		if (len < 5 || strcmp(de->d_name + len - 4, ".img") != 0 ||
		    de->d_name[0] == '.')
			continue;
		grown = realloc(list, (n + 1) * sizeof(*list));
		if (!grown)
			break;
		list = grown;
		list[n] = strndup(de->d_name, len - 4);
		if (!list[n])
			break;
		n++;
	}
	closedir(d);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(list[j - 1], list[j]) > 0;
		     j--) {
			char *t = list[j];

			list[j] = list[j - 1];
			list[j - 1] = t;
		}
	*names = list;
	*count = n;
	return 0;
}

static void free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/*
 * The state of image @name: "verified" (marker matches the known
 * checksum), "MISMATCH", "marker" (marker, no known checksum),
 * "unverified" or "not ready". The source goes to @src.
 */
static const char *image_state(struct bp_stage *self, struct fetch_cfg *cfg,
			       const struct store_paths *p,
			       struct fetch_source *src, char *why,
			       size_t whylen)
{
	char nosrc[1024];
	char marker[SHA256_HEX_SIZE];
	char arch[64];
	int rc;

	arch_of(p->name, arch, sizeof(arch));
	rc = fetch_source_find(self, cfg, p->name,
			       strcmp(arch, "-") ? arch : NULL, NULL, src,
			       nosrc, sizeof(nosrc));
	if (rc)
		snprintf(src->origin, sizeof(src->origin), "local");
	if (!store_image_ready(p, NULL, why, whylen))
		return "not ready";
	if (rc == 0 && src->sha256[0])
		return store_image_ready(p, src->sha256, why, whylen)
			   ? "verified"
			   : "MISMATCH";
	if (store_marker_read(p, marker) == 0)
		return "marker";
	snprintf(why, whylen, "no checksum known");
	return "unverified";
}

static int cmd_ls(struct bp_stage *self, struct fetch_cfg *cfg)
{
	char **names;
	size_t count;
	char err[2048];
	int rc = fetch_registry_load(self, cfg, err, sizeof(err));

	if (rc)
		return bp_fail(self, rc, "%s", err);
	rc = scan_store(self, cfg->store, &names, &count);
	if (rc)
		return rc;
	printf("%-32s %-12s %10s %10s  %-10s %s\n", "NAME", "ARCH", "DISK",
	       "SIZE", "STATE", "SOURCE");
	for (size_t i = 0; i < count; i++) {
		struct store_paths p;
		struct fetch_source src;
		struct stat st;
		char why[1024], disk[32], size[32], arch[64];
		const char *state;

		if (store_paths_for_name(&p, cfg->store, names[i], err,
					 sizeof(err)) ||
		    lstat(p.image, &st) != 0)
			continue;
		state = image_state(self, cfg, &p, &src, why, sizeof(why));
		arch_of(p.name, arch, sizeof(arch));
		human((uint64_t)st.st_blocks * 512u, disk, sizeof(disk));
		human((uint64_t)st.st_size, size, sizeof(size));
		printf("%-32s %-12s %10s %10s  %-10s %s\n", p.name, arch, disk,
		       size, state, src.origin);
	}
	/* What the registry offers that is not here yet. */
	for (size_t i = 0; i < cfg->reg.count; i++) {
		const struct reg_image *img = &cfg->reg.images[i];
		bool have = false;

		for (size_t j = 0; j < count && !have; j++)
			have = !strcmp(names[j], img->name);
		if (!have)
			printf("%-32s %-12s %10s %10s  %-10s registry %s %s\n",
			       img->name, img->arch, "-", "-", "available",
			       img->version, img->origin);
	}
	free_names(names, count);
	return 0;
}

static int cmd_verify(struct bp_stage *self, struct fetch_cfg *cfg,
		      const char *only)
{
	char **names;
	size_t count;
	size_t bad = 0, seen = 0;
	int rc = scan_store(self, cfg->store, &names, &count);

	if (rc)
		return rc;
	for (size_t i = 0; i < count; i++) {
		struct store_paths p;
		struct fetch_source src;
		char why[1024], err[512];
		const char *state;

		if ((only && strcmp(only, names[i]) != 0) ||
		    store_paths_for_name(&p, cfg->store, names[i], err,
					 sizeof(err)))
			continue;
		seen++;
		state = image_state(self, cfg, &p, &src, why, sizeof(why));
		if (!strcmp(state, "verified")) {
			printf("ok         %s (sha256 %s, %s)\n", p.name,
			       src.sha256, src.origin);
		} else if (!strcmp(state, "marker") ||
			   !strcmp(state, "unverified")) {
			printf("unverified %s (%s)\n", p.name,
			       !strcmp(state, "marker")
				   ? "has a marker, no checksum known"
				   : why);
		} else {
			printf("FAILED     %s: %s\n", p.name, why);
			bad++;
		}
	}
	free_names(names, count);
	if (only && seen == 0)
		return bp_fail(self, BP_ENOENT, "no image %s in %s", only,
			       cfg->store);
	if (bad)
		return bp_fail(self, BP_ECHECKSUM,
			       "%zu of %zu images failed verification", bad,
			       seen);
	return 0;
}

/* "<name>[.img][:<version>]" -> the store paths of <name>, and
 * <version> ("" when none) into @version. */
static int image_arg(struct bp_stage *self, const struct fetch_cfg *cfg,
		     const char *arg, struct store_paths *p, char *version,
		     size_t vlen)
{
	char name[NAME_MAX + 1], err[512];
	int rc = parse_name(self, arg, name, sizeof(name), version, vlen);

	if (rc)
		return rc;
	if (store_paths_for_name(p, cfg->store, name, err, sizeof(err)))
		return bp_fail(self, BP_ECONFIG, "%s", err);
	return 0;
}

static int cmd_pull(struct bp_stage *self, struct fetch_cfg *cfg,
		    const char *arg)
{
	char version[128], arch[64];
	struct store_paths p;
	int rc = image_arg(self, cfg, arg, &p, version, sizeof(version));

	if (rc)
		return rc;
	arch_of(p.name, arch, sizeof(arch));
	rc = fetch_ensure(self, cfg, &p, strcmp(arch, "-") ? arch : cfg->arch,
			  version[0] ? version : cfg->image_version);
	if (rc == 0 && !bp_stage_dry_run(self))
		printf("%s\n", p.image);
	return rc;
}

static int cmd_rm(struct bp_stage *self, struct fetch_cfg *cfg, const char *arg)
{
	char version[128], err[512];
	struct store_paths p;
	struct stat st;
	int lock = -1;
	int rc = image_arg(self, cfg, arg, &p, version, sizeof(version));

	if (rc)
		return rc;
	if (lstat(p.image, &st) != 0 && lstat(p.part, &st) != 0 &&
	    lstat(p.archive, &st) != 0)
		return bp_fail(self, BP_ENOENT, "no image %s in %s", p.name,
			       cfg->store);
	if (bp_stage_dry_run(self)) {
		bp_log(self, BP_LOG_INFO, "would remove %s and its files",
		       p.image);
		return 0;
	}
	rc = store_lock_try(&p, &lock, err, sizeof(err));
	if (rc == 1) {
		bp_log(self, BP_LOG_INFO, "waiting for the run using %s",
		       p.lock);
		rc = store_lock_wait(&p, &lock, err, sizeof(err));
	}
	if (rc)
		return bp_fail(self, rc, "%s", err);
	rc = store_remove(&p, err, sizeof(err));
	store_unlock(lock);
	if (rc)
		return bp_fail(self, rc, "%s", err);
	printf("removed %s\n", p.image);
	return 0;
}

int image_cmd_run(struct bp_stage *self, struct fetch_cfg *cfg,
		  struct bp_ctx *ctx, const char *command)
{
	const char *name = bp_ctx_str_or(ctx, BP_KEY_IMAGE_NAME, NULL);

	if (name && !*name)
		name = NULL;
	if (!strcmp(command, "ls"))
		return cmd_ls(self, cfg);
	if (!strcmp(command, "verify"))
		return cmd_verify(self, cfg, name);
	if (strcmp(command, "pull") != 0 && strcmp(command, "rm") != 0)
		return bp_fail(self, BP_ECONFIG,
			       "unknown image command `%s` (ls, pull, rm, "
			       "verify)",
			       command);
	if (!name)
		return bp_fail(self, BP_ECONFIG, "image %s needs an image name",
			       command);
	if (!strcmp(command, "pull"))
		return cmd_pull(self, cfg, name);
	return cmd_rm(self, cfg, name);
}
