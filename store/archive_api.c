/* libarchive through dlopen, resolved once. */
#include "archive_api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

#define LIBARCHIVE_SONAME "libarchive.so.13"

static struct archive_api api;
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
			 LIBARCHIVE_SONAME, name);
}

/* The library to resolve from: a copy the process links already (a test,
 * an embedder), else the file dlopen'ed. False with load_error set. */
static bool open_lib(void **lib)
{
	const char *file = getenv("BOOTPIPE_LIBARCHIVE");

	if (!file || !*file) {
		if (dlsym(RTLD_DEFAULT, "archive_read_new")) {
			*lib = RTLD_DEFAULT;
			return true;
		}
		dlerror(); /* frees the message glibc keeps */
		file = LIBARCHIVE_SONAME;
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
	sym(lib, "archive_read_new", &api.read_new);
	sym(lib, "archive_read_support_filter_all",
	    &api.read_support_filter_all);
	sym(lib, "archive_read_support_format_tar",
	    &api.read_support_format_tar);
	sym(lib, "archive_read_open_filename", &api.read_open_filename);
	sym(lib, "archive_read_next_header", &api.read_next_header);
	sym(lib, "archive_read_data_block", &api.read_data_block);
	sym(lib, "archive_read_free", &api.read_free);
	sym(lib, "archive_errno", &api.errno_of);
	sym(lib, "archive_error_string", &api.error_string);
	sym(lib, "archive_entry_pathname", &api.entry_pathname);
	sym(lib, "archive_entry_hardlink", &api.entry_hardlink);
	sym(lib, "archive_entry_filetype", &api.entry_filetype);
	sym(lib, "archive_entry_size", &api.entry_size);
	sym(lib, "archive_entry_size_is_set", &api.entry_size_is_set);
}

int archive_api_load(const struct archive_api **out, char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (load_error[0]) {
		snprintf(err, errlen,
			 "cannot load libarchive, needed to unpack images: %s "
			 "(install libarchive13: apt-get install libarchive13)",
			 load_error);
		return BP_EINFRA;
	}
	*out = &api;
	return 0;
}
