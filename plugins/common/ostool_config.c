/* Loading ostool's QEMU TOML (args, regexes, shell hooks, to_bin, uefi). */
#include "ostool_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/toml.h>
#include <bootpipe/util.h>

int qemu_config_init(struct qemu_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	if (strv_init(&cfg->args, NULL, 0) ||
	    strv_init(&cfg->success_regex, NULL, 0) ||
	    strv_init(&cfg->fail_regex, NULL, 0) ||
	    strv_init(&cfg->success_where, NULL, 0) ||
	    strv_init(&cfg->fail_where, NULL, 0) ||
	    strv_init(&cfg->suite_notes, NULL, 0)) {
		qemu_config_free(cfg);
		return BP_ENOMEM;
	}
	return 0;
}

void qemu_config_free(struct qemu_config *cfg)
{
	strv_free(&cfg->args);
	strv_free(&cfg->success_regex);
	strv_free(&cfg->fail_regex);
	strv_free(&cfg->success_where);
	strv_free(&cfg->fail_where);
	strv_free(&cfg->suite_notes);
	free(cfg->shell_prefix);
	free(cfg->shell_init_cmd);
	cfg->shell_prefix = NULL;
	cfg->shell_init_cmd = NULL;
}

static int type_error(const char *path, const char *key,
		      const struct bp_toml_node *node, const char *want,
		      char *err, size_t errlen)
{
	snprintf(err, errlen, "%s:%d:%d: `%s` must be %s, not %s", path,
		 bp_toml_line(node), bp_toml_column(node), key, want,
		 bp_toml_type_name(bp_toml_type(node)));
	return BP_ECONFIG;
}

/* "PATH:LINE:COL" of @item appended to @where. */
static int push_where(struct strv *where, const char *path,
		      const struct bp_toml_node *item)
{
	char *text;
	int rc;

	if (asprintf(&text, "%s:%d:%d", path, bp_toml_line(item),
		     bp_toml_column(item)) < 0)
		return BP_ENOMEM;
	rc = strv_push(where, text);
	free(text);
	return rc;
}

/* Reads an array of strings into @out and, when @where is not NULL, the
 * place of each item into @where. */
static int read_list(const char *path, const char *key,
		     const struct bp_toml_node *node,
		     const struct ostool_vars *vars, struct strv *out,
		     struct strv *where, char *err, size_t errlen)
{
	if (bp_toml_type(node) != BP_TOML_ARRAY)
		return type_error(path, key, node, "an array of strings", err,
				  errlen);
	strv_free(out);
	if (strv_init(out, NULL, 0))
		return BP_ENOMEM;
	if (where) {
		strv_free(where);
		if (strv_init(where, NULL, 0))
			return BP_ENOMEM;
	}
	for (size_t i = 0; i < bp_toml_len(node); i++) {
		const struct bp_toml_node *item = bp_toml_at(node, i);
		const char *s;
		char *expanded;
		int rc;

		if (!bp_toml_as_str(item, &s, NULL))
			return type_error(path, key, item, "a string", err,
					  errlen);
		rc = ostool_expand(s, vars, &expanded);
		if (!rc)
			rc = strv_push(out, expanded);
		free(expanded);
		if (!rc && where)
			rc = push_where(where, path, item);
		if (rc)
			return rc;
	}
	return 0;
}

static int read_str(const char *path, const char *key,
		    const struct bp_toml_node *node,
		    const struct ostool_vars *vars, char **out, char *err,
		    size_t errlen)
{
	const char *s;

	if (!bp_toml_as_str(node, &s, NULL))
		return type_error(path, key, node, "a string", err, errlen);
	free(*out);
	return ostool_expand(s, vars, out);
}

/* axbuild's test-suit keys: `bootpipe test` reads them (suite/), a
 * pipeline run does not; known, so they are not reported as typos. */
static const char *const suite_keys[] = {"test_commands", "host_http_server"};

static const char *const known_keys[] = {
    "args",	      "success_regex",	  "fail_regex", "shell_prefix",
    "shell_init_cmd", "to_bin",		  "uefi",	"timeout",
    "test_commands",  "host_http_server",
};

static bool is_suite_key(const char *key)
{
	for (size_t i = 0; i < sizeof(suite_keys) / sizeof(*suite_keys); i++)
		if (!strcmp(key, suite_keys[i]))
			return true;
	return false;
}

