/* libcurl transfers with resume, retries, stall detection and SHA-256. */
#include "download.h"
#include "byte_size.h"
#include "curl_api.h"
#include "layout.h"
#include "part_write.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <bootpipe/engine.h>
#include <bootpipe/error.h>
#include <bootpipe/plugin.h>

/* Where a `.part` came from, kept beside it in `<part>.src`, so that a
 * resume never completes it from another file. */
struct part_src {
	char url[4096];
	char etag[256];	    /* "" when the server sent none */
	char modified[128]; /* Last-Modified, "" when none */
};

/* Where the bytes of one attempt go: a file (hashed) or a buffer. */
struct sink {
	CURL *curl;
	int fd;		/* -1: memory */
	EVP_MD_CTX *md; /* file sinks only */
	uint64_t have;	/* bytes before this attempt (resume offset) */
	uint64_t got;	/* bytes written in this attempt */
	char *buf;
	size_t len, cap, max;
	bool checked;	 /* status looked at on the first body byte */
	bool restart;	 /* server ignored the range: start over */
	long bad_status; /* an error status whose body we refused */
	int local_errno; /* write to the file failed */
	bool too_big;	 /* memory sink overflow */
	/* file sinks: the most the part may hold in this attempt, and
	 * whether that is the response's Content-Length */
	uint64_t limit;
	bool limit_is_length;
	bool over_limit;       /* the body would have passed limit */
	int64_t announced;     /* a Content-Length past max_size, -1 */
	bool changed;	       /* a 206 of another version of the file */
	bool unproven;	       /* ... or one without the part's validator */
	char changed_how[512]; /* for the message: which validator, old, new */
	bool discard;	       /* the part is of no use to a rerun: remove it */
	long range_start;      /* from Content-Range, -1 when absent */
	long retry_after;      /* seconds from Retry-After, -1 when absent */
	const struct dl_request *req;
	const char *dest;    /* file sinks: the part's path */
	struct part_src src; /* file sinks: the validators of the part */
	char etag[256];	     /* of the current response */
	char modified[128];  /* of the current response */
	char location[512];  /* of the current response, "" when none */
};

/* libcurl, loaded by the first transfer (see curl_api.h). */
static const struct curl_api *cu;

/* A server asking for a longer pause than this is waited for this long;
 * the attempt limit still bounds the whole download. */
#define RETRY_AFTER_MAX_S 60L

bool url_is_file(const char *url)
{
	return strncasecmp(url, "file://", 7) == 0;
}

const char *dl_redirect_protocols(bool allow_insecure)
{
	/* never file://: a server must not point us at local files */
	return allow_insecure ? "http,https" : "https";
}

static int src_path(const char *dest, char *out, size_t len)
{
	int n = snprintf(out, len, "%s.src", dest);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void dl_part_forget(const char *dest)
{
	char path[PATH_MAX + 64];

	if (src_path(dest, path, sizeof(path)) == 0)
		unlink(path);
}

/* Copies the rest of a "key value" line without its line end. */
static void src_value(char *out, size_t len, const char *v)
{
	size_t n = strcspn(v, "\r\n");

	snprintf(out, len, "%.*s", (int)n, v);
}

/* Reads `<dest>.src`; false when there is none (or it is unreadable). */
static bool src_read(const char *dest, struct part_src *ps)
{
	char path[PATH_MAX + 64], line[4200];
	FILE *f;

	memset(ps, 0, sizeof(*ps));
	if (src_path(dest, path, sizeof(path)) != 0 || !(f = fopen(path, "re")))
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "url ", 4))
			src_value(ps->url, sizeof(ps->url), line + 4);
		else if (!strncmp(line, "etag ", 5))
			src_value(ps->etag, sizeof(ps->etag), line + 5);
		else if (!strncmp(line, "modified ", 9))
			src_value(ps->modified, sizeof(ps->modified), line + 9);
	}
	fclose(f);
	return ps->url[0] != '\0';
}

/* Writes `<dest>.src` whole (a temporary file renamed over it). */
static int src_write(const char *dest, const struct part_src *ps)
{
	char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
	FILE *f;
	int fd, ok;

	if (src_path(dest, path, sizeof(path)) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = store_open_new(tmp);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "url %s\n", ps->url);
	if (ps->etag[0])
		fprintf(f, "etag %s\n", ps->etag);
	if (ps->modified[0])
		fprintf(f, "modified %s\n", ps->modified);
	ok = fflush(f) == 0 && !ferror(f);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

/* Keeps a header's value, trimmed, in @out. */
static void header_value(char *out, size_t len, const char *v)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, "\r\n");
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	snprintf(out, len, "%.*s", (int)n, v);
}

