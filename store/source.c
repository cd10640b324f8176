/*
 * Where an image comes from: the registry (loaded once, includes
 * followed) or the url template, and whether that source may be used.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/util.h>

#include "download.h"
#include "layout.h"
#include "source.h"
#include "store.h"

/* Registries are small; anything bigger is not one. */
#define REGISTRY_MAX_BYTES (16u << 20)

int bp_store_fail(struct bp_store *s, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return status;
}

void bp_store_log(struct bp_store *s, enum bp_log_level level, const char *fmt,
		  ...)
{
	char line[8192];
	va_list ap;

	if (!s->hooks.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->hooks.log(s->hooks.user, level, line);
}

void bp_store_init(struct bp_store *s, const char *dir)
{
	memset(s, 0, sizeof(*s));
	s->dir = dir;
	s->policy_where = "the fetch-rootfs section";
	s->attempts = 5;
	s->retry_delay_ms = 1000;
	s->connect_timeout = 30;
	s->stall_timeout = 60;
	s->stall_speed = 1024;
	s->max_download_size = STORE_MAX_DOWNLOAD_SIZE;
	s->registry_limits.max_documents = REGISTRY_MAX_DOCUMENTS;
	s->registry_limits.max_bytes = REGISTRY_MAX_TOTAL_BYTES;
	s->auto_sync = true;
	s->auto_sync_threshold = 60 * 60 * 24 * 7;
	s->auto_sync_option = -1;
	s->auto_sync_threshold_option = -1;
}

void bp_store_fini(struct bp_store *s)
{
	registry_free(&s->reg);
	s->registry_loaded = false;
}

static void on_note(void *user, const char *message)
{
	bp_store_log(user, BP_LOG_WARN, "%s", message);
}

void store_on_progress(void *user, const char *what, uint64_t done,
		       uint64_t total)
{
	struct bp_store *s = user;

	if (s->hooks.progress)
		s->hooks.progress(s->hooks.user, what, done, total);
}

void store_progress_end(struct bp_store *s)
{
	if (s->hooks.progress_end)
		s->hooks.progress_end(s->hooks.user);
}

void store_dl_defaults(struct bp_store *s, struct dl_request *r,
		       const char *url, const char *what)
{
	memset(r, 0, sizeof(*r));
	r->url = url;
	r->what = what;
	r->connect_timeout = (long)s->connect_timeout;
	r->low_speed_limit = (long)s->stall_speed;
	r->low_speed_time = (long)s->stall_timeout;
	r->attempts = (int)s->attempts;
	r->retry_base_ms = (long)s->retry_delay_ms;
	r->allow_insecure = s->allow_insecure_url;
	r->max_size = s->max_download_size;
	r->max_size_option = "[fetch-rootfs] max_download_size";
	r->progress = store_on_progress;
	r->note = on_note;
	r->user = s;
}

int store_source_allowed(const struct bp_store *s, const char *url,
			 const char *sha256, const char *origin, char *err,
			 size_t errlen)
{
	if (url_is_file(url))
		return 0;
	if (strncasecmp(url, "https://", 8) != 0 && !s->allow_insecure_url) {
		snprintf(err, errlen,
			 "refusing to download %s (%s): not an https URL, so "
			 "anyone on the way could change it; use https or set "
			 "allow_insecure_url = true in %s",
			 url, origin, s->policy_where);
		return BP_ECONFIG;
	}
	if (sha256 && !sha256[0] && !s->allow_unverified) {
		snprintf(err, errlen,
			 "refusing to download %s (%s): no sha256 to verify "
			 "it; set sha256 = <64 hex digits> or allow_unverified "
			 "= true in %s",
			 url, origin, s->policy_where);
		return BP_ECONFIG;
	}
	return 0;
}

static int fetch_registry(void *user, const char *url, char **buf, size_t *len,
			  char *err, size_t errlen)
{
	struct bp_store *s = user;
	struct dl_request r;
	int rc;

	if (s->offline && !url_is_file(url)) {
		snprintf(err, errlen,
			 "offline: cannot fetch registry %s (copy it to a "
			 "local file and point `registry` at it)",
			 url);
		return BP_EINFRA;
	}
	rc = store_source_allowed(s, url, NULL, "registry", err, errlen);
	if (rc)
		return rc;
	store_dl_defaults(s, &r, url, "registry");
	r.progress = NULL;
	return dl_buffer(&r, REGISTRY_MAX_BYTES, buf, len, err, errlen);
}

static int load_from(struct bp_store *s, const char *source, char *msg,
		     size_t msglen)
{
	/* the store's own registry is axbuild's default.toml */
	int rc = registry_load_limited(&s->reg, source, s->cache_dir != NULL,
				       &s->registry_limits, fetch_registry, s,
				       msg, msglen);

	if (rc)
		registry_free(&s->reg);
	return rc;
}

static int cache_path(const struct bp_store *s, const char *file, char *out,
		      size_t len)
{
	int n = snprintf(out, len, "%s/%s", s->cache_dir, file);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Seconds since the last sync; -1 when never (or unreadable). */
static int64_t cache_age(const struct bp_store *s)
{
	char path[PATH_MAX], buf[32], *why = NULL;
	FILE *f;
	long long when;
	int fd;
	char *end;

	if (cache_path(s, ".last_sync", path, sizeof(path)))
		return -1;
	fd = bp_open_config(path, ".last_sync", &why);
	free(why);
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	errno = 0;
	when = strtoll(buf, &end, 10);
	if (errno || end == buf || when < 0)
		return -1;
	return (int64_t)time(NULL) - when;
}

static int cache_write(struct bp_store *s)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], err[1024];
	FILE *f;
	int fd, rc;

	if (cache_path(s, "images.toml", path, sizeof(path)) ||
	    cache_path(s, ".last_sync.tmp", tmp, sizeof(tmp)))
		return bp_store_fail(s, BP_EINVAL, "path too long: %s",
				     s->cache_dir);
	rc = store_mkdir(s->cache_dir, err, sizeof(err));
	if (!rc)
		rc = registry_write(&s->reg, path, err, sizeof(err));
	if (rc)
		return bp_store_fail(s, rc, "%s", err);
	/* like the store's other temporaries: never through a link */
	fd = store_open_new(tmp);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f || fprintf(f, "%lld", (long long)time(NULL)) < 0 ||
	    fclose(f) != 0) {
		int e = errno;

		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		unlink(tmp);
		return bp_store_fail(s, BP_EIO, "cannot write %s: %s", tmp,
				     strerror(e));
	}
	cache_path(s, ".last_sync", path, sizeof(path));
	if (rename(tmp, path) != 0)
		return bp_store_fail(s, BP_EIO, "cannot write %s: %s", path,
				     strerror(errno));
	return 0;
}

