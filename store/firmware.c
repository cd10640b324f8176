/*
 * UEFI firmware in the firmware cache: ready, or lock, fetch the release
 * tarball, verify it, extract one arch's code and vars, marker last.
 */
#include "firmware.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/defaults.h>
#include <bootpipe/error.h>

#include "download.h"
#include "extract.h"
#include "lock.h"
#include "source.h"
#include "store.h"

/* The cache's files for one request; @q holds the store paths the lock,
 * marker and download helpers take (lock, marker, archive, part). */
struct fw_job {
	struct bp_store *s;
	const struct firmware_request *r;
	struct firmware_paths *out;
	struct store_paths q;
	char release_dir[PATH_MAX];
	char tmp[PATH_MAX + NAME_MAX + 16];
	char old[PATH_MAX + NAME_MAX + 16];
};

int firmware_cache_default(char *out, size_t outlen, char *err, size_t errlen)
{
	char *cache = bp_default_cache_dir();
	int n;

	if (!cache) {
		snprintf(err, errlen,
			 "no firmware cache: XDG_CACHE_HOME is not an absolute "
			 "path and no home directory is known (set "
			 "[fetch-rootfs] firmware_cache = DIR)");
		return BP_ECONFIG;
	}
	n = snprintf(out, outlen, "%s/bootpipe/firmware", cache);
	free(cache);
	if (n < 0 || (size_t)n >= outlen) {
		snprintf(err, errlen, "firmware cache path too long");
		return BP_ECONFIG;
	}
	return 0;
}

/* The release name: the URL's file name without .tar.* (or .tgz). */
static int release_name(const char *url, char *out, size_t outlen)
{
	const char *q = url + strcspn(url, "?#");
	const char *base = q;
	const char *cut;
	size_t n;

	while (base > url && base[-1] != '/')
		base--;
	n = (size_t)(q - base);
	if (n >= outlen)
		return -1;
	memcpy(out, base, n);
	out[n] = '\0';
	if ((cut = strstr(out, ".tar")) || (cut = strstr(out, ".tgz")))
		out[cut - out] = '\0';
	return store_name_valid(out) ? 0 : -1;
}