static void hex_digest(EVP_MD_CTX *md, char out[SHA256_HEX_SIZE])
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(md, dig, &n);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
	out[64] = '\0';
}

/* Hashes the first @len bytes of @fd into @md. */
static int hash_fd(int fd, uint64_t len, EVP_MD_CTX *md)
{
	static char block[1 << 16];
	uint64_t off = 0;

	while (off < len) {
		size_t want = len - off < sizeof(block) ? (size_t)(len - off)
							: sizeof(block);
		ssize_t n = pread(fd, block, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return -1;
		EVP_DigestUpdate(md, block, (size_t)n);
		off += (uint64_t)n;
	}
	return 0;
}

int sha256_file(const char *path, char out[SHA256_HEX_SIZE], char *err,
		size_t errlen)
{
	struct stat st;
	EVP_MD_CTX *md = NULL;
	int rc = BP_EIO;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0)
		goto out;
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = BP_ENOMEM;
		goto out;
	}
	if (hash_fd(fd, (uint64_t)st.st_size, md) != 0)
		goto out;
	hex_digest(md, out);
	rc = 0;
out:
	if (rc)
		snprintf(err, errlen, "cannot hash %s: %s", path,
			 rc == BP_ENOMEM ? "out of memory" : strerror(errno));
	EVP_MD_CTX_free(md);
	if (fd >= 0)
		close(fd);
	return rc;
}

static bool is_http_ok(long code)
{
	/* 0 is what file:// reports. */
	return code == 0 || code == 200 || code == 206;
}

/*
 * Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date, as seconds
 * from now (a date in the past is 0); -1 when it is neither.
 */
static long parse_retry_after(const char *value)
{
	char *end;
	long long secs;
	time_t when;

	while (*value == ' ' || *value == '\t')
		value++;
	if (*value >= '0' && *value <= '9') {
		errno = 0;
		secs = strtoll(value, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' ||
		       *end == '\n')
			end++;
		if (*end)
			return -1;
		if (errno == ERANGE || secs > INT32_MAX)
			return INT32_MAX; /* capped by retry_wait() */
		return (long)secs;
	}
	when = cu->getdate(value, NULL);
	if (when == -1)
		return -1;
	if (when <= time(NULL))
		return 0;
	if (when - time(NULL) > INT32_MAX)
		return INT32_MAX;
	return (long)(when - time(NULL));
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;
	static const char range[] = "content-range:";
	static const char retry[] = "retry-after:";
	static const char etag[] = "etag:";
	static const char modified[] = "last-modified:";
	static const char location[] = "location:";
	char line[512];
	unsigned long long start;

	if (n >= sizeof(line))
		return n;
	if (n >= 5 && strncasecmp(data, "HTTP/", 5) == 0) {
		/* a new response (after a redirect) */
		s->range_start = -1;
		s->retry_after = -1;
		s->etag[0] = '\0';
		s->modified[0] = '\0';
		s->location[0] = '\0';
		return n;
	}
	memcpy(line, data, n);
	line[n] = '\0';
	if (strncasecmp(line, range, sizeof(range) - 1) == 0 &&
	    sscanf(line + sizeof(range) - 1, " bytes %llu-", &start) == 1)
		s->range_start = (long)start;
	else if (strncasecmp(line, retry, sizeof(retry) - 1) == 0)
		s->retry_after = parse_retry_after(line + sizeof(retry) - 1);
	else if (strncasecmp(line, etag, sizeof(etag) - 1) == 0)
		header_value(s->etag, sizeof(s->etag), line + sizeof(etag) - 1);
	else if (strncasecmp(line, modified, sizeof(modified) - 1) == 0)
		header_value(s->modified, sizeof(s->modified),
			     line + sizeof(modified) - 1);
	else if (strncasecmp(line, location, sizeof(location) - 1) == 0)
		header_value(s->location, sizeof(s->location),
			     line + sizeof(location) - 1);
	return n;
}

/* Records where the part's bytes come from before the first is kept: the
 * URL and this response's validators (a 206 without any keeps the old:
 * the part had none either, or validator_changed refused it). */
