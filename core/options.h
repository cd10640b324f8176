/*
 * Stage options: the entries of a stage's section checked against the
 * plugin's declared table, expanded, converted once, and read back by
 * type. Works on its own struct and reports through a struct bp_err, so
 * it runs without an engine.
 */
#ifndef BOOTPIPE_OPTIONS_H
#define BOOTPIPE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bootpipe/plugin.h>

#include "entry.h"
#include "err.h"
#include "expand.h"

struct opt_value {
	const struct bp_option *decl;
	bool set;     /* by the pipeline or --set, not a default */
	char *origin; /* "file:line", "--set" or "default" */
	char *str;    /* BP_OPT_STR, BP_OPT_ENUM */
	int64_t i;
	bool b;
	char **items; /* BP_OPT_LIST, NULL-terminated */
	size_t count;
};

struct stage_options {
	/* set by the caller before options_bind; borrowed */
	const char *stage;	       /* the section, for messages */
	const char *plugin;	       /* the plugin's name, for messages */
	const struct bp_option *table; /* ends with a NULL key; may be NULL */
	/* filled by options_bind: one value per table entry */
	struct opt_value *values;
	size_t count;
};

/* Applies the defaults, then every entry of section opts->stage in
 * @entries (the `plugin` key excepted), then checks required options.
 * @pipeline_path names the file in messages about missing options. */
int options_bind(struct stage_options *opts, const struct entry_list *entries,
		 const char *pipeline_path, const struct expand_vars *vars,
		 struct bp_err *err);
void options_release(struct stage_options *opts);

/* The declared option closest to @key, for "did you mean" hints. */
const char *options_closest(const struct bp_option *table, const char *key);

/* The typed reads behind bp_stage_opt_*: BP_EINVAL for an undeclared
 * key, BP_ETYPE for another type, BP_ENOENT when unset without default. */
int options_str(const struct stage_options *opts, const char *key,
		const char **out);
int options_int(const struct stage_options *opts, const char *key,
		int64_t *out);
int options_bool(const struct stage_options *opts, const char *key, bool *out);
int options_list(const struct stage_options *opts, const char *key,
		 const char *const **items, size_t *count);
bool options_is_set(const struct stage_options *opts, const char *key);
/* "file:line", "--set" or "default". */
const char *options_origin(const struct stage_options *opts, const char *key);

#endif
