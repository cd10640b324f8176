/* Opening a library on first use: see lazy_lib.h. */
#include "lazy_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool lazy_lib_open(struct lazy_lib *lib)
{
	const char *file = getenv(lib->env);

	if (!file || !*file) {
		if (dlsym(RTLD_DEFAULT, lib->probe)) {
			lib->handle = RTLD_DEFAULT;
			return true;
		}
		dlerror(); /* frees the message glibc keeps */
		file = lib->soname;
	}
	/* never unloaded: its dependencies keep thread-local state */
	lib->handle = dlopen(file, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!lib->handle) {
		snprintf(lib->error, sizeof(lib->error), "%s", dlerror());
		dlerror();
		return false;
	}
	return true;
}

/* dlsym into a function pointer: POSIX guarantees the representation. */
void lazy_lib_sym(struct lazy_lib *lib, const char *name, void *slot)
{
	void *p = dlsym(lib->handle, name);

	memcpy(slot, &p, sizeof(p));
	if (!p)
		dlerror(); /* frees the message glibc keeps */
	if (!p && !lib->error[0])
		snprintf(lib->error, sizeof(lib->error), "%s has no %s",
			 lib->soname, name);
}