static bool record_source(struct sink *s, long code)
{
	bool fresh = code != 206;

	snprintf(s->src.url, sizeof(s->src.url), "%s", s->req->url);
	if (fresh || s->etag[0] || s->modified[0]) {
		snprintf(s->src.etag, sizeof(s->src.etag), "%s", s->etag);
		snprintf(s->src.modified, sizeof(s->src.modified), "%s",
			 s->modified);
	}
	if (src_write(s->dest, &s->src) != 0) {
		s->local_errno = errno;
		return false;
	}
	return true;
}

/*
 * Whether a 206 comes from another version of the file than the part's
 * bytes: its ETag, or without one on both sides its Last-Modified, differs
 * from the one recorded when the part was started. A server that honours
 * If-Range answers 200 then; one that ignores it would splice two files.
 * A 206 without the validator the part recorded cannot show it is the
 * same version, so it counts as changed too.
 */
static bool validator_changed(struct sink *s)
{
	const char *what = NULL, *old = NULL, *now = NULL;

	if (s->src.etag[0] && s->etag[0]) {
		if (strcmp(s->src.etag, s->etag) != 0)
			what = "ETag", old = s->src.etag, now = s->etag;
	} else if (s->src.modified[0] && s->modified[0]) {
		if (strcmp(s->src.modified, s->modified) != 0)
			what = "Last-Modified", old = s->src.modified,
			now = s->modified;
	} else if (s->src.etag[0] || s->src.modified[0]) {
		s->unproven = true;
		snprintf(s->changed_how, sizeof(s->changed_how), "%s %.200s",
			 s->src.etag[0] ? "ETag" : "Last-Modified",
			 s->src.etag[0] ? s->src.etag : s->src.modified);
		return true;
	}
	if (!what)
		return false;
	snprintf(s->changed_how, sizeof(s->changed_how),
		 "%s %.200s, was %.200s", what, now, old);
	return true;
}

/* The most the part may hold: where this response's bytes start plus its
 * Content-Length, else the request's max_size. False (nothing kept) when
 * the announced length is past max_size. */
static bool set_limit(struct sink *s)
{
	curl_off_t length = -1;
	uint64_t max = s->req->max_size ? s->req->max_size : UINT64_MAX;

	cu->easy_getinfo(s->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
	s->limit_is_length = length >= 0;
	if (length < 0) {
		s->limit = max;
		return true;
	}
	if ((uint64_t)length > max || s->have > max - (uint64_t)length) {
		s->announced = (int64_t)length;
		return false;
	}
	s->limit = s->have + (uint64_t)length;
	return true;
}

/* Looks at the response once, before the first body byte is kept. */
static bool check_status(struct sink *s)
{
	long code = 0;

	s->checked = true;
	cu->easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (!is_http_ok(code)) {
		s->bad_status = code;
		return false;
	}
	if (s->fd < 0)
		return true;
	if (code == 206 && s->have > 0 && validator_changed(s)) {
		s->changed = true;
		return false;
	}
	if (!record_source(s, code))
		return false;
	if (s->have > 0 &&
	    (code == 200 || (code == 206 && s->range_start != (long)s->have))) {
		/* Range ignored (or answered from elsewhere): start over. */
		if (ftruncate(s->fd, 0) != 0) {
			s->local_errno = errno;
			return false;
		}
		EVP_DigestInit_ex(s->md, EVP_sha256(), NULL);
		s->have = 0;
		s->restart = true;
	}
	return set_limit(s);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;

	if (!s->checked && !check_status(s))
		return 0;
	if (s->fd < 0) {
		if (s->len + n + 1 > s->max) {
			s->too_big = true;
			return 0;
		}
		if (s->len + n + 1 > s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 65536;
			char *p;

			while (cap < s->len + n + 1)
				cap *= 2;
			p = realloc(s->buf, cap);
			if (!p) {
				s->local_errno = ENOMEM;
				return 0;
			}
			s->buf = p;
			s->cap = cap;
		}
		memcpy(s->buf + s->len, data, n);
		s->len += n;
		s->buf[s->len] = '\0';
		s->got += n;
		return n;
	}
	switch (part_write(s->fd, s->have + s->got, s->limit, data, n,
			   &s->local_errno)) {
	case PART_WRITE_OK:
		break;
	case PART_WRITE_LIMIT:
		s->over_limit = true;
		return 0;
	case PART_WRITE_ERROR:
		return 0;
	}
	EVP_DigestUpdate(s->md, data, n);
	s->got += n;
	return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct sink *s = user;
	const struct dl_request *r = s->req;

	(void)ultotal;
	(void)ulnow;
	if (bp_interrupted())
		return 1;
	if (!r->progress || dlnow <= 0)
		return 0;
	r->progress(r->user, r->what, s->have + (uint64_t)dlnow,
		    dltotal > 0 ? s->have + (uint64_t)dltotal : 0);
	return 0;
}

static void note(const struct dl_request *r, const char *fmt, ...)
    BP_PRINTF(2, 3);
static void note(const struct dl_request *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!r->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->note(r->user, msg);
}

static bool retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
		return true;
	default:
		return false;
	}
}

