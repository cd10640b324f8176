/* libcurl through dlopen, resolved once. */
#include "curl_api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

#define LIBCURL_SONAME "libcurl.so.4"

static struct curl_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[1024];

/* dlsym into a function pointer: POSIX guarantees the representation. */
static void sym(void *lib, const char *name, void *slot)
{
	void *p = dlsym(lib, name);

	memcpy(slot, &p, sizeof(p));
	if (!p)
		dlerror(); /* frees the message glibc keeps */
	if (!p && !load_error[0])
		snprintf(load_error, sizeof(load_error), "%s has no %s",
			 LIBCURL_SONAME, name);
}

/* The library to resolve from: a copy the process links already (a test,
 * an embedder), else the file dlopen'ed. False with load_error set. */
static bool open_lib(void **lib)
{
	const char *file = getenv("BOOTPIPE_LIBCURL");

	if (!file || !*file) {
		if (dlsym(RTLD_DEFAULT, "curl_easy_init")) {
			*lib = RTLD_DEFAULT;
			return true;
		}
		dlerror(); /* frees the message glibc keeps */
		file = LIBCURL_SONAME;
	}
	/* never unloaded: its dependencies keep thread-local state */
	*lib = dlopen(file, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!*lib) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		dlerror();
		return false;
	}
	return true;
}

static void load(void)
{
	void *lib;

	if (!open_lib(&lib))
		return;
	sym(lib, "curl_global_init", &api.global_init);
	sym(lib, "curl_global_cleanup", &api.global_cleanup);
	sym(lib, "curl_easy_init", &api.easy_init);
	sym(lib, "curl_easy_setopt", &api.easy_setopt);
	sym(lib, "curl_easy_getinfo", &api.easy_getinfo);
	sym(lib, "curl_easy_perform", &api.easy_perform);
	sym(lib, "curl_easy_cleanup", &api.easy_cleanup);
	sym(lib, "curl_easy_strerror", &api.easy_strerror);
	sym(lib, "curl_slist_append", &api.slist_append);
	sym(lib, "curl_slist_free_all", &api.slist_free_all);
	sym(lib, "curl_getdate", &api.getdate);
}

int curl_api_load(const struct curl_api **out, char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (load_error[0]) {
		snprintf(err, errlen,
			 "cannot load libcurl, needed to download: %s "
			 "(install libcurl4: apt-get install libcurl4)",
			 load_error);
		return BP_EINFRA;
	}
	*out = &api;
	return 0;
}
