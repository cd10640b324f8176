/*
 * bp-store: the managed image store as a library. The fetch-rootfs stage
 * and the `bootpipe image` commands both drive it; neither owns it.
 *
 * A struct bp_store is the caller's: bp_store_init() fills the defaults,
 * the caller sets the source policy (borrowed strings that must outlive
 * the store), and every action returns 0 or a negative bp_status with
 * the message in @err. Logging and progress go through @hooks.
 */
#ifndef BP_STORE_H
#define BP_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <bootpipe/log.h>

#include "layout.h"
#include "registry.h"

struct bp_store_hooks {
	/* A line for the user (retries, resumes, what is fetched). */
	void (*log)(void *user, enum bp_log_level level, const char *message);
	/* Progress of @what; done == total ends it, as does progress_end. */
	void (*progress)(void *user, const char *what, uint64_t done,
			 uint64_t total);
	void (*progress_end)(void *user);
	void *user;
};

struct bp_store {
	/* Set by the caller; all borrowed. */
	const char *dir;	  /* the store directory */
	const char *url_template; /* archive URL template, NULL: none */
	const char *url_origin;	  /* where url_template was set */
	const char *sha256;	  /* pinned archive sha256 for the template */
	const char *registry;	  /* path or URL, NULL: none */
	/* used when the registry cannot be read, NULL: none */
	const char *fallback_registry;
	/* set: the store's own registry, cached in <cache_dir>/images.toml
	 * with <cache_dir>/.last_sync (unix seconds), as axbuild does */
	const char *cache_dir;
	bool auto_sync;		     /* refresh a cache older than... */
	int64_t auto_sync_threshold; /* ...this many seconds (0: never) */
	/* the fetch-rootfs options of the same names, which win over
	 * .image.toml's; -1: unset */
	int auto_sync_option;
	int64_t auto_sync_threshold_option;
	bool force_sync; /* refresh the cache now */
	/* for an image not in the store yet; an existing one keeps its own */
	enum store_layout layout;
	const char *layout_option; /* auto|flat|today, NULL: auto */
	const char *image_version;
	const char *policy_where; /* named in refusals: where to opt out */
	bool offline;
	bool keep_archive;
	bool allow_insecure_url;
	bool allow_unverified;
	bool dry_run; /* plan: download and write nothing */
	/* an image changed since its extraction is extracted again (`image
	 * pull`) instead of refused (a run: it may hold someone's work) */
	bool reextract_changed;
	int64_t attempts;
	int64_t retry_delay_ms;
	int64_t connect_timeout;
	int64_t stall_timeout;
	int64_t stall_speed;
	/* the most a download may hold when its size is not known */
	uint64_t max_download_size;
	struct registry_limits registry_limits;
	struct bp_store_hooks hooks;
	/* The store's own. */
	bool registry_loaded;
	struct registry reg;
	char err[8192];
};

/* Where an image comes from. */
struct bp_store_source {
	char url[4096];
	char sha256[SHA256_HEX_SIZE]; /* "" when unknown */
	char origin[PATH_MAX + 64];   /* "registry VERSION FILE:LINE", ... */
};

/* max_download_size by default: far above any image, far below a disk
 * that a body without end would fill. */
#define STORE_MAX_DOWNLOAD_SIZE ((uint64_t)64 << 30)

/* Defaults: the fetch-rootfs option defaults, no sources, no hooks. */
void bp_store_init(struct bp_store *s, const char *dir);
void bp_store_fini(struct bp_store *s);

/*
 * Reads the registry (and its includes) once, when one is set. With a
 * cache_dir: the cache while it is fresh (or offline), else the registry
 * (the fallback when it cannot be read), written to the cache; the cache
 * again when neither can be read.
 */
int bp_store_registry_load(struct bp_store *s);

/*
 * The source of image @name for @arch (NULL: any), @version (NULL: the
 * newest). 0; BP_ENOENT when no source is configured or the registry
 * lacks the image; BP_ECONFIG for a bad url template; another status
 * when the registry cannot be read.
 */
int bp_store_source_find(struct bp_store *s, const char *name, const char *arch,
			 const char *version, struct bp_store_source *src);

/*
 * Makes the image at @p ready: reuses it when ready, else locks, fetches,
 * verifies and extracts it. In dry_run mode it only says what it would do.
 */
int bp_store_ensure(struct bp_store *s, const struct store_paths *p,
		    const char *arch, const char *version);

/* The store commands; results go to @out. */
int bp_store_cmd_ls(struct bp_store *s, FILE *out);
int bp_store_cmd_verify(struct bp_store *s, const char *only, FILE *out);
/* @arg: NAME[.img][:VERSION]; @arch for names that do not carry one. */
int bp_store_cmd_pull(struct bp_store *s, const char *arg, const char *arch,
		      FILE *out);
int bp_store_cmd_rm(struct bp_store *s, const char *arg, FILE *out);
/* What the registry offers (`image ls --remote`). */
int bp_store_cmd_remote(struct bp_store *s, FILE *out);
/* Refreshes the store's registry cache now (`image sync`). */
int bp_store_cmd_sync(struct bp_store *s, FILE *out);

struct bp_stage;

/*
 * Reads the policy from the options of a fetch-rootfs stage @st (its
 * strings stay borrowed from it) into @s, whose dir is already set.
 * 0 or BP_ECONFIG naming the option's file:line.
 */
int bp_store_from_stage(struct bp_store *s, const struct bp_stage *st);

struct bp_image_config;

/*
 * Applies the workspace's .image.toml (@cfg, borrowed) where the policy
 * leaves a choice: with neither a registry nor a url set, the store's own
 * registry (cached in the store, the fallback behind it); the layout of
 * new images (today's when the file exists or that registry is used,
 * unless layout_option says). BP_ECONFIG for a bad layout_option.
 */
int bp_store_use_image_config(struct bp_store *s,
			      const struct bp_image_config *cfg);

/* BOOTPIPE_OFFLINE=1|true|yes|on */
bool bp_store_env_offline(void);

/* Formats into @s->err and returns @status. */
int bp_store_fail(struct bp_store *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Logs through the hooks. */
void bp_store_log(struct bp_store *s, enum bp_log_level level, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

#endif