static bool retryable_status(long code)
{
	return code == 429 || (code >= 500 && code <= 599);
}

/* Sleeps @ms in small steps; false when interrupted. */
static bool backoff(long ms)
{
	const struct timespec step = {0, 20 * 1000 * 1000};

	for (long left = ms; left > 0; left -= 20) {
		if (bp_interrupted())
			return false;
		nanosleep(&step, NULL);
	}
	return !bp_interrupted();
}

static void setup(CURL *c, const struct dl_request *r, struct sink *s,
		  char *errbuf)
{
	static char agent[64];

	snprintf(agent, sizeof(agent), "bootpipe/%s", bp_version());
	cu->easy_setopt(c, CURLOPT_URL, r->url);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	cu->easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	cu->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
			dl_redirect_protocols(r->allow_insecure));
	cu->easy_setopt(c, CURLOPT_USERAGENT, agent);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, s);
	cu->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	cu->easy_setopt(c, CURLOPT_HEADERDATA, s);
	cu->easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	cu->easy_setopt(c, CURLOPT_XFERINFODATA, s);
	cu->easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	if (r->connect_timeout > 0)
		cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, r->connect_timeout);
	if (r->low_speed_time > 0) {
		cu->easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT,
				r->low_speed_limit > 0 ? r->low_speed_limit
						       : 1L);
		cu->easy_setopt(c, CURLOPT_LOW_SPEED_TIME, r->low_speed_time);
	}
}

enum attempt_result { DONE, RETRY, FAIL, RESTART };

/* If-Range for a resume: the part's strong ETag, else its Last-Modified;
 * a server whose file changed then sends it whole (200) instead of the
 * rest of another file. NULL when the part has no validator. */
static struct curl_slist *if_range(const struct sink *s)
{
	char h[400];
	const char *v = s->src.etag[0] && strncmp(s->src.etag, "W/", 2)
			    ? s->src.etag
			    : s->src.modified;

	if (!v[0])
		return NULL;
	snprintf(h, sizeof(h), "If-Range: %s", v);
	return cu->slist_append(NULL, h);
}

/* Starts the part over from byte 0. */
static int part_restart(struct sink *s)
{
	if (ftruncate(s->fd, 0) != 0)
		return -1;
	memset(&s->src, 0, sizeof(s->src));
	s->have = 0;
	EVP_DigestInit_ex(s->md, EVP_sha256(), NULL);
	return 0;
}

/* The part could not take the bytes; a full file system makes it useless
 * to a rerun (and leaves the others no room), so it goes. */
static enum attempt_result store_failed(const struct dl_request *r,
					struct sink *s, int *rc, char *err,
					size_t errlen)
{
	const char *slash = s->dest ? strrchr(s->dest, '/') : NULL;
	int e = s->local_errno;

	*rc = e == ENOMEM ? BP_ENOMEM : BP_EIO;
	s->discard = e == ENOSPC || e == EDQUOT || e == EFBIG;
	if (e == ENOSPC || e == EDQUOT)
		snprintf(err, errlen,
			 "GET %s: %s on %.*s; the partial download is removed",
			 r->url,
			 e == ENOSPC ? "no space left" : "disk quota exceeded",
			 slash ? (int)(slash - s->dest) : 1,
			 slash ? s->dest : ".");
	else
		snprintf(err, errlen,
			 "GET %s: cannot store the bytes%s%s: %s%s", r->url,
			 s->dest ? " in " : "", s->dest ? s->dest : "",
			 strerror(e),
			 s->discard ? "; the partial download is removed" : "");
	return FAIL;
}

