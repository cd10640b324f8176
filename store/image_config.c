/* axbuild's .image.toml and the TGOS_IMAGE_* environment. */
#include "image_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootpipe/error.h>
#include <bootpipe/toml.h>
#include <bootpipe/util.h>

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && v[strspn(v, " \t")] ? v : NULL;
}

static int set_path(char **slot, const char *workspace, const char *value)
{
	free(*slot);
	*slot =
	    value[0] == '/' ? strdup(value) : bp_path_join(workspace, value);
	return *slot ? 0 : BP_ENOMEM;
}

static int set_str(char **slot, const char *value)
{
	free(*slot);
	*slot = strdup(value);
	return *slot ? 0 : BP_ENOMEM;
}

static int bad(const struct bp_image_config *cfg, const struct bp_toml_node *n,
	       const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s:%d:%d: %s", cfg->path, bp_toml_line(n),
		 bp_toml_column(n), what);
	return BP_ECONFIG;
}

static int read_file(const char *workspace, struct bp_image_config *cfg,
		     char *err, size_t errlen)
{
	struct bp_toml_doc *doc = NULL;
	const struct bp_toml_node *root, *v;
	const char *s;
	int64_t n;
	bool b;
	int rc;

	rc = bp_toml_parse_file(cfg->path, &doc, err, errlen);
	if (rc)
		return rc;
	root = bp_toml_root(doc);
	if ((v = bp_toml_get(root, "local_storage"))) {
		if (!bp_toml_as_str(v, &s, NULL) || !*s)
			rc = bad(cfg, v, "local_storage must be a path", err,
				 errlen);
		else
			rc = set_path(&cfg->local_storage, workspace, s);
	}
	if (!rc && (v = bp_toml_get(root, "registry"))) {
		if (!bp_toml_as_str(v, &s, NULL) || !*s)
			rc = bad(cfg, v, "registry must be a URL or path", err,
				 errlen);
		else
			rc = set_str(&cfg->registry, s);
	}
	if (!rc && (v = bp_toml_get(root, "auto_sync"))) {
		if (!bp_toml_as_bool(v, &b))
			rc = bad(cfg, v, "auto_sync must be true or false", err,
				 errlen);
		else
			cfg->auto_sync = b;
	}
	if (!rc && (v = bp_toml_get(root, "auto_sync_threshold"))) {
		if (!bp_toml_as_int(v, &n) || n < 0)
			rc = bad(cfg, v,
				 "auto_sync_threshold must be seconds (>= 0)",
				 err, errlen);
		else
			cfg->auto_sync_threshold = n;
	}
	bp_toml_free(doc);
	return rc;
}

int bp_image_config_read(const char *workspace, struct bp_image_config *cfg,
			 char *err, size_t errlen)
{
	const char *env;
	struct stat st;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->auto_sync = true;
	cfg->auto_sync_threshold = BP_STORE_AUTO_SYNC_THRESHOLD;
	cfg->path = bp_path_join(workspace, "tmp/axbuild/.image.toml");
	cfg->local_storage = bp_path_join(workspace, "tmp/axbuild/rootfs");
	cfg->registry = strdup(BP_STORE_DEFAULT_REGISTRY);
	env = env_nonempty("TGOS_IMAGE_REGISTRY_FALLBACK_URL");
	cfg->fallback_registry =
	    strdup(env ? env : BP_STORE_DEFAULT_FALLBACK_REGISTRY);
	if (!cfg->path || !cfg->local_storage || !cfg->registry ||
	    !cfg->fallback_registry) {
		snprintf(err, errlen, "out of memory");
		return BP_ENOMEM;
	}
	if (stat(cfg->path, &st) == 0) {
		cfg->present = true;
		rc = read_file(workspace, cfg, err, errlen);
		if (rc)
			return rc;
	}
	env = env_nonempty("TGOS_IMAGE_LOCAL_STORAGE");
	if (env && set_path(&cfg->local_storage, workspace, env)) {
		snprintf(err, errlen, "out of memory");
		return BP_ENOMEM;
	}
	return 0;
}

void bp_image_config_free(struct bp_image_config *cfg)
{
	free(cfg->path);
	free(cfg->local_storage);
	free(cfg->registry);
	free(cfg->fallback_registry);
	memset(cfg, 0, sizeof(*cfg));
}