/* The known key closest to @key (a typo of it), or NULL. */
static const char *closest_key(const char *key)
{
	const char *best = NULL;
	size_t best_d = 4; /* farther than this is no hint */

	for (size_t i = 0; i < sizeof(known_keys) / sizeof(*known_keys); i++) {
		size_t d = bp_edit_distance(key, known_keys[i]);

		if (d < best_d) {
			best = known_keys[i];
			best_d = d;
		}
	}
	return best;
}

static int read_key(struct qemu_config *cfg, const char *path, const char *key,
		    const struct bp_toml_node *node,
		    const struct ostool_vars *vars, struct strv *warnings,
		    char *err, size_t errlen)
{
	const char *hint;
	char *line;
	int rc;

	if (!strcmp(key, "args"))
		return read_list(path, key, node, vars, &cfg->args, NULL, err,
				 errlen);
	if (!strcmp(key, "success_regex"))
		return read_list(path, key, node, vars, &cfg->success_regex,
				 &cfg->success_where, err, errlen);
	if (!strcmp(key, "fail_regex"))
		return read_list(path, key, node, vars, &cfg->fail_regex,
				 &cfg->fail_where, err, errlen);
	if (!strcmp(key, "shell_prefix"))
		return read_str(path, key, node, vars, &cfg->shell_prefix, err,
				errlen);
	if (!strcmp(key, "shell_init_cmd"))
		return read_str(path, key, node, vars, &cfg->shell_init_cmd,
				err, errlen);
	if (!strcmp(key, "to_bin"))
		return bp_toml_as_bool(node, &cfg->to_bin)
			   ? 0
			   : type_error(path, key, node, "a bool", err, errlen);
	if (!strcmp(key, "uefi"))
		return bp_toml_as_bool(node, &cfg->uefi)
			   ? 0
			   : type_error(path, key, node, "a bool", err, errlen);
	if (!strcmp(key, "timeout")) {
		if (!bp_toml_as_int(node, &cfg->timeout))
			return type_error(path, key, node, "an integer", err,
					  errlen);
		if (cfg->timeout < 0 || cfg->timeout > TIMEOUT_MAX_S) {
			snprintf(err, errlen,
				 "%s:%d:%d: `timeout` must be 0 to %d "
				 "seconds (0: none), not %lld",
				 path, bp_toml_line(node), bp_toml_column(node),
				 TIMEOUT_MAX_S, (long long)cfg->timeout);
			return BP_ECONFIG;
		}
		return 0;
	}
	if (is_suite_key(key)) {
		if (asprintf(&line,
			     "%s:%d:%d: `%s` is used by `bootpipe test`, "
			     "not by a pipeline run",
			     path, bp_toml_line(node), bp_toml_column(node),
			     key) < 0)
			return BP_ENOMEM;
		rc = strv_push(&cfg->suite_notes, line);
		free(line);
		return rc;
	}
	/* Newer ostool versions add keys: say so, do not fail. */
	hint = closest_key(key);
	if (asprintf(&line, "%s:%d:%d: unknown key `%s` ignored%s%s%s", path,
		     bp_toml_line(node), bp_toml_column(node), key,
		     hint ? "; did you mean `" : "", hint ? hint : "",
		     hint ? "`?" : "") < 0)
		return BP_ENOMEM;
	rc = strv_push(warnings, line);
	free(line);
	return rc;
}

int qemu_config_load(struct qemu_config *cfg, const char *path,
		     const struct ostool_vars *vars, struct strv *warnings,
		     char *err, size_t errlen)
{
	struct bp_toml_doc *doc = NULL;
	const struct bp_toml_node *root;
	char *text = NULL, *why = NULL;
	int rc, fd;

	/* ostool expands placeholders in the path as well. */
	rc = ostool_expand(path, vars, &text);
	if (rc)
		return rc;
	fd = bp_open_config(text, "QEMU config", &why);
	if (fd < 0) {
		snprintf(err, errlen, "%s", why ? why : "out of memory");
		free(why);
		rc = fd == BP_ENOMEM ? BP_ENOMEM : BP_ECONFIG;
		goto out;
	}
	close(fd);
	rc = bp_toml_parse_file(text, &doc, err, errlen);
	if (rc && rc != BP_ENOMEM)
		rc = BP_ECONFIG;
	if (rc)
		goto out;
	root = bp_toml_root(doc);
	for (size_t i = 0; i < bp_toml_len(root) && !rc; i++)
		rc = read_key(cfg, text, bp_toml_key_at(root, i),
			      bp_toml_value_at(root, i), vars, warnings, err,
			      errlen);
	bp_toml_free(doc);
out:
	free(text);
	return rc;
}
