/*
 * Ensuring an image: reuse it when ready, else lock, fetch the archive,
 * verify it, extract the image and write the marker last.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/error.h>

#include "download.h"
#include "extract.h"
#include "image_record.h"
#include "lock.h"
#include "source.h"
#include "store.h"

/* For files that may well be absent; a real failure shows up later. */
static void remove_quietly(const char *path)
{
	unlink(path);
}

/* Gets the archive: a whole one left in the store, else a download.
 * 0, 1 to try once more, or a negative status. */
static int get_archive(struct bp_store *s, const struct store_paths *p,
		       const struct bp_store_source *src, bool last_round,
		       char digest[SHA256_HEX_SIZE])
{
	char err[4096];
	char what[NAME_MAX + 16];
	struct dl_request r;
	int rc;

	if (access(p->archive, F_OK) == 0) {
		rc = sha256_file(p->archive, digest, err, sizeof(err));
		if (rc)
			return bp_store_fail(s, rc, "%s", err);
		if (!src->sha256[0] || !strcmp(digest, src->sha256)) {
			bp_store_log(s, BP_LOG_INFO, "using archive %s",
				     p->archive);
			return 0;
		}
		bp_store_log(s, BP_LOG_WARN,
			     "archive %s has sha256 %s, expected %s; "
			     "downloading it again",
			     p->archive, digest, src->sha256);
		remove_quietly(p->archive);
	}
	snprintf(what, sizeof(what), "download %s", p->name);
	store_dl_defaults(s, &r, src->url, what);
	r.sha256_known = src->sha256[0] != '\0';
	bp_store_log(s, BP_LOG_INFO, "downloading %s to %s", src->url, p->part);
	rc = dl_file(&r, p->part, digest, err, sizeof(err));
	store_progress_end(s);
	if (rc)
		return bp_store_fail(s, rc, "%s", err);
	if (src->sha256[0] && strcmp(digest, src->sha256) != 0) {
		remove_quietly(p->part);
		dl_part_forget(p->part);
		if (last_round)
			return bp_store_fail(
			    s, BP_ECHECKSUM,
			    "sha256 mismatch for %s: expected %s, got %s "
			    "(downloaded twice; source: %s)",
			    src->url, src->sha256, digest, src->origin);
		bp_store_log(s, BP_LOG_WARN,
			     "sha256 mismatch for %s: expected %s, got %s; "
			     "downloading it once more",
			     src->url, src->sha256, digest);
		return 1;
	}
	if (rename(p->part, p->archive) != 0)
		return bp_store_fail(s, BP_EIO, "cannot rename %s to %s: %s",
				     p->part, p->archive, strerror(errno));
	dl_part_forget(p->part);
	return 0;
}

/* The extraction of @p's archive into @dest went wrong: 1 to download
 * once more when the archive is corrupt, else the error. */
static int extract_failed(struct bp_store *s, const struct store_paths *p,
			  int rc, bool corrupt, const char *err,
			  bool last_round)
{
	if (corrupt) {
		remove_quietly(p->archive);
		if (last_round)
			return bp_store_fail(
			    s, BP_EINFRA,
			    "%s (deleted; it was downloaded twice)", err);
		bp_store_log(s, BP_LOG_WARN, "%s; downloading it once more",
			     err);
		return 1;
	}
	return bp_store_fail(s, rc == BP_ENOENT ? BP_EINFRA : rc, "%s", err);
}

static int extract_to(struct bp_store *s, const struct store_paths *p,
		      const char *dest, struct extract_result *res,
		      bool *corrupt, char *err, size_t errlen)
{
	char entry[NAME_MAX + 8];
	char what[NAME_MAX + 16];
	struct extract_request x = {
	    .archive = p->archive,
	    .entry = entry,
	    .dest = dest,
	    .what = what,
	    .min_size = STORE_MIN_IMAGE_SIZE,
	    .progress = store_on_progress,
	    .user = s,
	};
	int rc;

	snprintf(entry, sizeof(entry), "%s.img", p->name);
	snprintf(what, sizeof(what), "extract %s", p->name);
	rc = extract_image(&x, res, corrupt, err, errlen);
	store_progress_end(s);
	return rc;
}