/* The body passed its limit, or announced it would. */
static enum attempt_result limit_failed(const struct dl_request *r,
					struct sink *s, int *rc, char *err,
					size_t errlen)
{
	const char *opt = r->max_size_option ? r->max_size_option : "the limit";
	char max[64];

	byte_size_format(r->max_size, max, sizeof(max));
	*rc = BP_ENET;
	s->discard = true;
	if (s->announced >= 0)
		snprintf(err, errlen,
			 "GET %s: the server announces %" PRId64
			 " bytes%s, more than the download limit of %s (%s); "
			 "nothing was kept",
			 r->url, s->announced, s->have ? " more" : "", max,
			 opt);
	else if (s->limit_is_length)
		snprintf(err, errlen,
			 "GET %s: the body is longer than its Content-Length "
			 "(%" PRIu64 " bytes in all); the partial download is "
			 "removed",
			 r->url, s->limit);
	else
		snprintf(err, errlen,
			 "GET %s: more than the download limit of %s (%s; the "
			 "server sent no Content-Length); the partial download "
			 "is removed",
			 r->url, max, opt);
	return FAIL;
}

/* One transfer; classifies the result and fills @err on failure. */
static enum attempt_result attempt(const struct dl_request *r, struct sink *s,
				   int *rc, char *err, size_t errlen)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	char range[32];
	long code = 0;
	CURLcode cc;

	s->curl = cu->easy_init();
	if (!s->curl) {
		snprintf(err, errlen, "GET %s: cannot start libcurl", r->url);
		*rc = BP_ENOMEM;
		return FAIL;
	}
	setup(s->curl, r, s, errbuf);
	if (s->fd >= 0 && s->have > 0) {
		snprintf(range, sizeof(range), "%" PRIu64 "-", s->have);
		cu->easy_setopt(s->curl, CURLOPT_RANGE, range);
		headers = if_range(s);
		if (headers)
			cu->easy_setopt(s->curl, CURLOPT_HTTPHEADER, headers);
	}
	cc = cu->easy_perform(s->curl);
	cu->easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_UNSUPPORTED_PROTOCOL && s->location[0])
		snprintf(
		    errbuf, sizeof(errbuf),
		    "redirected to %.*s, which is not %s", 160, s->location,
		    r->allow_insecure ? "http or https"
				      : "https (allow_insecure_url = true also "
					"follows plain http)");
	cu->easy_cleanup(s->curl);
	cu->slist_free_all(headers);
	s->curl = NULL;

	if (s->restart)
		note(r,
		     "%s ignored the range request; downloading from the "
		     "start",
		     r->url);
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(err, errlen, "GET %s: interrupted", r->url);
		*rc = BP_EINTR;
		return FAIL;
	}
	if (s->changed) {
		if (s->unproven)
			note(r,
			     "%s answered the resume of %s without the %s it "
			     "was started with, so its bytes may be another "
			     "version's; discarding the %" PRIu64
			     " bytes downloaded and downloading from the start",
			     r->url, s->dest, s->changed_how, s->have);
		else
			note(r,
			     "%s changed since %s was started (%s) and the "
			     "server ignored If-Range; discarding the %" PRIu64
			     " bytes downloaded and downloading from the start",
			     r->url, s->dest, s->changed_how, s->have);
		if (part_restart(s) != 0) {
			snprintf(err, errlen, "GET %s: cannot truncate: %s",
				 r->url, strerror(errno));
			*rc = BP_EIO;
			return FAIL;
		}
		snprintf(err, errlen,
			 "GET %s: the file changed during the download",
			 r->url);
		*rc = BP_ENET;
		return RESTART;
	}
	if (s->local_errno)
		return store_failed(r, s, rc, err, errlen);
	if (s->over_limit || s->announced >= 0)
		return limit_failed(r, s, rc, err, errlen);
	if (s->too_big) {
		snprintf(err, errlen, "GET %s: larger than %zu bytes", r->url,
			 s->max);
		*rc = BP_ENET;
		return FAIL;
	}
	if (code == 416 && s->fd >= 0 && s->have > 0) {
		/* Nothing left to send: the part is whole if it is the right
		 * file, which only a known checksum can tell. */
		if (r->sha256_known) {
			*rc = 0;
			return DONE;
		}
		note(r,
		     "%s answered 416 to a resume at byte %" PRIu64
		     " and no sha256 can check the part; downloading from "
		     "the start",
		     r->url, s->have);
		if (part_restart(s) != 0) {
			snprintf(err, errlen, "GET %s: cannot truncate: %s",
				 r->url, strerror(errno));
			*rc = BP_EIO;
			return FAIL;
		}
		return RESTART;
	}
	if (s->bad_status || (cc == CURLE_OK && !is_http_ok(code))) {
		long st = s->bad_status ? s->bad_status : code;

		snprintf(err, errlen, "GET %s: HTTP %ld", r->url, st);
		*rc = BP_ENET;
		/* Retry-After only means "come back later" with these. */
		if (st != 429 && st != 503)
			s->retry_after = -1;
		return retryable_status(st) ? RETRY : FAIL;
	}
	if (cc == CURLE_BAD_DOWNLOAD_RESUME && s->fd >= 0 && s->have > 0) {
		/* A part longer than the file (file://): start over. */
		if (ftruncate(s->fd, 0) == 0) {
			snprintf(err, errlen,
				 "GET %s: partial file is longer "
				 "than the source",
				 r->url);
			*rc = BP_ENET;
			return RETRY;
		}
	}
	if (cc == CURLE_OUT_OF_MEMORY || cc == CURLE_WEIRD_SERVER_REPLY) {
		/* libcurl says "Out of memory" for a header past its 100 KiB
		 * limit: the server's fault, not the machine's */
		const char *why = cc == CURLE_OUT_OF_MEMORY ? "over 100 KiB"
				  : errbuf[0]		    ? errbuf
							    : "unreadable";

		snprintf(err, errlen,
			 "GET %s: the response header is too large or "
			 "malformed (%s); the server is broken or not an "
			 "HTTP server",
			 r->url, why);
		*rc = BP_ENET;
		return FAIL;
	}
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "GET %s: %s", r->url,
			 errbuf[0] ? errbuf : cu->easy_strerror(cc));
		*rc = BP_ENET;
		return retryable_curl(cc) ? RETRY : FAIL;
	}
	*rc = 0;
	return DONE;
}

