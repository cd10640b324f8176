/*
 * libcurl, loaded on first use: nothing maps libcurl (and the forty
 * libraries it pulls in) until a byte must be downloaded, so `check` and
 * `plan` start fast. Headers give the types; dlopen gives the code.
 */
#ifndef BP_STORE_CURL_API_H
#define BP_STORE_CURL_API_H

#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

struct curl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *curl);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list,
					   const char *s);
	void (*slist_free_all)(struct curl_slist *list);
	time_t (*getdate)(const char *p, const time_t *unused);
};

/*
 * Loads libcurl once per process (BOOTPIPE_LIBCURL names another file
 * than libcurl.so.4) and keeps it mapped. 0 and *api; BP_EINFRA with the
 * dlerror and the fix in @err when it is missing or lacks a function.
 */
int curl_api_load(const struct curl_api **api, char *err, size_t errlen);

#endif