/* The record of what extract_to wrote, from the archive @digest. */
static int write_record(const char *path, const struct extract_result *x,
			const char *digest, char *err, size_t errlen)
{
	struct image_record r = {.size = x->size, .mtime = x->mtime};

	snprintf(r.sha256, sizeof(r.sha256), "%s", x->sha256);
	snprintf(r.archive, sizeof(r.archive), "%s", digest);
	return image_record_write(path, &r, err, errlen);
}

/* Flat: the image beside its archive, its record, the marker last. */
static int install_flat(struct bp_store *s, const struct store_paths *p,
			const char *digest, bool last_round)
{
	char err[4096];
	struct extract_result x;
	bool corrupt = false;
	int rc = extract_to(s, p, p->tmp, &x, &corrupt, err, sizeof(err));

	if (rc)
		return extract_failed(s, p, rc, corrupt, err, last_round);
	/* The old marker and record must not vouch for the new image, even
	 * briefly. */
	remove_quietly(p->marker);
	remove_quietly(p->record);
	if (rename(p->tmp, p->image) != 0) {
		rc = errno;
		remove_quietly(p->tmp);
		return bp_store_fail(s, BP_EIO, "cannot rename %s to %s: %s",
				     p->tmp, p->image, strerror(rc));
	}
	rc = write_record(p->record, &x, digest, err, sizeof(err));
	if (!rc)
		rc = store_marker_write(p, digest, err, sizeof(err));
	if (rc)
		return bp_store_fail(s, rc, "%s", err);
	return 0;
}

/* Today's: the image and its marker in a directory of their own, made
 * aside and renamed into place whole, as axbuild reads it. */
static int install_today(struct bp_store *s, const struct store_paths *p,
			 const char *digest, bool last_round)
{
	char err[4096];
	char old[sizeof(p->tmp) + 8];
	struct store_paths staged = *p;
	struct extract_result x;
	bool corrupt = false;
	int rc;

	snprintf(old, sizeof(old), "%s.old", p->tmp);
	if (store_rmtree(p->tmp, err, sizeof(err)) ||
	    store_rmtree(old, err, sizeof(err)))
		return bp_store_fail(s, BP_EIO, "%s", err);
	if (mkdir(p->tmp, 0755) != 0)
		return bp_store_fail(s, BP_EIO, "cannot create %s: %s", p->tmp,
				     strerror(errno));
	if ((size_t)snprintf(staged.image, sizeof(staged.image), "%s/%s.img",
			     p->tmp, p->name) >= sizeof(staged.image) ||
	    (size_t)snprintf(staged.marker, sizeof(staged.marker),
			     "%s/.archive.sha256",
			     p->tmp) >= sizeof(staged.marker) ||
	    (size_t)snprintf(staged.record, sizeof(staged.record),
			     "%s/.bootpipe-image",
			     p->tmp) >= sizeof(staged.record))
		return bp_store_fail(s, BP_EINVAL, "path too long: %s", p->tmp);
	rc = extract_to(s, p, staged.image, &x, &corrupt, err, sizeof(err));
	if (!rc)
		rc = write_record(staged.record, &x, digest, err, sizeof(err));
	if (!rc)
		rc = store_marker_write(&staged, digest, err, sizeof(err));
	if (rc) {
		store_rmtree(p->tmp, err + 2048, sizeof(err) - 2048);
		return extract_failed(s, p, rc, corrupt, err, last_round);
	}
	/* an unpack dir of another archive goes aside, then away */
	if (rename(p->unpack, old) != 0 && errno != ENOENT)
		rc = errno;
	if (!rc && rename(p->tmp, p->unpack) != 0)
		rc = errno;
	if (rc) {
		store_rmtree(p->tmp, err, sizeof(err));
		return bp_store_fail(s, BP_EIO, "cannot move %s to %s: %s",
				     p->tmp, p->unpack, strerror(rc));
	}
	if (store_rmtree(old, err, sizeof(err)))
		bp_store_log(s, BP_LOG_WARN, "%s", err);
	return 0;
}

static int install_image(struct bp_store *s, const struct store_paths *p,
			 const char *digest, bool last_round)
{
	return p->layout == STORE_LAYOUT_TODAY
		   ? install_today(s, p, digest, last_round)
		   : install_flat(s, p, digest, last_round);
}

