/*
 * Downloads with libcurl: resumable transfers into a `.part` file with the
 * SHA-256 computed while bytes arrive, retries with exponential backoff on
 * 429, 5xx and network errors (at least a 429/503's Retry-After, up to
 * 60 s), and small in-memory fetches for registries.
 * http, https and file URLs; proxies come from the usual environment.
 */
#ifndef BP_STORE_DOWNLOAD_H
#define BP_STORE_DOWNLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

struct dl_request {
	const char *url;
	const char *what;     /* progress label, e.g. "download NAME" */
	long connect_timeout; /* seconds, 0: libcurl default */
	long low_speed_limit; /* bytes/s; below it for low_speed_time... */
	long low_speed_time;  /* ...seconds is a stall (0: no detection) */
	int attempts;	      /* tries for retryable errors, >= 1 */
	long retry_base_ms;   /* first backoff; doubles per retry */
	bool sha256_known;    /* the caller verifies the file's sha256 */
	bool allow_insecure;  /* redirects may lead to http, not just https */
	/* dl_file: the most the file may hold when the server sends no
	 * Content-Length (0: no limit); a Content-Length above it is refused
	 * before a byte is written. @max_size_option names it in errors. */
	uint64_t max_size;
	const char *max_size_option;
	/* Optional callbacks; @user is passed through. */
	void (*progress)(void *user, const char *what, uint64_t done,
			 uint64_t total);
	void (*note)(void *user, const char *message); /* retries, resumes */
	void *user;
};

/*
 * Fetches @r->url into @dest. `<dest>.src` records the URL and the
 * server's ETag / Last-Modified. A @dest left by an earlier run is resumed
 * only when its `.src` names this URL (or, without a `.src`, when
 * @r->sha256_known), with a Range request and If-Range: 206 appends, 200
 * restarts from byte 0, 416 means the file is already whole when
 * @r->sha256_known and restarts otherwise. A 206 whose ETag or
 * Last-Modified differs from the one recorded for the part (a server that
 * ignored If-Range) is another version of the file: the part is discarded
 * and fetched again whole. The file holds at most its Content-Length, or
 * @r->max_size without one. @sha256_out gets the digest of the whole file
 * (the old bytes are hashed first). 0, BP_ENET (HTTP or network error, a
 * body past its limit; the message names the URL and status or limit),
 * BP_EIO (local file), BP_EINTR (interrupted). @dest is kept on failure so
 * a rerun resumes, except when it passed its limit or the file system is
 * full (ENOSPC, EDQUOT, EFBIG): then it is removed.
 */
int dl_file(const struct dl_request *r, const char *dest,
	    char sha256_out[SHA256_HEX_SIZE], char *err, size_t errlen);

/* Fetches @r->url into a malloc'ed, NUL-terminated buffer of at most
 * @max bytes (*buf is the caller's). Same errors as dl_file. */
int dl_buffer(const struct dl_request *r, size_t max, char **buf, size_t *len,
	      char *err, size_t errlen);

/* Removes `<dest>.src`; call it when @dest is renamed or removed. */
void dl_part_forget(const char *dest);

/* The protocols a redirect may lead to: https, plus http when
 * @allow_insecure; never file. */
const char *dl_redirect_protocols(bool allow_insecure);

/* SHA-256 of a whole file, as hex. 0 or BP_EIO. */
int sha256_file(const char *path, char out[SHA256_HEX_SIZE], char *err,
		size_t errlen);

/* True for file:// URLs (local, allowed offline). */
bool url_is_file(const char *url);

#endif
