/*
 * Stage options (options.h): unknown key, wrong type, missing required,
 * each named with its file and line; values expanded and converted once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bootpipe/error.h>
#include <bootpipe/util.h>

#include "options.h"

const char *options_closest(const struct bp_option *table, const char *key)
{
	const char *best = NULL;
	size_t best_d = 4; /* farther than this is no hint */

	for (const struct bp_option *o = table; o && o->key; o++) {
		size_t d = bp_edit_distance(key, o->key);

		if (d < best_d || (strstr(o->key, key) && !best)) {
			best = o->key;
			best_d = d;
		}
	}
	return best;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

static bool choice_valid(const char *choices, const char *value)
{
	size_t len = strlen(value);
	const char *p = choices;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == len && strncmp(p, value, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static int add_item(struct opt_value *v, const char *item)
{
	char **items = realloc(v->items, (v->count + 2) * sizeof(*items));

	if (!items)
		return BP_ENOMEM;
	v->items = items;
	items[v->count] = strdup(item);
	if (!items[v->count])
		return BP_ENOMEM;
	items[++v->count] = NULL;
	return 0;
}

static void clear_value(struct opt_value *v)
{
	free(v->str);
	v->str = NULL;
	for (size_t i = 0; i < v->count; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->count = 0;
}

/* Converts one (already expanded) scalar value; @where names its origin
 * for the message. */
static int convert(const struct stage_options *opts, struct bp_err *err,
		   struct opt_value *v, const char *value, const char *where)
{
	const struct bp_option *o = v->decl;

	switch (o->type) {
	case BP_OPT_STR:
		free(v->str);
		v->str = strdup(value);
		return v->str ? 0 : BP_ENOMEM;
	case BP_OPT_ENUM:
		if (!choice_valid(o->choices, value))
			return err_set(err, BP_ECONFIG,
				       "%s: [%s] %s = %s is not one of %s",
				       where, opts->stage, o->key, value,
				       o->choices);
		free(v->str);
		v->str = strdup(value);
		return v->str ? 0 : BP_ENOMEM;
	case BP_OPT_INT:
		if (!parse_int(value, &v->i))
			return err_set(err, BP_ECONFIG,
				       "%s: [%s] %s = %s is not an integer "
				       "(decimal or 0x hex)",
				       where, opts->stage, o->key, value);
		return 0;
	case BP_OPT_BOOL:
		if (!parse_bool(value, &v->b))
			return err_set(err, BP_ECONFIG,
				       "%s: [%s] %s = %s is not a boolean "
				       "(true/false, yes/no, on/off, 1/0)",
				       where, opts->stage, o->key, value);
		return 0;
	case BP_OPT_LIST:
		return value[0] ? add_item(v, value) : 0;
	}
	return BP_EINVAL;
}

/* A default that does not expand or convert is the plugin's bug, not the
 * pipeline's: BP_EPLUGIN. */
static int apply_default(const struct stage_options *opts, struct bp_err *err,
			 struct opt_value *v, const struct expand_vars *vars)
{
	const char *def = v->decl->default_value;
	struct strbuf why;
	char *expanded = NULL;
	int rc;

	v->origin = strdup("default");
	if (!v->origin)
		return BP_ENOMEM;
	if (!def)
		return 0;
	strbuf_init(&why);
	rc = expand_value(def, vars, &expanded, &why);
	if (rc == BP_ECONFIG)
		rc = err_set(
		    err, BP_EPLUGIN, "plugin %s: default of option %s: %s",
		    opts->plugin, v->decl->key, why.buf ? why.buf : "");
	strbuf_release(&why);
	if (rc)
		return rc;
	if (v->decl->type == BP_OPT_LIST) {
		/* list defaults hold one item per line */
		for (char *item = expanded; item && !rc;) {
			char *nl = strchr(item, '\n');

			if (nl)
				*nl = '\0';
			rc = convert(opts, err, v, item, "default");
			item = nl ? nl + 1 : NULL;
		}
	} else {
		rc = convert(opts, err, v, expanded, "default");
		if (rc == BP_ECONFIG)
			rc = err_set(err, BP_EPLUGIN,
				     "plugin %s declares a bad default "
				     "for %s: %s",
				     opts->plugin, v->decl->key, err_msg(err));
	}
	free(expanded);
	return rc;
}

static struct opt_value *find_opt(const struct stage_options *opts,
				  const char *key)
{
	for (size_t i = 0; i < opts->count; i++) {
		if (strcmp(opts->values[i].decl->key, key) == 0)
			return &opts->values[i];
	}
	return NULL;
}

static int apply_entry(const struct stage_options *opts, struct bp_err *err,
		       const struct pipeline_entry *e,
		       const struct expand_vars *vars)
{
	struct opt_value *v = find_opt(opts, e->key);
	char *where = entry_origin(e), *expanded = NULL;
	struct strbuf why;
	const char *hint;
	int rc;

	if (!where)
		return BP_ENOMEM;
	/* one workspace per run: a stage's own would leave ${workspace}
	 * pointing elsewhere in the same file */
	if (!v && strcmp(e->key, "workspace") == 0) {
		rc = err_set(err, BP_ECONFIG,
			     "%s: [%s] workspace: the workspace is one per "
			     "run, for every stage and ${workspace}; set "
			     "it in [pipeline] workspace = %s or pass "
			     "--workspace %s",
			     where, opts->stage, e->value, e->value);
		goto out;
	}
	if (!v) {
		hint = options_closest(opts->table, e->key);
		rc = err_set(err, BP_ECONFIG,
			     "%s: [%s] has no option `%s` (plugin %s)%s%s%s",
			     where, opts->stage, e->key, opts->plugin,
			     hint ? "; did you mean `" : "", hint ? hint : "",
			     hint ? "`?" : "");
		goto out;
	}
	/* on the command line the last --set of a scalar wins */
	if (v->set && v->decl->type != BP_OPT_LIST &&
	    strcmp(e->file, "--set") != 0) {
		rc = err_set(err, BP_ECONFIG,
			     "%s: [%s] %s is set twice (first at %s); "
			     "keep one",
			     where, opts->stage, e->key, v->origin);
		goto out;
	}
	if (!v->set) {
		/* an explicit value replaces the default, lists included */
		clear_value(v);
		free(v->origin);
		v->origin = where;
		where = NULL;
		v->set = true;
	}
	strbuf_init(&why);
	rc = expand_value(e->value, vars, &expanded, &why);
	if (rc == BP_ECONFIG)
		rc = err_set(err, BP_ECONFIG, "%s: [%s] %s: %s",
			     where ? where : v->origin, opts->stage, e->key,
			     why.buf ? why.buf : "");
	strbuf_release(&why);
	if (rc == 0)
		rc = convert(opts, err, v, expanded, where ? where : v->origin);
	free(expanded);
out:
	free(where);
	return rc;
}

static bool value_empty(const struct opt_value *v)
{
	switch (v->decl->type) {
	case BP_OPT_LIST:
		return v->count == 0;
	case BP_OPT_STR:
	case BP_OPT_ENUM:
		return !v->str;
	default:
		return !v->set && !v->decl->default_value;
	}
}

int options_bind(struct stage_options *opts, const struct entry_list *entries,
		 const char *pipeline_path, const struct expand_vars *vars,
		 struct bp_err *err)
{
	size_t n = 0;
	int rc = 0;

	for (const struct bp_option *o = opts->table; o && o->key; o++)
		n++;
	opts->values = calloc(n ? n : 1, sizeof(*opts->values));
	if (!opts->values)
		return BP_ENOMEM;
	opts->count = n;
	for (size_t i = 0; i < n && rc == 0; i++) {
		opts->values[i].decl = &opts->table[i];
		rc = apply_default(opts, err, &opts->values[i], vars);
	}
	for (size_t i = 0; i < entries->count && rc == 0; i++) {
		const struct pipeline_entry *e = &entries->items[i];

		if (strcmp(e->section, opts->stage) != 0 ||
		    strcmp(e->key, "plugin") == 0)
			continue;
		rc = apply_entry(opts, err, e, vars);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct bp_option *d = opts->values[i].decl;

		if ((d->flags & BP_OPT_REQUIRED) &&
		    value_empty(&opts->values[i]))
			rc = err_set(err, BP_ECONFIG,
				     "%s: stage [%s] needs option `%s` (%s): "
				     "add `%s = ...` to its section or "
				     "pass --set %s.%s=VALUE",
				     pipeline_path, opts->stage, d->key,
				     d->help ? d->help : "", d->key,
				     opts->stage, d->key);
	}
	return rc;
}

void options_release(struct stage_options *opts)
{
	for (size_t i = 0; i < opts->count; i++) {
		clear_value(&opts->values[i]);
		free(opts->values[i].origin);
	}
	free(opts->values);
	opts->values = NULL;
	opts->count = 0;
}

/* The option @key if declared with one of the given types. */
static int typed_opt(const struct stage_options *opts, const char *key,
		     enum bp_opt_type t1, enum bp_opt_type t2,
		     const struct opt_value **out)
{
	const struct opt_value *v;

	if (!opts || !key)
		return BP_EINVAL;
	v = find_opt(opts, key);
	if (!v)
		return BP_EINVAL;
	if (v->decl->type != t1 && v->decl->type != t2)
		return BP_ETYPE;
	*out = v;
	return 0;
}

int options_str(const struct stage_options *opts, const char *key,
		const char **out)
{
	const struct opt_value *v;
	int rc = typed_opt(opts, key, BP_OPT_STR, BP_OPT_ENUM, &v);

	if (rc)
		return rc;
	if (!v->str)
		return BP_ENOENT;
	*out = v->str;
	return 0;
}

int options_int(const struct stage_options *opts, const char *key, int64_t *out)
{
	const struct opt_value *v;
	int rc = typed_opt(opts, key, BP_OPT_INT, BP_OPT_INT, &v);

	if (rc)
		return rc;
	if (!v->set && !v->decl->default_value)
		return BP_ENOENT;
	*out = v->i;
	return 0;
}

int options_bool(const struct stage_options *opts, const char *key, bool *out)
{
	const struct opt_value *v;
	int rc = typed_opt(opts, key, BP_OPT_BOOL, BP_OPT_BOOL, &v);

	if (rc)
		return rc;
	if (!v->set && !v->decl->default_value)
		return BP_ENOENT;
	*out = v->b;
	return 0;
}

int options_list(const struct stage_options *opts, const char *key,
		 const char *const **items, size_t *count)
{
	static const char *const empty[] = {NULL};
	const struct opt_value *v;
	int rc = typed_opt(opts, key, BP_OPT_LIST, BP_OPT_LIST, &v);

	if (rc)
		return rc;
	*items = v->items ? (const char *const *)v->items : empty;
	*count = v->count;
	return 0;
}

bool options_is_set(const struct stage_options *opts, const char *key)
{
	const struct opt_value *v = opts && key ? find_opt(opts, key) : NULL;

	return v && v->set;
}

const char *options_origin(const struct stage_options *opts, const char *key)
{
	const struct opt_value *v = opts && key ? find_opt(opts, key) : NULL;

	return v && v->origin ? v->origin : "default";
}