static int fetch_locked(struct bp_store *s, const struct store_paths *p,
			const struct bp_store_source *src)
{
	char digest[SHA256_HEX_SIZE];
	int rc = 0;

	for (int round = 0; round < 2; round++) {
		bool last = round == 1;

		rc = get_archive(s, p, src, last, digest);
		if (rc < 0)
			return rc;
		if (rc > 0)
			continue;
		rc = install_image(s, p, digest, last);
		if (rc < 0)
			return rc;
		if (rc > 0)
			continue;
		/* axbuild checks the archive before it looks at the
		 * unpacked image: today's layout keeps it */
		if (!s->keep_archive && p->layout != STORE_LAYOUT_TODAY)
			remove_quietly(p->archive);
		return 0;
	}
	return bp_store_fail(s, BP_EINFRA, "could not fetch %s", src->url);
}

/*
 * A ready image is booted only while it is what was extracted: the cheap
 * check of its record (stat only; `image verify` reads the image). 0 when
 * unchanged or unknown (a store axbuild filled); 1 when changed and
 * s->reextract_changed (@why says how); else BP_ECHECKSUM with the fix.
 */
static int check_unchanged(struct bp_store *s, const struct store_paths *p,
			   char *why, size_t whylen)
{
	struct image_record r;

	if (image_check(p, NULL, why, whylen) != IMAGE_CHANGED)
		return 0;
	if (s->reextract_changed) {
		bp_store_log(s, BP_LOG_WARN,
			     "image %s changed after it was extracted (%s); "
			     "extracting it again",
			     p->image, why);
		return 1;
	}
	/* verify cannot vouch for an image by a record it cannot read */
	if (image_record_read(p->record, &r) == BP_EIO)
		return bp_store_fail(
		    s, BP_ECHECKSUM,
		    "managed image %s is not booted: %s; `bootpipe image pull "
		    "%s --store %s` extracts it again, or `bootpipe image rm "
		    "%s "
		    "--store %s` removes it and the next run fetches it anew",
		    p->image, why, p->name, p->dir, p->name, p->dir);
	return bp_store_fail(
	    s, BP_ECHECKSUM,
	    "managed image %s changed after it was extracted (%s), so it is "
	    "not booted: `bootpipe image verify %s --store %s` reads it (and "
	    "records it again when its bytes are unchanged); `bootpipe image "
	    "rm %s --store %s` removes it, and the next run fetches it anew",
	    p->image, why, p->name, p->dir, p->name, p->dir);
}

static int plan(struct bp_store *s, const struct store_paths *p,
		const struct bp_store_source *src, const char *why)
{
	bp_store_log(s, BP_LOG_INFO,
		     "would download %s to %s (sha256 %s), extract %s.img to "
		     "%s (not ready: %s)",
		     src->url, p->archive,
		     src->sha256[0] ? src->sha256 : "unknown", p->name,
		     p->image, why);
	return 0;
}

/* Plan mode downloads nothing, not even the registry. */
static int plan_remote_registry(struct bp_store *s, const struct store_paths *p,
				const char *version)
{
	char why[1024];
	bool ready = store_image_ready(p, NULL, why, sizeof(why));
	int rc;

	if (ready && (rc = check_unchanged(s, p, why, sizeof(why))) < 0)
		return rc;
	if (ready)
		bp_store_log(s, BP_LOG_INFO,
			     "image %s is present; would check it against "
			     "registry %s",
			     p->image, s->registry);
	else
		bp_store_log(s, BP_LOG_INFO,
			     "would look up %s%s%s in registry %s, download "
			     "it and extract %s.img to %s (not ready: %s)",
			     p->name, version ? " version " : "",
			     version ? version : "", s->registry, p->name,
			     p->image, why);
	return 0;
}

