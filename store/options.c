/*
 * The store's policy from a fetch-rootfs stage's options: the stage reads
 * its own, and `bootpipe image --pipeline` reads the pipeline's, so both
 * see the same sources.
 */
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>
#include <bootpipe/plugin.h>

#include "byte_size.h"
#include "image_config.h"
#include "store.h"

bool bp_store_env_offline(void)
{
	const char *v = getenv("BOOTPIPE_OFFLINE");

	return v && (!strcmp(v, "1") || !strcmp(v, "true") ||
		     !strcmp(v, "yes") || !strcmp(v, "on"));
}

static const char *opt_str(const struct bp_stage *st, const char *key)
{
	const char *v = NULL;

	if (bp_stage_opt_str(st, key, &v) != 0 || !v || !*v)
		return NULL;
	return v;
}

static int64_t opt_int(const struct bp_stage *st, const char *key,
		       int64_t fallback)
{
	int64_t v;

	return bp_stage_opt_int(st, key, &v) == 0 ? v : fallback;
}

static bool opt_bool(const struct bp_stage *st, const char *key)
{
	bool b = false;

	return bp_stage_opt_bool(st, key, &b) == 0 && b;
}

int bp_store_from_stage(struct bp_store *s, const struct bp_stage *st)
{
	int64_t max_docs, max_bytes;
	const char *max_size;

	if (!s->dir || !*s->dir)
		return bp_store_fail(s, BP_ECONFIG,
				     "no image store: request.store is unset "
				     "(set [resolve-request] store = DIR)");
	s->url_template = opt_str(st, "url");
	s->url_origin = bp_stage_opt_origin(st, "url");
	s->sha256 = opt_str(st, "sha256");
	s->registry = opt_str(st, "registry");
	s->image_version = opt_str(st, "image_version");
	s->offline = opt_bool(st, "offline") || bp_store_env_offline();
	s->keep_archive = opt_bool(st, "keep_archive");
	s->allow_insecure_url = opt_bool(st, "allow_insecure_url");
	s->allow_unverified = opt_bool(st, "allow_unverified");
	s->dry_run = bp_stage_dry_run(st);
	s->attempts = opt_int(st, "attempts", 5);
	s->retry_delay_ms = opt_int(st, "retry_delay_ms", 1000);
	s->connect_timeout = opt_int(st, "connect_timeout", 30);
	s->stall_timeout = opt_int(st, "stall_timeout", 60);
	s->stall_speed = opt_int(st, "stall_speed", 1024);
	s->layout_option = opt_str(st, "layout");
	if (bp_stage_opt_is_set(st, "auto_sync"))
		s->auto_sync_option = opt_bool(st, "auto_sync");
	if (bp_stage_opt_is_set(st, "auto_sync_threshold")) {
		s->auto_sync_threshold_option =
		    opt_int(st, "auto_sync_threshold", -1);
		if (s->auto_sync_threshold_option < 0)
			return bp_store_fail(
			    s, BP_ECONFIG,
			    "%s: auto_sync_threshold must be seconds (0 or "
			    "more)",
			    bp_stage_opt_origin(st, "auto_sync_threshold"));
	}
	max_size = opt_str(st, "max_download_size");
	if (max_size && (!byte_size_parse(max_size, &s->max_download_size) ||
			 s->max_download_size == 0))
		return bp_store_fail(
		    s, BP_ECONFIG,
		    "%s: max_download_size must be a size such as 512M or "
		    "64G, not `%s`",
		    bp_stage_opt_origin(st, "max_download_size"), max_size);
	max_docs =
	    opt_int(st, "registry_max_documents", REGISTRY_MAX_DOCUMENTS);
	max_bytes = opt_int(st, "registry_max_bytes",
			    (int64_t)REGISTRY_MAX_TOTAL_BYTES);
	if (max_docs < 1 || max_bytes < 1)
		return bp_store_fail(s, BP_ECONFIG,
				     "registry_max_documents and "
				     "registry_max_bytes must be at least 1");
	s->registry_limits.max_documents = (size_t)max_docs;
	s->registry_limits.max_bytes = (uint64_t)max_bytes;
	if (s->attempts < 1 || s->attempts > 100)
		return bp_store_fail(s, BP_ECONFIG,
				     "%s: attempts must be 1..100, not %lld",
				     bp_stage_opt_origin(st, "attempts"),
				     (long long)s->attempts);
	if (s->retry_delay_ms < 0 || s->connect_timeout < 0 ||
	    s->stall_timeout < 0 || s->stall_speed < 0)
		return bp_store_fail(s, BP_ECONFIG,
				     "retry_delay_ms, connect_timeout, "
				     "stall_timeout and stall_speed must not "
				     "be negative");
	if (s->sha256) {
		char hex[SHA256_HEX_SIZE];

		if (!sha256_hex_parse(s->sha256, hex))
			return bp_store_fail(
			    s, BP_ECONFIG,
			    "%s: sha256 must be 64 hex digits, not `%s`",
			    bp_stage_opt_origin(st, "sha256"), s->sha256);
	}
	return 0;
}

int bp_store_use_image_config(struct bp_store *s,
			      const struct bp_image_config *cfg)
{
	bool own = !s->registry && !s->url_template;
	const char *l = s->layout_option;

	if (own) {
		s->registry = cfg->registry;
		s->fallback_registry = cfg->fallback_registry;
		s->cache_dir = s->dir;
		s->auto_sync = cfg->auto_sync;
		s->auto_sync_threshold = cfg->auto_sync_threshold;
	}
	if (s->auto_sync_option >= 0)
		s->auto_sync = s->auto_sync_option;
	if (s->auto_sync_threshold_option >= 0)
		s->auto_sync_threshold = s->auto_sync_threshold_option;
	if (!l || !strcmp(l, "auto"))
		s->layout = cfg->present || own ? STORE_LAYOUT_TODAY
						: STORE_LAYOUT_FLAT;
	else if (!strcmp(l, "today"))
		s->layout = STORE_LAYOUT_TODAY;
	else if (!strcmp(l, "flat"))
		s->layout = STORE_LAYOUT_FLAT;
	else
		return bp_store_fail(s, BP_ECONFIG,
				     "layout must be auto, flat or today, not "
				     "`%s`",
				     l);
	return 0;
}
