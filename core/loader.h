/*
 * The plugin loader: finds stage plugins in the search path, opens each
 * file once, and checks its descriptor before anything else is read.
 * Works on its own struct and reports through a struct bp_err, so it runs
 * without an engine.
 */
#ifndef BOOTPIPE_LOADER_H
#define BOOTPIPE_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include <bootpipe/engine.h>
#include <bootpipe/plugin.h>

#include "err.h"

struct loaded_plugin {
	char *path;
	void *handle;
	struct bp_plugin desc; /* the loader's zeroed, size-gated copy */
	/* the option table copied entry by entry with the plugin's stride;
	 * desc.options points here */
	struct bp_option *options;
	struct loaded_plugin *next;
};

/* Zero-initialise; loader_release frees what it holds. */
struct loader {
	char **dirs; /* searched first, in order (--plugin-dir) */
	size_t dir_count;
	/* load plugins other users could have changed */
	bool allow_unsafe;
	struct loaded_plugin *plugins; /* every file opened, once each */
};

/* Appends a search directory; 0, BP_EINVAL or BP_ENOMEM. */
int loader_add_dir(struct loader *ld, const char *dir);
/* A name is looked up as NAME.so in the dirs, BOOTPIPE_PLUGIN_PATH and the
 * library's plugin directory; a value with a / is a path. The plugin stays
 * owned by @ld. */
int loader_find(struct loader *ld, struct bp_err *err, const char *name_or_path,
		struct loaded_plugin **out);
/* Every plugin file of the search path, first found wins per name; a
 * rejected file is passed with its message. */
int loader_foreach(struct loader *ld, struct bp_err *err, bp_plugin_visit_fn fn,
		   void *user);
/* Closes every plugin and frees the dirs. */
void loader_release(struct loader *ld);
bool plugin_name_valid(const char *name);

/* plugin_header.c: the descriptor header read from a plugin file without
 * loading it (ELF64 of this machine's byte order only). 0 or -1. */
struct plugin_header {
	uint32_t magic;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t size;
};
int plugin_header_peek(const char *path, struct plugin_header *out);

#endif
