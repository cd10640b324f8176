/*
 * fetch-rootfs: makes sure the managed rootfs image of a run is in the
 * store, downloading, verifying and extracting it when it is not. Also
 * runs the `bootpipe image ...` store commands (see image_cmd.c).
 */
#include "fetch_rootfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include <bootpipe/error.h>
#include <bootpipe/keys.h>
#include <bootpipe/log.h>
#include <bootpipe/plugin.h>

#include "download.h"
#include "extract.h"
#include "rootfs_rule.h"

/* Registries are small; anything bigger is not one. */
#define REGISTRY_MAX_BYTES (16u << 20)

static const struct bp_option options[] = {
    {"url", BP_OPT_STR, NULL,
     "archive URL template: {image} (rootfs-ARCH-DISTRO.img), {name} (without "
     ".img), {arch}, {distro}",
     0, NULL},
    {"sha256", BP_OPT_STR, NULL, "sha256 of the archive `url` names", 0, NULL},
    {"registry", BP_OPT_STR, NULL, "tgosimages registry TOML: a path or a URL",
     0, NULL},
    {"image_version", BP_OPT_STR, NULL,
     "registry version to use (default: newest released_at)", 0, NULL},
    {"offline", BP_OPT_BOOL, "false",
     "never use the network (also BOOTPIPE_OFFLINE=1); file:// still works", 0,
     NULL},
    {"keep_archive", BP_OPT_BOOL, "false",
     "keep the downloaded archive beside the image", 0, NULL},
    {"attempts", BP_OPT_INT, "5",
     "tries per download for 429, 5xx and network errors", 0, NULL},
    {"retry_delay_ms", BP_OPT_INT, "1000",
     "first retry delay; doubles on each retry", 0, NULL},
    {"connect_timeout", BP_OPT_INT, "30", "connect timeout, seconds", 0, NULL},
    {"stall_timeout", BP_OPT_INT, "60",
     "abort a transfer slower than stall_speed for this long (0: never)", 0,
     NULL},
    {"stall_speed", BP_OPT_INT, "1024", "bytes per second, see stall_timeout",
     0, NULL},
    {"allow_insecure_url", BP_OPT_BOOL, "false",
     "allow remote URLs that are not https (file:// is always allowed)", 0,
     NULL},
    {"allow_unverified", BP_OPT_BOOL, "false",
     "allow downloading a remote archive without a known sha256", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const char *const requires[] = {BP_KEY_REQUEST_ARCH,
				       BP_KEY_REQUEST_STORE, NULL};
static const char *const provides[] = {BP_KEY_ROOTFS_MANAGED_PATH, NULL};

/* At most five updates a second, and the final one once. */
static void on_progress(void *user, const char *what, uint64_t done,
			uint64_t total)
{
	static uint64_t last_ns, last_done;
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (done == last_done ||
	    (now - last_ns < 200000000u && !(total && done == total)))
		return;
	last_ns = now;
	last_done = done;
	bp_progress(user, what, done, total);
}

static void on_note(void *user, const char *message)
{
	bp_log(user, BP_LOG_WARN, "%s", message);
}

static bool env_offline(void)
{
	const char *v = getenv("BOOTPIPE_OFFLINE");

	return v && (!strcmp(v, "1") || !strcmp(v, "true") ||
		     !strcmp(v, "yes") || !strcmp(v, "on"));
}

static const char *opt_str(struct bp_stage *self, const char *key)
{
	const char *v = NULL;

	if (bp_stage_opt_str(self, key, &v) != 0 || !v || !*v)
		return NULL;
	return v;
}

static int64_t opt_int(struct bp_stage *self, const char *key, int64_t fallback)
{
	int64_t v;

	return bp_stage_opt_int(self, key, &v) == 0 ? v : fallback;
}

int fetch_cfg_load(struct bp_stage *self, struct bp_ctx *ctx,
		   struct fetch_cfg *cfg)
{
	bool b = false;

	memset(cfg, 0, sizeof(*cfg));
	/* resolve-request decides the store once (its `store` option), so
	 * infer-rootfs and this stage always see the same one */
	cfg->store = bp_ctx_str_or(ctx, BP_KEY_REQUEST_STORE, NULL);
	if (!cfg->store || !*cfg->store)
		return bp_fail(self, BP_ECONFIG,
			       "no image store: %s is unset (set "
			       "[resolve-request] store = DIR)",
			       BP_KEY_REQUEST_STORE);
	cfg->arch = bp_ctx_str_or(ctx, BP_KEY_REQUEST_ARCH, NULL);
	cfg->url_template = opt_str(self, "url");
	cfg->sha256 = opt_str(self, "sha256");
	cfg->registry = opt_str(self, "registry");
	cfg->image_version = opt_str(self, "image_version");
	cfg->offline =
	    (bp_stage_opt_bool(self, "offline", &b) == 0 && b) || env_offline();
	b = false;
	cfg->keep_archive =
	    bp_stage_opt_bool(self, "keep_archive", &b) == 0 && b;
	b = false;
	cfg->allow_insecure_url =
	    bp_stage_opt_bool(self, "allow_insecure_url", &b) == 0 && b;
	b = false;
	cfg->allow_unverified =
	    bp_stage_opt_bool(self, "allow_unverified", &b) == 0 && b;
	cfg->attempts = opt_int(self, "attempts", 5);
	cfg->retry_delay_ms = opt_int(self, "retry_delay_ms", 1000);
	cfg->connect_timeout = opt_int(self, "connect_timeout", 30);
	cfg->stall_timeout = opt_int(self, "stall_timeout", 60);
	cfg->stall_speed = opt_int(self, "stall_speed", 1024);
	if (cfg->attempts < 1 || cfg->attempts > 100)
		return bp_fail(self, BP_ECONFIG,
			       "%s: attempts must be 1..100, not %lld",
			       bp_stage_opt_origin(self, "attempts"),
			       (long long)cfg->attempts);
	if (cfg->retry_delay_ms < 0 || cfg->connect_timeout < 0 ||
	    cfg->stall_timeout < 0 || cfg->stall_speed < 0)
		return bp_fail(self, BP_ECONFIG,
			       "retry_delay_ms, connect_timeout, stall_timeout "
			       "and stall_speed must not be negative");
	if (cfg->sha256) {
		char hex[SHA256_HEX_SIZE];

		if (!sha256_hex_parse(cfg->sha256, hex))
			return bp_fail(self, BP_ECONFIG,
				       "%s: sha256 must be 64 hex digits, not "
				       "`%s`",
				       bp_stage_opt_origin(self, "sha256"),
				       cfg->sha256);
	}
	return 0;
}

void fetch_cfg_free(struct fetch_cfg *cfg)
{
	registry_free(&cfg->reg);
}

static void dl_defaults(const struct fetch_cfg *cfg, struct bp_stage *self,
			struct dl_request *r, const char *url, const char *what)
{
	memset(r, 0, sizeof(*r));
	r->url = url;
	r->what = what;
	r->connect_timeout = (long)cfg->connect_timeout;
	r->low_speed_limit = (long)cfg->stall_speed;
	r->low_speed_time = (long)cfg->stall_timeout;
	r->attempts = (int)cfg->attempts;
	r->retry_base_ms = (long)cfg->retry_delay_ms;
	r->allow_insecure = cfg->allow_insecure_url;
	r->progress = on_progress;
	r->note = on_note;
	r->user = self;
}

struct reg_fetch_ctx {
	struct bp_stage *self;
	const struct fetch_cfg *cfg;
};

/*
 * What may be downloaded: https, or anything with allow_insecure_url (a
 * plain http or ftp transfer can be swapped on the way); an archive only
 * with a sha256 to check it against, or with allow_unverified. file:// is
 * local and always allowed. @sha256 NULL: a registry, which carries the
 * checksums of its images. 0 or BP_ECONFIG with the fix in @err.
 */
static int source_allowed(const struct fetch_cfg *cfg, const char *url,
			  const char *sha256, const char *origin, char *err,
			  size_t errlen)
{
	if (url_is_file(url))
		return 0;
	if (strncasecmp(url, "https://", 8) != 0 && !cfg->allow_insecure_url) {
		snprintf(
		    err, errlen,
		    "refusing to download %s (%s): not an https URL, so "
		    "anyone on the way could change it; use https or set "
		    "allow_insecure_url = true in the fetch-rootfs section",
		    url, origin);
		return BP_ECONFIG;
	}
	if (sha256 && !sha256[0] && !cfg->allow_unverified) {
		snprintf(err, errlen,
			 "refusing to download %s (%s): no sha256 to verify "
			 "it; set sha256 = <64 hex digits> or allow_unverified "
			 "= true in the fetch-rootfs section",
			 url, origin);
		return BP_ECONFIG;
	}
	return 0;
}

static int fetch_registry(void *user, const char *url, char **buf, size_t *len,
			  char *err, size_t errlen)
{
	struct reg_fetch_ctx *c = user;
	struct dl_request r;
	int rc;

	if (c->cfg->offline && !url_is_file(url)) {
		snprintf(err, errlen,
			 "offline: cannot fetch registry %s (copy it to a "
			 "local file and point `registry` at it)",
			 url);
		return BP_EINFRA;
	}
	rc = source_allowed(c->cfg, url, NULL, "registry", err, errlen);
	if (rc)
		return rc;
	dl_defaults(c->cfg, c->self, &r, url, "registry");
	r.progress = NULL;
	return dl_buffer(&r, REGISTRY_MAX_BYTES, buf, len, err, errlen);
}

/* Appends @s (or its @n first bytes) to out; false when it overflows. */
static bool put(char *out, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + n >= size)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return true;
}

/* "rootfs-<arch>-<distro>" -> distro; the whole name otherwise. */
static const char *distro_of(const char *name, const char *arch)
{
	size_t alen = arch ? strlen(arch) : 0;

	if (arch && !strncmp(name, "rootfs-", 7) &&
	    !strncmp(name + 7, arch, alen) && name[7 + alen] == '-')
		return name + 8 + alen;
	return name;
}

static int expand_template(struct bp_stage *self, const char *tpl,
			   const char *name, const char *arch, char *out,
			   size_t size)
{
	char image_file[512];
	size_t len = 0;
	const char *p = tpl;

	snprintf(image_file, sizeof(image_file), "%s.img", name);
	out[0] = '\0';
	while (*p) {
		const char *open = strchr(p, '{');
		const char *close;
		const char *val;
		size_t klen;

		if (!open)
			open = p + strlen(p);
		if (!put(out, size, &len, p, (size_t)(open - p)))
			goto too_long;
		if (!*open)
			break;
		close = strchr(open, '}');
		if (!close)
			return bp_fail(self, BP_ECONFIG,
				       "%s: url `%s` has an unclosed `{`",
				       bp_stage_opt_origin(self, "url"), tpl);
		klen = (size_t)(close - open - 1);
		if (klen == 5 && !strncmp(open + 1, "image", 5))
			val = image_file;
		else if (klen == 4 && !strncmp(open + 1, "name", 4))
			val = name;
		else if (klen == 4 && !strncmp(open + 1, "arch", 4))
			val = arch ? arch : "";
		else if (klen == 6 && !strncmp(open + 1, "distro", 6))
			val = distro_of(name, arch);
		else
			return bp_fail(self, BP_ECONFIG,
				       "%s: url `%s` has unknown placeholder "
				       "`%.*s` (known: {image}, {name}, "
				       "{arch}, {distro})",
				       bp_stage_opt_origin(self, "url"), tpl,
				       (int)(klen + 2), open);
		if (!put(out, size, &len, val, strlen(val)))
			goto too_long;
		p = close + 1;
	}
	return 0;
too_long:
	return bp_fail(self, BP_ECONFIG,
		       "url `%s` expands to more than %zu bytes", tpl,
		       size - 1);
}

int fetch_registry_load(struct bp_stage *self, struct fetch_cfg *cfg, char *err,
			size_t errlen)
{
	struct reg_fetch_ctx fc = {self, cfg};
	char msg[2048];
	int rc;

	if (!cfg->registry || cfg->registry_loaded)
		return 0;
	rc = registry_load(&cfg->reg, cfg->registry, fetch_registry, &fc, msg,
			   sizeof(msg));
	if (rc) {
		registry_free(&cfg->reg);
		snprintf(err, errlen, "registry %s: %s", cfg->registry, msg);
		return rc;
	}
	cfg->registry_loaded = true;
	return 0;
}

int fetch_source_find(struct bp_stage *self, struct fetch_cfg *cfg,
		      const char *name, const char *arch, const char *version,
		      struct fetch_source *src, char *why, size_t whylen)
{
	char err[2048];
	int rc;

	memset(src, 0, sizeof(*src));
	why[0] = '\0';
	if (cfg->registry) {
		const struct reg_image *img;

		rc = fetch_registry_load(self, cfg, why, whylen);
		if (rc)
			return rc;
		img = registry_find(&cfg->reg, name, arch, version, err,
				    sizeof(err));
		if (img) {
			snprintf(src->url, sizeof(src->url), "%s", img->url);
			snprintf(src->sha256, sizeof(src->sha256), "%s",
				 img->sha256);
			snprintf(src->origin, sizeof(src->origin),
				 "registry %s %s", img->version, img->origin);
			return 0;
		}
		if (!cfg->url_template) {
			snprintf(why, whylen, "%s (registry %s)", err,
				 cfg->registry);
			return BP_ENOENT;
		}
	}
	if (!cfg->url_template) {
		snprintf(why, whylen,
			 "no source is configured: set option `url` (and "
			 "`sha256`) or `registry`");
		return BP_ENOENT;
	}
	rc = expand_template(self, cfg->url_template, name, arch, src->url,
			     sizeof(src->url));
	if (rc)
		return rc;
	if (cfg->sha256)
		sha256_hex_parse(cfg->sha256, src->sha256);
	snprintf(src->origin, sizeof(src->origin), "url option (%s)",
		 bp_stage_opt_origin(self, "url"));
	return 0;
}

/* For files that may well be absent; a real failure shows up later. */
static void remove_quietly(const char *path)
{
	unlink(path);
}

/* Gets the archive: a whole one left in the store, else a download. */
static int get_archive(struct bp_stage *self, const struct fetch_cfg *cfg,
		       const struct store_paths *p,
		       const struct fetch_source *src, bool last_round,
		       char digest[SHA256_HEX_SIZE])
{
	char err[2048];
	char what[NAME_MAX + 16];
	struct dl_request r;
	int rc;

	if (access(p->archive, F_OK) == 0) {
		rc = sha256_file(p->archive, digest, err, sizeof(err));
		if (rc)
			return bp_fail(self, rc, "%s", err);
		if (!src->sha256[0] || !strcmp(digest, src->sha256)) {
			bp_log(self, BP_LOG_INFO, "using archive %s",
			       p->archive);
			return 0;
		}
		bp_log(self, BP_LOG_WARN,
		       "archive %s has sha256 %s, expected %s; downloading "
		       "it again",
		       p->archive, digest, src->sha256);
		remove_quietly(p->archive);
	}
	snprintf(what, sizeof(what), "download %s", p->name);
	dl_defaults(cfg, self, &r, src->url, what);
	r.sha256_known = src->sha256[0] != '\0';
	bp_log(self, BP_LOG_INFO, "downloading %s to %s", src->url, p->part);
	rc = dl_file(&r, p->part, digest, err, sizeof(err));
	bp_progress_end(self);
	if (rc)
		return bp_fail(self, rc, "%s", err);
	if (src->sha256[0] && strcmp(digest, src->sha256) != 0) {
		remove_quietly(p->part);
		dl_part_forget(p->part);
		if (last_round)
			return bp_fail(self, BP_ECHECKSUM,
				       "sha256 mismatch for %s: expected %s, "
				       "got %s (downloaded twice; source: %s)",
				       src->url, src->sha256, digest,
				       src->origin);
		bp_log(self, BP_LOG_WARN,
		       "sha256 mismatch for %s: expected %s, got %s; "
		       "downloading it once more",
		       src->url, src->sha256, digest);
		return 1;
	}
	if (rename(p->part, p->archive) != 0)
		return bp_fail(self, BP_EIO, "cannot rename %s to %s: %s",
			       p->part, p->archive, strerror(errno));
	dl_part_forget(p->part);
	return 0;
}

/* Extracts the archive into place and writes the marker last. */
static int install_image(struct bp_stage *self, const struct store_paths *p,
			 const char *digest, bool last_round)
{
	char entry[NAME_MAX + 8];
	char what[NAME_MAX + 16];
	char err[2048];
	bool corrupt = false;
	struct extract_request x = {
	    .archive = p->archive,
	    .entry = entry,
	    .dest = p->tmp,
	    .what = what,
	    .progress = on_progress,
	    .user = self,
	};
	int rc;

	snprintf(entry, sizeof(entry), "%s.img", p->name);
	snprintf(what, sizeof(what), "extract %s", p->name);
	rc = extract_image(&x, &corrupt, err, sizeof(err));
	bp_progress_end(self);
	if (rc && corrupt) {
		remove_quietly(p->archive);
		if (last_round)
			return bp_fail(self, BP_EINFRA,
				       "%s (deleted; it was downloaded twice)",
				       err);
		bp_log(self, BP_LOG_WARN, "%s; downloading it once more", err);
		return 1;
	}
	if (rc)
		return bp_fail(self, rc == BP_ENOENT ? BP_EINFRA : rc, "%s",
			       err);
	/* The old marker must not vouch for the new image, even briefly. */
	remove_quietly(p->marker);
	if (rename(p->tmp, p->image) != 0) {
		rc = errno;
		remove_quietly(p->tmp);
		return bp_fail(self, BP_EIO, "cannot rename %s to %s: %s",
			       p->tmp, p->image, strerror(rc));
	}
	rc = store_marker_write(p, digest, err, sizeof(err));
	if (rc)
		return bp_fail(self, rc, "%s", err);
	return 0;
}

static int fetch_locked(struct bp_stage *self, const struct fetch_cfg *cfg,
			const struct store_paths *p,
			const struct fetch_source *src)
{
	char digest[SHA256_HEX_SIZE];
	int rc = 0;

	for (int round = 0; round < 2; round++) {
		bool last = round == 1;

		rc = get_archive(self, cfg, p, src, last, digest);
		if (rc < 0)
			return rc;
		if (rc > 0)
			continue;
		rc = install_image(self, p, digest, last);
		if (rc < 0)
			return rc;
		if (rc > 0)
			continue;
		if (!cfg->keep_archive)
			remove_quietly(p->archive);
		return 0;
	}
	return bp_fail(self, BP_EINFRA, "could not fetch %s", src->url);
}

static int plan(struct bp_stage *self, const struct store_paths *p,
		const struct fetch_source *src, const char *why)
{
	bp_log(self, BP_LOG_INFO,
	       "would download %s to %s (sha256 %s), extract %s.img to %s "
	       "(not ready: %s)",
	       src->url, p->archive, src->sha256[0] ? src->sha256 : "unknown",
	       p->name, p->image, why);
	return 0;
}

int fetch_ensure(struct bp_stage *self, struct fetch_cfg *cfg,
		 const struct store_paths *p, const char *arch,
		 const char *version)
{
	char why[1024];
	char nosrc[2048];
	char refusal[sizeof(((struct fetch_source *)0)->url) +
		     sizeof(((struct fetch_source *)0)->origin) + 256];
	char err[1024];
	struct fetch_source src;
	const char *dir_end = strrchr(p->image, '/');
	char dir[PATH_MAX];
	int lock = -1;
	int rc;

	if (bp_stage_dry_run(self) && cfg->registry &&
	    strstr(cfg->registry, "://") && !url_is_file(cfg->registry)) {
		/* Plan mode downloads nothing, not even the registry. */
		if (store_image_ready(p, NULL, why, sizeof(why)))
			bp_log(self, BP_LOG_INFO,
			       "image %s is present; would check it against "
			       "registry %s",
			       p->image, cfg->registry);
		else
			bp_log(self, BP_LOG_INFO,
			       "would look up %s in registry %s, download it "
			       "and extract %s.img to %s (not ready: %s)",
			       p->name, cfg->registry, p->name, p->image, why);
		return 0;
	}
	rc = fetch_source_find(self, cfg, p->name, arch, version, &src, nosrc,
			       sizeof(nosrc));
	if (rc < 0 && rc != BP_ENOENT) {
		char marker[SHA256_HEX_SIZE];

		if (!nosrc[0])
			return rc; /* already set on self */
		/* An unreachable registry must not break a run whose image
		 * is here and was verified when it was fetched. */
		if (rc != BP_ECONFIG && rc != BP_ENOMEM &&
		    store_image_ready(p, NULL, why, sizeof(why)) &&
		    store_marker_read(p, marker) == 0) {
			bp_log(self, BP_LOG_WARN,
			       "%s; using %s as it is (marker %s not checked)",
			       nosrc, p->image, marker);
			return 0;
		}
		return bp_fail(self, rc, "%s", nosrc);
	}
	if (store_image_ready(p, src.sha256[0] ? src.sha256 : NULL, why,
			      sizeof(why))) {
		bp_log(self, BP_LOG_INFO, "image %s is ready", p->image);
		return 0;
	}
	if (rc == BP_ENOENT)
		return bp_fail(self, BP_ECONFIG,
			       "image %s is not ready (%s) and it cannot be "
			       "fetched: %s",
			       p->image, why, nosrc);
	rc = source_allowed(cfg, src.url, src.sha256, src.origin, refusal,
			    sizeof(refusal));
	if (rc)
		return bp_fail(self, rc, "%s", refusal);
	if (bp_stage_dry_run(self))
		return plan(self, p, &src, why);
	if (cfg->offline && !url_is_file(src.url))
		return bp_fail(self, BP_EINFRA,
			       "offline: image %s is not ready (%s); download "
			       "%s (sha256 %s) to %s, or run without offline",
			       p->image, why, src.url,
			       src.sha256[0] ? src.sha256 : "unknown",
			       p->archive);
	snprintf(dir, sizeof(dir), "%.*s",
		 dir_end ? (int)(dir_end - p->image) : 1,
		 dir_end ? p->image : ".");
	rc = store_mkdir(dir, err, sizeof(err));
	if (rc)
		return bp_fail(self, rc, "%s", err);
	rc = store_lock_try(p, &lock, err, sizeof(err));
	if (rc == 1) {
		bp_log(self, BP_LOG_INFO,
		       "waiting for another run that is fetching %s (lock %s)",
		       p->name, p->lock);
		rc = store_lock_wait(p, &lock, err, sizeof(err));
	}
	if (rc)
		return bp_fail(self, rc, "%s", err);
	if (store_image_ready(p, src.sha256[0] ? src.sha256 : NULL, why,
			      sizeof(why))) {
		bp_log(self, BP_LOG_INFO, "image %s was fetched meanwhile",
		       p->image);
		store_unlock(lock);
		return 0;
	}
	bp_log(self, BP_LOG_INFO, "fetching %s from %s (%s)", p->name, src.url,
	       src.origin);
	rc = fetch_locked(self, cfg, p, &src);
	store_unlock(lock);
	if (rc == 0)
		bp_log(self, BP_LOG_INFO, "image %s is ready", p->image);
	return rc;
}

static int explicit_must_exist(struct bp_stage *self, const char *store,
			       const char *rootfs)
{
	struct stat st;

	if (!rootfs || bp_stage_dry_run(self))
		return 0;
	if (stat(rootfs, &st) != 0)
		return bp_fail(self, BP_EINFRA,
			       "rootfs %s: %s (it is outside the image store "
			       "%s, so it is never downloaded)",
			       rootfs, strerror(errno), store);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return bp_fail(self, BP_EINFRA,
			       "rootfs %s is not a regular file or block "
			       "device",
			       rootfs);
	return 0;
}

static int fetch_init(struct bp_stage *self, void **state)
{
	(void)state;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return bp_fail(self, BP_EINFRA, "cannot initialise libcurl");
	return 0;
}

static void fetch_cleanup(struct bp_stage *self, void *state)
{
	(void)self;
	(void)state;
	curl_global_cleanup();
}

static int ensure_managed(struct bp_stage *self, struct fetch_cfg *cfg,
			  struct bp_ctx *ctx)
{
	const char *rootfs = bp_ctx_str_or(ctx, BP_KEY_REQUEST_ROOTFS, NULL);
	const char *workspace = bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, NULL);
	/* the same expansion infer-rootfs does, so both see one image */
	const struct ostool_vars vars = {
	    .workspace = workspace,
	    .package =
		bp_ctx_str_or(ctx, BP_KEY_REQUEST_PACKAGE_DIR, workspace),
	};
	const char *const *vms = NULL;
	size_t nvms = 0;
	struct store_paths p;
	char err[2048];
	char *managed = NULL;
	int rc;

	if (!cfg->arch)
		return bp_fail(self, BP_ECONFIG, "request.arch is not set");
	if (rootfs && !*rootfs)
		rootfs = NULL;
	/* axbuild's ArceOS flows boot the QEMU config's own drives */
	if (!rootfs &&
	    !strcmp(bp_ctx_str_or(ctx, BP_KEY_REQUEST_FLOW, ""), "arceos")) {
		bp_log(self, BP_LOG_INFO,
		       "no managed image: the arceos flow boots the QEMU "
		       "config's own drives");
		return 0;
	}
	if (bp_ctx_get_list(ctx, BP_KEY_REQUEST_VMCONFIGS, &vms, &nvms) != 0) {
		vms = NULL;
		nvms = 0;
	}
	rc = rootfs_managed_path(cfg->store, cfg->arch, rootfs, vms, nvms,
				 &vars, &managed, err, sizeof(err));
	if (rc)
		return bp_fail(self, rc, "%s", err);
	if (!managed) {
		bp_log(self, BP_LOG_INFO, "no managed image: %s",
		       rootfs ? "the rootfs is outside the store"
			      : "a vmconfig provides the rootfs");
		return explicit_must_exist(self, cfg->store, rootfs);
	}
	rc = store_paths_init(&p, managed, err, sizeof(err));
	if (rc && access(managed, F_OK) == 0) {
		/* A file the user put in the store under another name: there
		 * is nothing to fetch, use it as it is. */
		bp_log(self, BP_LOG_INFO, "using %s as it is (%s)", managed,
		       err);
		rc = 0;
		if (bp_ctx_set_str(ctx, BP_KEY_ROOTFS_MANAGED_PATH, managed))
			rc = bp_fail(self, BP_ENOMEM, "cannot set %s",
				     BP_KEY_ROOTFS_MANAGED_PATH);
		goto out;
	}
	if (rc) {
		rc =
		    bp_fail(self, BP_ECONFIG, "%s, or put the file there", err);
		goto out;
	}
	rc = fetch_ensure(self, cfg, &p, cfg->arch, cfg->image_version);
	if (rc == 0 && bp_ctx_set_str(ctx, BP_KEY_ROOTFS_MANAGED_PATH, managed))
		rc = bp_fail(self, BP_ENOMEM, "cannot set %s",
			     BP_KEY_ROOTFS_MANAGED_PATH);
out:
	free(managed);
	return rc;
}

static int fetch_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	struct fetch_cfg cfg;
	const char *command = NULL;
	int rc;

	(void)state;
	rc = fetch_cfg_load(self, ctx, &cfg);
	if (rc)
		return rc;
	if (bp_ctx_get_str(ctx, BP_KEY_IMAGE_COMMAND, &command) == 0 &&
	    command && *command)
		rc = image_cmd_run(self, &cfg, ctx, command);
	else
		rc = ensure_managed(self, &cfg, ctx);
	fetch_cfg_free(&cfg);
	return rc;
}

BP_PLUGIN_DEFINE(.name = "fetch-rootfs", .version = "1.0.0",
		 .summary = "download, verify and unpack the managed rootfs "
			    "image",
		 .options = options, .requires = requires, .provides = provides,
		 .init = fetch_init, .run = fetch_run,
		 .cleanup = fetch_cleanup);
