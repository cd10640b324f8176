/* axbuild's saved state, <workspace>/tmp/axbuild/.axvisor.toml. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootpipe/error.h>
#include <bootpipe/toml.h>

#include "request.h"

static int bad_type(const char *path, const struct bp_toml_node *node,
		    const char *key, const char *want, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s:%d:%d: `%s` must be %s", path,
		 bp_toml_line(node), bp_toml_column(node), key, want);
	return BP_ECONFIG;
}

static int get_str(const char *path, const struct bp_toml_node *root,
		   const char *key, char **out, char *err, size_t errlen)
{
	const struct bp_toml_node *node = bp_toml_get(root, key);
	const char *s;

	if (!node)
		return 0;
	if (!bp_toml_as_str(node, &s, NULL))
		return bad_type(path, node, key, "a string", err, errlen);
	*out = strdup(s);
	return *out ? 0 : BP_ENOMEM;
}

static int get_list(const char *path, const struct bp_toml_node *root,
		    struct axvisor_state *st, char *err, size_t errlen)
{
	const struct bp_toml_node *node = bp_toml_get(root, "vmconfigs");
	size_t n;

	if (!node)
		return 0;
	if (bp_toml_type(node) != BP_TOML_ARRAY)
		return bad_type(path, node, "vmconfigs", "an array of strings",
				err, errlen);
	n = bp_toml_len(node);
	st->vmconfigs = calloc(n + 1, sizeof(*st->vmconfigs));
	if (!st->vmconfigs)
		return BP_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct bp_toml_node *item = bp_toml_at(node, i);
		const char *s;

		if (!bp_toml_as_str(item, &s, NULL))
			return bad_type(path, item, "vmconfigs", "a string",
					err, errlen);
		st->vmconfigs[i] = strdup(s);
		if (!st->vmconfigs[i])
			return BP_ENOMEM;
		st->vmconfig_count++;
	}
	return 0;
}

int axvisor_state_load(const char *path, struct axvisor_state *out, char *err,
		       size_t errlen)
{
	struct bp_toml_doc *doc = NULL;
	const struct bp_toml_node *root;
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st) != 0 && errno == ENOENT)
		return 0;
	rc = bp_toml_parse_file(path, &doc, err, errlen);
	if (rc)
		return rc == BP_ENOMEM ? rc : BP_ECONFIG;
	root = bp_toml_root(doc);
	rc = get_str(path, root, "arch", &out->arch, err, errlen);
	if (!rc)
		rc = get_str(path, root, "target", &out->target, err, errlen);
	if (!rc)
		rc = get_list(path, root, out, err, errlen);
	if (!rc)
		rc = get_str(path, root, "qemu.qemu_config", &out->qemu_config,
			     err, errlen);
	bp_toml_free(doc);
	if (rc)
		axvisor_state_free(out);
	return rc;
}

void axvisor_state_free(struct axvisor_state *state)
{
	free(state->arch);
	free(state->target);
	for (size_t i = 0; i < state->vmconfig_count; i++)
		free(state->vmconfigs[i]);
	free(state->vmconfigs);
	free(state->qemu_config);
	memset(state, 0, sizeof(*state));
}