static int fill_paths(struct fw_job *j)
{
	const struct firmware_request *r = j->r;
	struct firmware_paths *o = j->out;
	struct store_paths *q = &j->q;
	const char *file;
	size_t cut;

	memset(o, 0, sizeof(*o));
	memset(q, 0, sizeof(*q));
	if (release_name(r->url, o->release, sizeof(o->release)))
		return bp_store_fail(j->s, BP_ECONFIG,
				     "%s: cannot name the firmware release "
				     "after URL %s: its file name must be "
				     "NAME.tar.xz (letters, digits, . _ + -)",
				     r->origin, r->url);
	file = r->url + strcspn(r->url, "?#");
	while (file > r->url && file[-1] != '/')
		file--;
	cut = strcspn(file, "?#");
	if ((size_t)snprintf(j->release_dir, sizeof(j->release_dir), "%s/%s",
			     r->cache, o->release) >= sizeof(j->release_dir) ||
	    (size_t)snprintf(o->dir, sizeof(o->dir), "%s/%s", j->release_dir,
			     r->arch) >= sizeof(o->dir))
		return bp_store_fail(j->s, BP_EINVAL, "path too long: %s",
				     r->cache);
	snprintf(o->code, sizeof(o->code), "%s/code.fd", o->dir);
	snprintf(o->vars, sizeof(o->vars), "%s/vars.fd", o->dir);
	snprintf(o->archive, sizeof(o->archive), "%s/%.*s", r->cache, (int)cut,
		 file);
	snprintf(q->name, sizeof(q->name), "%s", o->release);
	snprintf(q->dir, sizeof(q->dir), "%s", r->cache);
	snprintf(q->archive, sizeof(q->archive), "%s", o->archive);
	snprintf(q->part, sizeof(q->part), "%s.part", o->archive);
	snprintf(q->marker, sizeof(q->marker), "%s/.archive.sha256", o->dir);
	snprintf(q->lock, sizeof(q->lock), "%s/%s.lock", r->cache, o->release);
	snprintf(j->tmp, sizeof(j->tmp), "%s/.%s.tmp", j->release_dir, r->arch);
	snprintf(j->old, sizeof(j->old), "%s/.%s.old", j->release_dir, r->arch);
	return 0;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Code and vars present, from the archive with the wanted sha256. */
static bool ready(const struct fw_job *j, char *why, size_t whylen)
{
	char marker[SHA256_HEX_SIZE];

	if (!is_file(j->out->code) || !is_file(j->out->vars)) {
		snprintf(why, whylen, "%s is not there",
			 is_file(j->out->code) ? j->out->vars : j->out->code);
		return false;
	}
	if (store_marker_read(&j->q, marker) != 0) {
		snprintf(why, whylen, "no marker %s", j->q.marker);
		return false;
	}
	if (strcmp(marker, j->r->sha256) != 0) {
		snprintf(why, whylen, "it came from an archive with sha256 %s",
			 marker);
		return false;
	}
	return true;
}

/* The archive: one already in the cache with the wanted sha256, else a
 * download, verified. A cached archive of another sha256 stays until a
 * verified one replaces it, so a wrong pin changes nothing. 0, 1 to try
 * once more, or a negative status. */
static int get_archive(struct fw_job *j, bool last_round,
		       char digest[SHA256_HEX_SIZE])
{
	struct bp_store *s = j->s;
	const struct firmware_request *r = j->r;
	struct dl_request d;
	char err[4096];
	int rc;

	if (is_file(j->q.archive)) {
		rc = sha256_file(j->q.archive, digest, err, sizeof(err));
		if (rc)
			return bp_store_fail(s, rc, "%s", err);
		if (!strcmp(digest, r->sha256)) {
			bp_store_log(s, BP_LOG_INFO, "using archive %s",
				     j->q.archive);
			return 0;
		}
		bp_store_log(s, BP_LOG_WARN,
			     "archive %s has sha256 %s, expected %s; "
			     "downloading it again",
			     j->q.archive, digest, r->sha256);
	}
	store_dl_defaults(s, &d, r->url, "download UEFI firmware");
	d.sha256_known = true;
	bp_store_log(s, BP_LOG_INFO, "downloading %s to %s", r->url, j->q.part);
	rc = dl_file(&d, j->q.part, digest, err, sizeof(err));
	store_progress_end(s);
	if (rc)
		return bp_store_fail(s, rc, "%s", err);
	if (strcmp(digest, r->sha256) != 0) {
		unlink(j->q.part);
		dl_part_forget(j->q.part);
		if (last_round)
			return bp_store_fail(
			    s, BP_ECHECKSUM,
			    "sha256 mismatch for UEFI firmware %s: expected "
			    "%s (%s), got %s (downloaded twice; nothing was "
			    "kept)",
			    r->url, r->sha256, r->origin, digest);
		bp_store_log(s, BP_LOG_WARN,
			     "sha256 mismatch for %s: expected %s, got %s; "
			     "downloading it once more",
			     r->url, r->sha256, digest);
		return 1;
	}
	if (rename(j->q.part, j->q.archive) != 0)
		return bp_store_fail(s, BP_EIO, "cannot rename %s to %s: %s",
				     j->q.part, j->q.archive, strerror(errno));
	dl_part_forget(j->q.part);
	return 0;
}

/* <tmp>/@file from <top>/<arch>/@file of the archive. */
static int extract_one(struct fw_job *j, const char *file, bool *corrupt,
		       char *err, size_t errlen)
{
	char entry[NAME_MAX + 16];
	char dest[sizeof(j->tmp) + 16];
	struct extract_result res;
	struct extract_request x = {
	    .archive = j->q.archive,
	    .entry = entry,
	    .entry_below_top = true,
	    .dest = dest,
	    .what = "extract UEFI firmware",
	    .progress = store_on_progress,
	    .user = j->s,
	};
	int rc;

	snprintf(entry, sizeof(entry), "%s/%s", j->r->arch, file);
	snprintf(dest, sizeof(dest), "%s/%s", j->tmp, file);
	rc = extract_image(&x, &res, corrupt, err, errlen);
	store_progress_end(j->s);
	return rc;
}

/* Code, vars and marker made aside, then moved into place whole. 0, 1 to
 * download once more (a corrupt archive, removed), or a status. */
static int install(struct fw_job *j, const char *digest, bool last_round)
{
	struct bp_store *s = j->s;
	struct store_paths staged = j->q;
	bool corrupt = false;
	char err[4096];
	int rc;

	if (store_rmtree(j->tmp, err, sizeof(err)) ||
	    store_rmtree(j->old, err, sizeof(err)))
		return bp_store_fail(s, BP_EIO, "%s", err);
	if (mkdir(j->tmp, 0755) != 0)
		return bp_store_fail(s, BP_EIO, "cannot create %s: %s", j->tmp,
				     strerror(errno));
	if ((size_t)snprintf(staged.marker, sizeof(staged.marker),
			     "%s/.archive.sha256",
			     j->tmp) >= sizeof(staged.marker))
		return bp_store_fail(s, BP_EINVAL, "path too long: %s", j->tmp);
	rc = extract_one(j, "code.fd", &corrupt, err, sizeof(err));
	if (!rc)
		rc = extract_one(j, "vars.fd", &corrupt, err, sizeof(err));
	if (!rc)
		rc = store_marker_write(&staged, digest, err, sizeof(err));
	if (rc) {
		store_rmtree(j->tmp, err + 2048, sizeof(err) - 2048);
		if (corrupt) {
			unlink(j->q.archive);
			if (last_round)
				return bp_store_fail(
				    s, BP_EINFRA,
				    "%s (deleted; it was downloaded twice)",
				    err);
			bp_store_log(s, BP_LOG_WARN,
				     "%s; downloading it once more", err);
			return 1;
		}
		return bp_store_fail(s, rc == BP_ENOENT ? BP_EINFRA : rc,
				     "%s (is %s an ovmf-prebuilt release "
				     "tarball?)",
				     err, j->r->url);
	}
	if (rename(j->out->dir, j->old) != 0 && errno != ENOENT)
		rc = errno;
	if (!rc && rename(j->tmp, j->out->dir) != 0)
		rc = errno;
	if (rc) {
		store_rmtree(j->tmp, err, sizeof(err));
		return bp_store_fail(s, BP_EIO, "cannot move %s to %s: %s",
				     j->tmp, j->out->dir, strerror(rc));
	}
	if (store_rmtree(j->old, err, sizeof(err)))
		bp_store_log(s, BP_LOG_WARN, "%s", err);
	return 0;
}

static int fetch_locked(struct fw_job *j)
{
	char digest[SHA256_HEX_SIZE];

	for (int round = 0; round < 2; round++) {
		bool last = round == 1;
		int rc = get_archive(j, last, digest);

		if (rc > 0)
			continue;
		if (rc == 0)
			rc = install(j, digest, last);
		if (rc <= 0)
			return rc;
	}
	return bp_store_fail(j->s, BP_EINFRA, "could not fetch %s", j->r->url);
}

static int make_dirs(struct fw_job *j)
{
	char err[1024];
	int rc = store_mkdir(j->r->cache, err, sizeof(err));

	if (!rc)
		rc = store_dir_check(j->r->cache, err, sizeof(err));
	if (!rc)
		rc = store_mkdir(j->release_dir, err, sizeof(err));
	if (!rc)
		rc = store_dir_check(j->release_dir, err, sizeof(err));
	return rc ? bp_store_fail(j->s, rc, "%s", err) : 0;
}

static int lock_and_fetch(struct fw_job *j)
{
	struct bp_store *s = j->s;
	char why[PATH_MAX + 128];
	char err[1024];
	int lock = -1;
	int rc = make_dirs(j);

	if (rc)
		return rc;
	rc = store_lock_try(&j->q, &lock, err, sizeof(err));
	if (rc == 1) {
		bp_store_log(s, BP_LOG_INFO,
			     "waiting for another run that is fetching UEFI "
			     "firmware (lock %s)",
			     j->q.lock);
		rc = store_lock_wait(&j->q, &lock, err, sizeof(err));
	}
	if (rc)
		return bp_store_fail(s, rc, "%s", err);
	if (ready(j, why, sizeof(why))) {
		bp_store_log(s, BP_LOG_INFO,
			     "UEFI firmware %s was fetched meanwhile",
			     j->out->dir);
		store_unlock(lock);
		return 0;
	}
	bp_store_log(s, BP_LOG_INFO,
		     "fetching UEFI firmware for %s from %s (%s)", j->r->arch,
		     j->r->url, j->r->origin);
	rc = fetch_locked(j);
	store_unlock(lock);
	if (rc == 0)
		bp_store_log(s, BP_LOG_INFO, "UEFI firmware %s is ready",
			     j->out->dir);
	return rc;
}

int bp_store_firmware_ensure(struct bp_store *s,
			     const struct firmware_request *r,
			     struct firmware_paths *out)
{
	struct fw_job j = {.s = s, .r = r, .out = out};
	char refusal[8192];
	char why[PATH_MAX + 128];
	int rc;

	s->err[0] = '\0';
	rc = fill_paths(&j);
	if (rc)
		return rc;
	if (ready(&j, why, sizeof(why))) {
		bp_store_log(s, BP_LOG_INFO, "UEFI firmware %s is ready",
			     out->dir);
		return 0;
	}
	rc = store_source_allowed(s, r->url, r->sha256, r->origin, refusal,
				  sizeof(refusal));
	if (rc)
		return bp_store_fail(s, rc, "%s", refusal);
	if (s->dry_run) {
		bp_store_log(s, BP_LOG_INFO,
			     "would download UEFI firmware %s to %s (sha256 "
			     "%s) and extract %s/code.fd and vars.fd to %s "
			     "(not ready: %s)",
			     r->url, out->archive, r->sha256, r->arch, out->dir,
			     why);
		return 0;
	}
	if (s->offline && !url_is_file(r->url) && !is_file(out->archive))
		return bp_store_fail(
		    s, BP_EINFRA,
		    "offline: UEFI firmware for %s is not in the cache (%s); "
		    "download %s (sha256 %s) to %s and run again (it is "
		    "checked and extracted from there), run without offline, "
		    "or %s",
		    r->arch, why, r->url, r->sha256, out->archive,
		    r->instead_hint ? r->instead_hint
				    : "use firmware of your own");
	return lock_and_fetch(&j);
}
