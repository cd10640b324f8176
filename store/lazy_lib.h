/* A shared library opened on first use (libcurl, libarchive), so a run
 * that downloads and unpacks nothing never maps them. */
#ifndef BP_STORE_LAZY_LIB_H
#define BP_STORE_LAZY_LIB_H

#include <stdbool.h>

struct lazy_lib {
	const char *soname; /* what dlopen loads by default */
	const char *env;    /* variable naming another file to load */
	const char *probe;  /* a symbol: found already, the process links it */
	void *handle;
	char error[1024]; /* the first failure, "" while none */
};

/* Opens @lib: the copy the process links already (a test, an embedder),
 * else the file $env names, else soname. False with lib->error set. */
bool lazy_lib_open(struct lazy_lib *lib);

/* Resolves @name into the function pointer at @slot (NULL when absent,
 * and lib->error says which one was missing first). */
void lazy_lib_sym(struct lazy_lib *lib, const char *name, void *slot);

#endif