/* The registry, else the fallback, into s->reg and the cache. */
static int sync_registry(struct bp_store *s)
{
	char msg[4096], fmsg[4096];
	const char *used = s->registry;
	int rc = load_from(s, s->registry, msg, sizeof(msg));

	if (rc && rc != BP_ECONFIG && s->fallback_registry &&
	    strcmp(s->fallback_registry, s->registry) != 0) {
		bp_store_log(s, BP_LOG_WARN,
			     "registry %s: %s; using the fallback %s",
			     s->registry, msg, s->fallback_registry);
		used = s->fallback_registry;
		rc = load_from(s, used, fmsg, sizeof(fmsg));
		if (rc)
			return bp_store_fail(
			    s, rc, "registry %s: %s; fallback registry %s: %s",
			    s->registry, msg, used, fmsg);
	}
	if (rc)
		return bp_store_fail(s, rc, "registry %s: %s", s->registry,
				     msg);
	if (s->dry_run)
		return 0;
	rc = cache_write(s);
	if (rc == 0)
		bp_store_log(s, BP_LOG_INFO,
			     "synced the image registry from %s (%zu images) "
			     "into %s/images.toml",
			     used, s->reg.count, s->cache_dir);
	return rc;
}

static int registry_load_cached(struct bp_store *s)
{
	char path[PATH_MAX], msg[4096];
	int64_t age = cache_age(s);
	bool have;
	int rc;

	if (cache_path(s, "images.toml", path, sizeof(path)))
		return bp_store_fail(s, BP_EINVAL, "path too long: %s",
				     s->cache_dir);
	have = access(path, F_OK) == 0;
	if (have && !s->force_sync &&
	    (s->offline || !s->auto_sync || s->auto_sync_threshold == 0 ||
	     (age >= 0 && age < s->auto_sync_threshold))) {
		rc = load_from(s, path, msg, sizeof(msg));
		if (rc == 0)
			return 0;
		bp_store_log(s, BP_LOG_WARN, "cached registry %s: %s", path,
			     msg);
	}
	if (s->offline && !url_is_file(s->registry) &&
	    strstr(s->registry, "://"))
		return bp_store_fail(
		    s, BP_EINFRA,
		    "offline: no cached registry %s; run `bootpipe image "
		    "sync` while online, or point `registry` at a local file",
		    path);
	rc = sync_registry(s);
	if (rc && have && !s->force_sync) {
		bp_store_log(s, BP_LOG_WARN, "%s; using the cached %s", s->err,
			     path);
		rc = load_from(s, path, msg, sizeof(msg));
		if (rc)
			return bp_store_fail(s, rc, "cached registry %s: %s",
					     path, msg);
	}
	return rc;
}

