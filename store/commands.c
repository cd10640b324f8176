/*
 * The store commands behind `bootpipe image ls | pull NAME | rm NAME |
 * verify [NAME]`. Results go to the caller's stream.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootpipe/error.h>

#include "download.h"
#include "extract.h"
#include "image_record.h"
#include "lock.h"
#include "store.h"

/* Splits "NAME[.img][:VERSION]" into @name and @version ("" when none). */
static int parse_name(struct bp_store *s, const char *arg, char *name,
		      size_t nlen, char *version, size_t vlen)
{
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);

	if (n >= 4 && !strncmp(arg + n - 4, ".img", 4))
		n -= 4;
	if (n == 0 || n >= nlen)
		return bp_store_fail(s, BP_ECONFIG, "bad image name `%s`", arg);
	snprintf(name, nlen, "%.*s", (int)n, arg);
	snprintf(version, vlen, "%s", colon ? colon + 1 : "");
	if (!store_name_valid(name))
		return bp_store_fail(s, BP_ECONFIG,
				     "bad image name `%s`: use letters, "
				     "digits, '.', '_', '-', '+'",
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
static int scan_store(struct bp_store *s, const char *store, char ***names,
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
		return bp_store_fail(s, BP_EIO, "cannot read store %s: %s",
				     store, strerror(errno));
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
static const char *image_state(struct bp_store *s, const struct store_paths *p,
			       struct bp_store_source *src, char *why,
			       size_t whylen)
{
	char marker[SHA256_HEX_SIZE];
	char arch[64];
	int rc;

	arch_of(p->name, arch, sizeof(arch));
	rc = bp_store_source_find(s, p->name, strcmp(arch, "-") ? arch : NULL,
				  NULL, src);
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

int bp_store_cmd_ls(struct bp_store *s, FILE *out)
{
	char **names;
	size_t count;
	char err[2048];
	int rc = bp_store_registry_load(s);

	/* What is here is worth listing even when the registry is not. */
	if (rc) {
		bp_store_log(s, BP_LOG_WARN, "%s; listing the store only",
			     s->err);
		s->registry = NULL;
	}
	rc = scan_store(s, s->dir, &names, &count);
	if (rc)
		return rc;
	fprintf(out, "%-32s %-12s %10s %10s  %-10s %s\n", "NAME", "ARCH",
		"DISK", "SIZE", "STATE", "SOURCE");
	for (size_t i = 0; i < count; i++) {
		struct store_paths p;
		struct bp_store_source src;
		struct stat st;
		char why[1024], disk[32], size[32], arch[64];
		const char *state;

		if (store_paths_for_name(&p, s->dir, names[i], err,
					 sizeof(err)) ||
		    store_paths_layout(&p, s->layout, err, sizeof(err)) ||
		    lstat(p.image, &st) != 0)
			continue;
		state = image_state(s, &p, &src, why, sizeof(why));
		if (strcmp(state, "not ready") &&
		    image_check(&p, NULL, why, sizeof(why)) == IMAGE_CHANGED)
			state = "CHANGED";
		arch_of(p.name, arch, sizeof(arch));
		human((uint64_t)st.st_blocks * 512u, disk, sizeof(disk));
		human((uint64_t)st.st_size, size, sizeof(size));
		fprintf(out, "%-32s %-12s %10s %10s  %-10s %s\n", p.name, arch,
			disk, size, state, src.origin);
	}
	/* What the registry offers that is not here yet. */
	for (size_t i = 0; i < s->reg.count; i++) {
		const struct reg_image *img = &s->reg.images[i];
		bool have = false;

		for (size_t j = 0; j < count && !have; j++)
			have = registry_name_eq(names[j], img->name);
		if (!have)
			fprintf(out,
				"%-32s %-12s %10s %10s  %-10s registry %s %s\n",
				img->name, img->arch, "-", "-", "available",
				img->version, img->origin);
	}
	free_names(names, count);
	return 0;
}

/* Writes @r as @p's record under the image's lock; a run holding the
 * lock may be extracting the image anew, so then nothing is written. */
static void record_locked(struct bp_store *s, const struct store_paths *p,
			  const struct image_record *r, char *note,
			  size_t notelen)
{
	char err[PATH_MAX + 256];
	int lock = -1;
	int rc = store_lock_try(p, &lock, err, sizeof(err));

	if (rc == 0) {
		rc = image_record_write(p->record, r, err, sizeof(err));
		store_unlock(lock);
	} else if (rc == 1) {
		snprintf(err, sizeof(err), "another run holds %s", p->lock);
	}
	if (rc) {
		bp_store_log(s, BP_LOG_WARN, "not recording %s: %s", p->image,
			     err);
		snprintf(note, notelen, "; not recorded: %s", err);
	}
}

/*
 * An image without a record, against the archive kept beside it: in one
 * pass the archive's sha256 (must be @sha256, the registry's) and the
 * image entry's (must be @sum, the image's on disk). 0 when both match; 1
 * when there is no archive to check against; -1 with the reason and the
 * fix in @note.
 */
static int check_against_archive(const struct store_paths *p,
				 const char *sha256, const char *sum,
				 char *note, size_t notelen)
{
	char entry[NAME_MAX + 8], digest[SHA256_HEX_SIZE];
	char err[PATH_MAX + 512];
	struct extract_result x = {0};
	struct extract_request r = {
	    .archive = p->archive,
	    .entry = entry,
	    .archive_sha256 = digest,
	};
	const char *fix =
	    "; run `bootpipe image rm %s --store %s`, then "
	    "`bootpipe image pull %s --store %s`, to fetch it anew";
	struct stat st;
	bool corrupt;
	int n, rc;

	if (lstat(p->archive, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(note, notelen,
			 "image not recorded: no record of its extraction "
			 "and no archive %s to check it against",
			 p->archive);
		return 1;
	}
	snprintf(entry, sizeof(entry), "%s.img", p->name);
	digest[0] = '\0';
	rc = extract_image(&r, &x, &corrupt, err, sizeof(err));
	if (digest[0] && strcmp(digest, sha256) != 0)
		n = snprintf(note, notelen,
			     "archive %s has sha256 %s, not the %s the "
			     "registry and the marker name",
			     p->archive, digest, sha256);
	else if (rc)
		n = snprintf(note, notelen,
			     "cannot check %s against its archive: %s",
			     p->image, err);
	else if (strcmp(x.sha256, sum) != 0)
		n = snprintf(note, notelen,
			     "%s has sha256 %s, but entry %s of its archive %s "
			     "has %s: the image was changed after it was "
			     "unpacked",
			     p->image, sum, entry, p->archive, x.sha256);
	else
		return 0;
	if (n > 0 && (size_t)n < notelen)
		snprintf(note + n, notelen - (size_t)n, fix, p->name, p->dir,
			 p->name, p->dir);
	return -1;
}

/*
 * Reads @p's image and checks its sha256 against the record made when it
 * was extracted. An image without a current record (a store axbuild
 * filled) is recorded only when @sha256 (the known archive checksum its
 * marker matches) is set and the archive kept beside it has that sha256
 * and holds the very image on disk; with no archive kept it is recorded
 * on the marker alone in the flat layout (the seed's stores keep none),
 * and not at all in today's. 0 with a note for the `ok` line; 1 when the
 * image cannot be vouched for (@note says why); -1 when it fails (@note is
 * the reason, with the fix).
 */
static int verify_image(struct bp_store *s, const struct store_paths *p,
			const char *sha256, char *note, size_t notelen)
{
	bool archive_ok = sha256 != NULL;
	char marker[SHA256_HEX_SIZE], sum[SHA256_HEX_SIZE];
	char err[PATH_MAX + 256], extra[PATH_MAX + 512] = "";
	struct image_record rec;
	struct stat before, after;
	int rc = image_record_read(p->record, &rec);
	bool current = rc == 0 && store_marker_read(p, marker) == 0 &&
		       !strcmp(marker, rec.archive);
	const char *fix = "run `bootpipe image rm %s --store %s`, then "
			  "`bootpipe image pull %s --store %s` (or a run), to "
			  "fetch it anew";

	if (rc == BP_EIO) {
		snprintf(note, notelen,
			 "its record %s is unreadable; run `bootpipe image "
			 "pull %s --store %s` to extract it again",
			 p->record, p->name, p->dir);
		return -1;
	}
	if (!current && !archive_ok) {
		snprintf(note, notelen, "image not recorded: %s",
			 rc == BP_ENOENT ? "no record of its extraction"
					 : "its record is of another archive");
		return 1;
	}
	if (stat(p->image, &before) != 0) {
		snprintf(note, notelen, "cannot read %s: %s", p->image,
			 strerror(errno));
		return -1;
	}
	if (sha256_file(p->image, sum, err, sizeof(err)) != 0) {
		snprintf(note, notelen, "%s", err);
		return -1;
	}
	if (stat(p->image, &after) != 0) {
		snprintf(note, notelen, "cannot read %s: %s", p->image,
			 strerror(errno));
		return -1;
	}
	if (current && strcmp(sum, rec.sha256) != 0) {
		int n = snprintf(note, notelen,
				 "%s has sha256 %s, %s when it was extracted: "
				 "it was changed since, and is not booted; ",
				 p->image, sum, rec.sha256);

		if (n > 0 && (size_t)n < notelen)
			snprintf(note + n, notelen - (size_t)n, fix, p->name,
				 p->dir, p->name, p->dir);
		return -1;
	}
	if (before.st_size != after.st_size ||
	    before.st_mtim.tv_sec != after.st_mtim.tv_sec ||
	    before.st_mtim.tv_nsec != after.st_mtim.tv_nsec) {
		snprintf(note, notelen, "%s changed while it was read",
			 p->image);
		return -1;
	}
	if (!current) {
		if (store_marker_read(p, rec.archive) != 0) {
			snprintf(note, notelen, "%s is unreadable", p->marker);
			return -1;
		}
		rc = check_against_archive(p, sha256, sum, note, notelen);
		if (rc < 0 || (rc > 0 && p->layout == STORE_LAYOUT_TODAY))
			return rc;
	}
	if (!current || rec.size != (int64_t)after.st_size ||
	    rec.mtime.tv_sec != after.st_mtim.tv_sec ||
	    rec.mtime.tv_nsec != after.st_mtim.tv_nsec) {
		/* same bytes (or none recorded yet): the cheap check before
		 * each boot compares against these from now on */
		snprintf(rec.sha256, sizeof(rec.sha256), "%s", sum);
		rec.size = (int64_t)after.st_size;
		rec.mtime = after.st_mtim;
		record_locked(s, p, &rec, extra, sizeof(extra));
		if (!extra[0])
			snprintf(extra, sizeof(extra), ", recorded");
	}
	snprintf(note, notelen, "image sha256 %s%s", sum, extra);
	return 0;
}

int bp_store_cmd_verify(struct bp_store *s, const char *only, FILE *out)
{
	char **names;
	size_t count;
	size_t bad = 0, seen = 0;
	int rc = scan_store(s, s->dir, &names, &count);

	if (rc)
		return rc;
	for (size_t i = 0; i < count; i++) {
		struct store_paths p;
		struct bp_store_source src;
		char why[1024], err[512], note[3 * PATH_MAX + 1024];
		const char *state;
		bool verified;
		int image;

		if ((only && strcmp(only, names[i]) != 0) ||
		    store_paths_for_name(&p, s->dir, names[i], err,
					 sizeof(err)) ||
		    store_paths_layout(&p, s->layout, err, sizeof(err)))
			continue;
		seen++;
		state = image_state(s, &p, &src, why, sizeof(why));
		if (strcmp(state, "verified") && strcmp(state, "marker") &&
		    strcmp(state, "unverified")) {
			fprintf(out, "FAILED     %s: %s\n", p.name, why);
			bad++;
			continue;
		}
		verified = !strcmp(state, "verified");
		/* today's layout keeps the archive under its URL's name */
		if (verified && src.url[0])
			store_paths_set_archive(&p, src.url);
		image = verify_image(s, &p, verified ? src.sha256 : NULL, note,
				     sizeof(note));
		if (image < 0) {
			fprintf(out, "FAILED     %s: %s\n", p.name, note);
			bad++;
		} else if (verified && image == 0) {
			fprintf(out, "ok         %s (sha256 %s, %s; %s)\n",
				p.name, src.sha256, src.origin, note);
		} else {
			fprintf(out, "unverified %s (%s; %s)\n", p.name,
				verified ? "its marker matches the registry"
				: !strcmp(state, "marker")
				    ? "has a marker, no checksum known"
				    : why,
				note);
		}
	}
	free_names(names, count);
	if (only && seen == 0)
		return bp_store_fail(s, BP_ENOENT, "no image %s in %s", only,
				     s->dir);
	if (bad)
		return bp_store_fail(s, BP_ECHECKSUM,
				     "%zu of %zu images failed verification",
				     bad, seen);
	return 0;
}

/* "<name>[.img][:<version>]" -> the store paths of <name>, and
 * <version> ("" when none) into @version. */
static int image_arg(struct bp_store *s, const char *arg, struct store_paths *p,
		     char *version, size_t vlen)
{
	char name[NAME_MAX + 1], err[512];
	int rc = parse_name(s, arg, name, sizeof(name), version, vlen);

	if (rc)
		return rc;
	if (store_paths_for_name(p, s->dir, name, err, sizeof(err)) ||
	    store_paths_layout(p, s->layout, err, sizeof(err)))
		return bp_store_fail(s, BP_ECONFIG, "%s", err);
	return 0;
}

int bp_store_cmd_pull(struct bp_store *s, const char *arg, const char *arch,
		      FILE *out)
{
	char version[128], own[64];
	struct store_paths p;
	int rc = image_arg(s, arg, &p, version, sizeof(version));

	const char *pin;
	char err[512];

	if (rc)
		return rc;
	pin = version[0] ? version : s->image_version;
	if (store_paths_pin(&p, pin, err, sizeof(err)))
		return bp_store_fail(s, BP_ECONFIG, "%s", err);
	arch_of(p.name, own, sizeof(own));
	s->reextract_changed = true;
	rc = bp_store_ensure(s, &p, strcmp(own, "-") ? own : arch, pin);
	if (rc == 0 && !s->dry_run)
		fprintf(out, "%s\n", p.image);
	return rc;
}

int bp_store_cmd_rm(struct bp_store *s, const char *arg, FILE *out)
{
	char version[128], err[512];
	struct store_paths p;
	struct stat st;
	int lock = -1;
	int rc = image_arg(s, arg, &p, version, sizeof(version));

	if (rc)
		return rc;
	if (lstat(p.image, &st) != 0 && lstat(p.part, &st) != 0 &&
	    lstat(p.archive, &st) != 0)
		return bp_store_fail(s, BP_ENOENT, "no image %s in %s", p.name,
				     s->dir);
	if (s->dry_run) {
		bp_store_log(s, BP_LOG_INFO, "would remove %s and its files",
			     p.image);
		return 0;
	}
	rc = store_lock_try(&p, &lock, err, sizeof(err));
	if (rc == 1) {
		bp_store_log(s, BP_LOG_INFO, "waiting for the run using %s",
			     p.lock);
		rc = store_lock_wait(&p, &lock, err, sizeof(err));
	}
	if (rc)
		return bp_store_fail(s, rc, "%s", err);
	rc = store_remove(&p, err, sizeof(err));
	store_unlock(lock);
	if (rc)
		return bp_store_fail(s, rc, "%s", err);
	fprintf(out, "removed %s\n", p.image);
	return 0;
}

int bp_store_cmd_remote(struct bp_store *s, FILE *out)
{
	int rc = bp_store_registry_load(s);

	if (rc)
		return rc;
	if (!s->registry)
		return bp_store_fail(s, BP_ECONFIG,
				     "no registry is configured");
	fprintf(out, "%-36s %-10s %-12s %-24s %s\n", "NAME", "VERSION", "ARCH",
		"RELEASED", "DESCRIPTION");
	for (size_t i = 0; i < s->reg.count; i++) {
		const struct reg_image *img = &s->reg.images[i];

		fprintf(out, "%-36s %-10s %-12s %-24s %s\n", img->name,
			img->version, img->arch,
			img->released_at[0] ? img->released_at : "-",
			img->description);
	}
	return 0;
}

int bp_store_cmd_sync(struct bp_store *s, FILE *out)
{
	int rc;

	if (!s->cache_dir || !s->registry)
		return bp_store_fail(
		    s, BP_ECONFIG,
		    "nothing to sync: the store has no registry "
		    "of its own (the pipeline names one)");
	s->force_sync = true;
	rc = bp_store_registry_load(s);
	if (rc == 0)
		fprintf(out, "%zu images in %s/images.toml\n", s->reg.count,
			s->cache_dir);
	return rc;
}
