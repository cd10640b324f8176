/* libcurl through dlopen, resolved once. */
#include "curl_api.h"

#include <pthread.h>
#include <stdio.h>

#include <bootpipe/error.h>

#include "lazy_lib.h"

static struct curl_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct lazy_lib lib = {.soname = "libcurl.so.4",
			      .env = "BOOTPIPE_LIBCURL",
			      .probe = "curl_easy_init"};

static void load(void)
{
	if (!lazy_lib_open(&lib))
		return;
	lazy_lib_sym(&lib, "curl_global_init", &api.global_init);
	lazy_lib_sym(&lib, "curl_global_cleanup", &api.global_cleanup);
	lazy_lib_sym(&lib, "curl_easy_init", &api.easy_init);
	lazy_lib_sym(&lib, "curl_easy_setopt", &api.easy_setopt);
	lazy_lib_sym(&lib, "curl_easy_getinfo", &api.easy_getinfo);
	lazy_lib_sym(&lib, "curl_easy_perform", &api.easy_perform);
	lazy_lib_sym(&lib, "curl_easy_cleanup", &api.easy_cleanup);
	lazy_lib_sym(&lib, "curl_easy_strerror", &api.easy_strerror);
	lazy_lib_sym(&lib, "curl_slist_append", &api.slist_append);
	lazy_lib_sym(&lib, "curl_slist_free_all", &api.slist_free_all);
	lazy_lib_sym(&lib, "curl_getdate", &api.getdate);
}

int curl_api_load(const struct curl_api **out, char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (lib.error[0]) {
		snprintf(err, errlen,
			 "cannot load libcurl, needed to download: %s "
			 "(install libcurl4: apt-get install libcurl4)",
			 lib.error);
		return BP_EINFRA;
	}
	*out = &api;
	return 0;
}