/* The pause before the next attempt: our backoff, or the server's
 * Retry-After (capped) when that is longer. */
static long retry_wait(const struct sink *s, long backoff_ms)
{
	long asked;

	if (s->retry_after < 0)
		return backoff_ms;
	asked = s->retry_after > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S
						   : s->retry_after;
	return asked * 1000 > backoff_ms ? asked * 1000 : backoff_ms;
}

static int run_attempts(const struct dl_request *r, struct sink *s, char *err,
			size_t errlen)
{
	int attempts = r->attempts > 0 ? r->attempts : 1;
	long delay = r->retry_base_ms > 0 ? r->retry_base_ms : 0;
	bool restarted = false;
	int rc = BP_ENET;

	for (int i = 1; i <= attempts; i++) {
		struct stat st;
		enum attempt_result res;
		long wait;

		s->got = 0;
		s->checked = false;
		s->restart = false;
		s->bad_status = 0;
		s->range_start = -1;
		s->retry_after = -1;
		s->len = 0;
		s->over_limit = false;
		s->announced = -1;
		s->changed = false;
		s->unproven = false;
		if (s->fd >= 0) {
			/* Resume from whatever is on disk now. */
			if (fstat(s->fd, &st) != 0) {
				snprintf(err, errlen, "cannot stat: %s",
					 strerror(errno));
				return BP_EIO;
			}
			s->have = (uint64_t)st.st_size;
			EVP_DigestInit_ex(s->md, EVP_sha256(), NULL);
			if (hash_fd(s->fd, s->have, s->md) != 0) {
				snprintf(err, errlen, "cannot read back: %s",
					 strerror(errno));
				return BP_EIO;
			}
			if (s->have > 0)
				note(r,
				     "resuming %s at byte %" PRIu64
				     " (attempt %d of %d)",
				     r->url, s->have, i, attempts);
		}
		res = attempt(r, s, &rc, err, errlen);
		if (res == DONE || res == FAIL)
			return rc;
		if (res == RESTART && !restarted) {
			/* not a failure: this attempt starts over at once */
			restarted = true;
			i--;
			continue;
		}
		if (i == attempts)
			break;
		wait = retry_wait(s, delay);
		if (s->retry_after < 0)
			note(r, "%s; retrying in %ld ms (attempt %d of %d)",
			     err, wait, i + 1, attempts);
		else
			note(r,
			     "%s; retrying in %ld ms (Retry-After: %ld s, "
			     "honoured up to %ld s; attempt %d of %d)",
			     err, wait, s->retry_after, RETRY_AFTER_MAX_S,
			     i + 1, attempts);
		if (!backoff(wait)) {
			snprintf(err, errlen, "GET %s: interrupted", r->url);
			return BP_EINTR;
		}
		delay = delay * 2 > 30000 ? 30000 : delay * 2;
	}
	if (attempts > 1) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, " (gave up after %d attempts)",
			 attempts);
	}
	return rc;
}