static int lock_and_fetch(struct bp_store *s, const struct store_paths *p,
			  const struct bp_store_source *src)
{
	const char *dir_end = strrchr(p->image, '/');
	char dir[PATH_MAX];
	char why[1024];
	char err[1024];
	int lock = -1;
	int rc;

	snprintf(dir, sizeof(dir), "%.*s",
		 dir_end ? (int)(dir_end - p->image) : 1,
		 dir_end ? p->image : ".");
	rc = store_mkdir(dir, err, sizeof(err));
	if (rc == 0 && strcmp(dir, p->dir) != 0)
		rc = store_dir_check(p->dir, err, sizeof(err));
	if (rc == 0)
		rc = store_dir_check(dir, err, sizeof(err));
	if (rc)
		return bp_store_fail(s, rc, "%s", err);
	rc = store_lock_try(p, &lock, err, sizeof(err));
	if (rc == 1) {
		bp_store_log(s, BP_LOG_INFO,
			     "waiting for another run that is fetching %s "
			     "(lock %s)",
			     p->name, p->lock);
		rc = store_lock_wait(p, &lock, err, sizeof(err));
	}
	if (rc)
		return bp_store_fail(s, rc, "%s", err);
	if (store_image_ready(p, src->sha256[0] ? src->sha256 : NULL, why,
			      sizeof(why)) &&
	    image_check(p, NULL, why, sizeof(why)) != IMAGE_CHANGED) {
		bp_store_log(s, BP_LOG_INFO, "image %s was fetched meanwhile",
			     p->image);
		store_unlock(lock);
		return 0;
	}
	bp_store_log(s, BP_LOG_INFO, "fetching %s from %s (%s)", p->name,
		     src->url, src->origin);
	rc = fetch_locked(s, p, src);
	store_unlock(lock);
	if (rc == 0)
		bp_store_log(s, BP_LOG_INFO, "image %s is ready", p->image);
	return rc;
}

int bp_store_ensure(struct bp_store *s, const struct store_paths *given,
		    const char *arch, const char *version)
{
	struct store_paths q = *given;
	const struct store_paths *p = &q;
	char why[1024];
	char nosrc[sizeof(s->err)];
	char refusal[sizeof(((struct bp_store_source *)0)->url) +
		     sizeof(((struct bp_store_source *)0)->origin) + 256];
	struct bp_store_source src;
	int changed = 0;
	int rc;

	if (s->dry_run && s->registry && strstr(s->registry, "://") &&
	    !url_is_file(s->registry))
		return plan_remote_registry(s, p, version);
	rc = bp_store_source_find(s, p->name, arch, version, &src);
	snprintf(nosrc, sizeof(nosrc), "%s", s->err);
	if (rc < 0 && rc != BP_ENOENT) {
		char marker[SHA256_HEX_SIZE];

		/* An unreachable registry must not break a run whose image
		 * is here and was verified when it was fetched. */
		if (rc != BP_ECONFIG && rc != BP_ENOMEM &&
		    store_image_ready(p, NULL, why, sizeof(why)) &&
		    store_marker_read(p, marker) == 0) {
			bool again = s->reextract_changed;

			/* nothing to extract it again from */
			s->reextract_changed = false;
			rc = check_unchanged(s, p, why, sizeof(why));
			s->reextract_changed = again;
			if (rc)
				return rc;
			bp_store_log(s, BP_LOG_WARN,
				     "%s; using %s as it is (marker %s not "
				     "checked)",
				     nosrc, p->image, marker);
			return 0;
		}
		return rc;
	}
	if (store_image_ready(p, src.sha256[0] ? src.sha256 : NULL, why,
			      sizeof(why)) &&
	    (changed = check_unchanged(s, p, why, sizeof(why))) <= 0) {
		if (changed == 0)
			bp_store_log(s, BP_LOG_INFO, "image %s is ready",
				     p->image);
		return changed;
	}
	if (rc == BP_ENOENT)
		return bp_store_fail(s, BP_ECONFIG,
				     "image %s is not ready (%s) and it cannot "
				     "be fetched: %s",
				     p->image, why, nosrc);
	store_paths_set_archive(&q, src.url);
	rc = store_source_allowed(s, src.url, src.sha256, src.origin, refusal,
				  sizeof(refusal));
	if (rc)
		return bp_store_fail(s, rc, "%s", refusal);
	if (s->dry_run)
		return plan(s, p, &src, why);
	if (s->offline && !url_is_file(src.url))
		return bp_store_fail(
		    s, BP_EINFRA,
		    "offline: image %s is not ready (%s); download %s "
		    "(sha256 %s) to %s, or run without offline",
		    p->image, why, src.url,
		    src.sha256[0] ? src.sha256 : "unknown", p->archive);
	return lock_and_fetch(s, p, &src);
}