int bp_store_registry_load(struct bp_store *s)
{
	char msg[4096];
	int rc;

	if (!s->registry || s->registry_loaded)
		return 0;
	if (s->cache_dir) {
		rc = registry_load_cached(s);
	} else {
		rc = load_from(s, s->registry, msg, sizeof(msg));
		if (rc)
			bp_store_fail(s, rc, "registry %s: %s", s->registry,
				      msg);
	}
	if (rc == 0)
		s->registry_loaded = true;
	return rc;
}

/* Appends @s (or its @n first bytes) to out; false when it overflows. */
static bool put(char *out, size_t size, size_t *len, const char *str, size_t n)
{
	if (*len + n >= size)
		return false;
	memcpy(out + *len, str, n);
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

static int expand_template(struct bp_store *s, const char *name,
			   const char *arch, char *out, size_t size)
{
	const char *tpl = s->url_template;
	const char *where = s->url_origin ? s->url_origin : "url";
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
			return bp_store_fail(s, BP_ECONFIG,
					     "%s: url `%s` has an unclosed `{`",
					     where, tpl);
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
			return bp_store_fail(
			    s, BP_ECONFIG,
			    "%s: url `%s` has unknown placeholder `%.*s` "
			    "(known: {image}, {name}, {arch}, {distro})",
			    where, tpl, (int)(klen + 2), open);
		if (!put(out, size, &len, val, strlen(val)))
			goto too_long;
		p = close + 1;
	}
	return 0;
too_long:
	return bp_store_fail(s, BP_ECONFIG,
			     "url `%s` expands to more than %zu bytes", tpl,
			     size - 1);
}

int bp_store_source_find(struct bp_store *s, const char *name, const char *arch,
			 const char *version, struct bp_store_source *src)
{
	char err[4096];
	int rc;

	memset(src, 0, sizeof(*src));
	s->err[0] = '\0';
	if (s->registry) {
		const struct reg_image *img;

		rc = bp_store_registry_load(s);
		if (rc)
			return rc;
		img = registry_find(&s->reg, name, arch, version, err,
				    sizeof(err));
		if (img) {
			snprintf(src->url, sizeof(src->url), "%s", img->url);
			snprintf(src->sha256, sizeof(src->sha256), "%s",
				 img->sha256);
			snprintf(src->origin, sizeof(src->origin),
				 "registry %s %s", img->version, img->origin);
			return 0;
		}
		if (!s->url_template)
			return bp_store_fail(s, BP_ENOENT, "%s (registry %s)",
					     err, s->registry);
	}
	if (!s->url_template)
		return bp_store_fail(s, BP_ENOENT,
				     "no source is configured: set option "
				     "`url` (and `sha256`) or `registry`");
	rc = expand_template(s, name, arch, src->url, sizeof(src->url));
	if (rc)
		return rc;
	if (s->sha256)
		sha256_hex_parse(s->sha256, src->sha256);
	snprintf(src->origin, sizeof(src->origin), "url option (%s)",
		 s->url_origin ? s->url_origin : "url");
	return 0;
}