/*
 * Whether the bytes already in the part may be resumed: they must come from
 * this URL (its `.src` says so). A part without a `.src` (left by an older
 * version) is resumed only when a sha256 will check the result.
 */
static bool part_trusted(const struct dl_request *r, struct sink *s)
{
	struct stat st;

	if (fstat(s->fd, &st) != 0 || st.st_size == 0)
		return true;
	if (src_read(s->dest, &s->src)) {
		if (!strcmp(s->src.url, r->url))
			return true;
		note(r,
		     "%s holds a partial download of %s, not %s; downloading "
		     "from the start",
		     s->dest, s->src.url, r->url);
		return false;
	}
	if (r->sha256_known)
		return true;
	note(r,
	     "%s has no record of its source and no sha256 can check it; "
	     "downloading from the start",
	     s->dest);
	return false;
}

int dl_file(const struct dl_request *r, const char *dest,
	    char sha256_out[SHA256_HEX_SIZE], char *err, size_t errlen)
{
	struct sink s = {.fd = -1, .req = r};
	int rc = curl_api_load(&cu, err, errlen);

	if (rc)
		return rc;
	cu->global_init(CURL_GLOBAL_DEFAULT);
	/* a resumable part: kept, but never opened through a symlink */
	s.fd = store_openat(dest, O_RDWR | O_CREAT, 0644);
	if (s.fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s%s", dest,
			 strerror(errno),
			 errno == ELOOP ? " (a symbolic link: remove it)" : "");
		rc = BP_EIO;
		goto out;
	}
	s.md = EVP_MD_CTX_new();
	if (!s.md) {
		snprintf(err, errlen, "out of memory");
		rc = BP_ENOMEM;
		goto out_close;
	}
	s.dest = dest;
	if (!part_trusted(r, &s) && part_restart(&s) != 0) {
		snprintf(err, errlen, "cannot truncate %s: %s", dest,
			 strerror(errno));
		rc = BP_EIO;
		goto out_free;
	}
	rc = run_attempts(r, &s, err, errlen);
	if (rc == 0 && fsync(s.fd) != 0) {
		s.local_errno = errno;
		store_failed(r, &s, &rc, err, errlen);
	}
	if (rc == 0)
		hex_digest(s.md, sha256_out);
	if (r->progress && rc == 0)
		r->progress(r->user, r->what, s.have + s.got, s.have + s.got);
	/* Keep a partial download for the next run, not an empty file nor
	 * one that cannot be completed. */
	if (rc && (s.discard || s.have + s.got == 0)) {
		unlink(dest);
		dl_part_forget(dest);
	}
out_free:
	EVP_MD_CTX_free(s.md);
out_close:
	close(s.fd);
out:
	cu->global_cleanup();
	return rc;
}

int dl_buffer(const struct dl_request *r, size_t max, char **buf, size_t *len,
	      char *err, size_t errlen)
{
	struct sink s = {.fd = -1, .req = r, .max = max};
	int rc;

	*buf = NULL;
	*len = 0;
	rc = curl_api_load(&cu, err, errlen);
	if (rc)
		return rc;
	cu->global_init(CURL_GLOBAL_DEFAULT);
	rc = run_attempts(r, &s, err, errlen);
	cu->global_cleanup();
	if (rc) {
		free(s.buf);
		return rc;
	}
	if (!s.buf) {
		s.buf = malloc(1);
		if (!s.buf)
			return BP_ENOMEM;
		s.buf[0] = '\0';
	}
	*buf = s.buf;
	*len = s.len;
	return 0;
}
