/* What the plugin's files share: its settings, image sources, ensure. */
#ifndef FETCH_ROOTFS_H
#define FETCH_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>

#include <bootpipe/context.h>
#include <bootpipe/plugin.h>

#include "registry.h"
#include "store.h"

struct fetch_cfg {
	const char *store; /* request.store, borrowed from the context */
	const char *arch;
	const char *url_template; /* NULL when unset */
	const char *sha256;	  /* pinned, for url_template; NULL: none */
	const char *registry;	  /* path or URL, NULL when unset */
	const char *image_version;
	bool offline;
	bool keep_archive;
	bool allow_insecure_url;
	bool allow_unverified;
	int64_t attempts;
	int64_t retry_delay_ms;
	int64_t connect_timeout;
	int64_t stall_timeout;
	int64_t stall_speed;
	/* Loaded on first use. */
	bool registry_loaded;
	struct registry reg;
};

/* Where an image comes from. */
struct fetch_source {
	char url[4096];
	char sha256[SHA256_HEX_SIZE]; /* "" when unknown */
	char origin[PATH_MAX + 64];   /* "registry FILE:LINE", "url option" */
};

/* Reads options and context. 0 or an error set on @self. */
int fetch_cfg_load(struct bp_stage *self, struct bp_ctx *ctx,
		   struct fetch_cfg *cfg);
void fetch_cfg_free(struct fetch_cfg *cfg);

/* Reads the registry (and its includes) once, when one is configured.
 * 0, or a negative bp_status with the message in @err. */
int fetch_registry_load(struct bp_stage *self, struct fetch_cfg *cfg, char *err,
			size_t errlen);

/*
 * The source of image @name for @arch (NULL: any), @version (NULL: the
 * newest). 0 and @src; BP_ENOENT when no source is configured or the
 * registry lacks the image, another status when the registry cannot be
 * read (@why says which in both cases); a bad url template is set on
 * @self (then @why is empty).
 */
int fetch_source_find(struct bp_stage *self, struct fetch_cfg *cfg,
		      const char *name, const char *arch, const char *version,
		      struct fetch_source *src, char *why, size_t whylen);

/*
 * Makes the image at @p ready: reuses it when ready, else locks, fetches,
 * verifies and extracts it. Plan mode only says what it would do.
 */
int fetch_ensure(struct bp_stage *self, struct fetch_cfg *cfg,
		 const struct store_paths *p, const char *arch,
		 const char *version);

/* `bootpipe image CMD`: runs the store command named in the context. */
int image_cmd_run(struct bp_stage *self, struct fetch_cfg *cfg,
		  struct bp_ctx *ctx, const char *command);

#endif
