/*
 * The engine: configuration, loading a pipeline (file, plugins, options,
 * data flow, init), running the stages, and the stage handle plugins use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/defaults.h>
#include <bootpipe/keys.h>
#include <bootpipe/version.h>

#include "engine_internal.h"
#include "run_report.h"

/* Keys the engine itself puts in the context before any stage runs. */
static const char *const engine_provides[] = {
    BP_KEY_WORKSPACE,
    BP_KEY_PIPELINE_NAME,
    BP_KEY_RUN_DRY_RUN,
    BP_KEY_ARCH,
    NULL,
};

static const char *const pipeline_keys[] = {
    "name",    "description", "stages",	      "include", "workspace",
    "package", "arch",	      "include_only", NULL,
};

_Static_assert(BP_VERSION_NUM > 0, "version.h is included");

const char *bp_version(void)
{
	return BP_VERSION_STRING;
}

int engine_fail(struct bp_engine *engine, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(&engine->err, status, fmt, ap);
	va_end(ap);
	return status;
}

struct bp_engine *bp_engine_new(void)
{
	struct bp_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->ctx = bp_ctx_new();
	if (!e->ctx) {
		free(e);
		return NULL;
	}
	if (cancel_init(e)) {
		bp_ctx_free(e->ctx);
		free(e);
		return NULL;
	}
	e->sink = bp_log_sink_text;
	e->console = bp_console_sink_stdio;
	e->log_level = BP_LOG_INFO;
	return e;
}

static void unload_stages(struct bp_engine *e)
{
	for (size_t i = e->stage_count; i-- > 0;) {
		struct bp_stage *s = &e->stages[i];

		if (s->inited && s->plugin->desc.cleanup)
			s->plugin->desc.cleanup(s, s->state);
		s->inited = false;
	}
	for (size_t i = 0; i < e->stage_count; i++) {
		options_release(&e->stages[i].options);
		err_clear(&e->stages[i].err);
		free(e->stages[i].name);
		free(e->stages[i].listed_at);
	}
	free(e->stages);
	e->stages = NULL;
	e->stage_count = 0;
	e->loaded = false;
}

void bp_engine_free(struct bp_engine *e)
{
	if (!e)
		return;
	unload_stages(e);
	/* context values may hold destructors that live in plugins */
	bp_ctx_free(e->ctx);
	loader_release(&e->loader);
	entry_list_release(&e->overrides);
	pipeline_file_release(&e->file);
	free(e->workspace_override);
	free(e->stop_after);
	free(e->name);
	free(e->description);
	cancel_release(e);
	err_clear(&e->err);
	free(e);
}

const char *bp_engine_error(const struct bp_engine *e)
{
	return e ? err_msg(&e->err) : "";
}

int bp_engine_add_plugin_dir(struct bp_engine *e, const char *dir)
{
	return e ? loader_add_dir(&e->loader, dir) : BP_EINVAL;
}

void bp_engine_set_allow_unsafe_plugins(struct bp_engine *e, bool allow)
{
	if (e)
		e->loader.allow_unsafe = allow;
}

int bp_engine_find_plugin(struct bp_engine *e, const char *name_or_path,
			  const struct bp_plugin **out, const char **path_out)
{
	struct loaded_plugin *lp;
	int rc;

	if (!e || !name_or_path || !out)
		return BP_EINVAL;
	rc = loader_find(&e->loader, &e->err, name_or_path, &lp);
	if (rc)
		return rc;
	*out = &lp->desc;
	if (path_out)
		*path_out = lp->path;
	return 0;
}

int bp_engine_foreach_plugin(struct bp_engine *e, bp_plugin_visit_fn fn,
			     void *user)
{
	if (!e || !fn)
		return BP_EINVAL;
	return loader_foreach(&e->loader, &e->err, fn, user);
}

int bp_engine_set_option(struct bp_engine *e, const char *stage,
			 const char *key, const char *value)
{
	if (!e || !stage || !key || !value || !stage[0] || !key[0])
		return BP_EINVAL;
	return entry_list_add(&e->overrides, stage, key, value, "--set", 0);
}

int bp_engine_set_assignment(struct bp_engine *e, const char *assignment)
{
	const char *eq = assignment ? strchr(assignment, '=') : NULL;
	const char *dot = assignment ? strchr(assignment, '.') : NULL;
	char *stage, *key;
	int rc;

	if (!e || !assignment)
		return BP_EINVAL;
	if (!eq || !dot || dot > eq || dot == assignment || dot + 1 == eq)
		return engine_fail(e, BP_ECONFIG,
				   "--set %s: expected STAGE.KEY=VALUE, e.g. "
				   "--set launch.timeout=60",
				   assignment);
	stage = strndup(assignment, (size_t)(dot - assignment));
	key = strndup(dot + 1, (size_t)(eq - dot - 1));
	rc = stage && key ? bp_engine_set_option(e, stage, key, eq + 1)
			  : BP_ENOMEM;
	free(stage);
	free(key);
	return rc;
}

int bp_engine_set_workspace(struct bp_engine *e, const char *path)
{
	char *copy;

	if (!e || !path)
		return BP_EINVAL;
	copy = strdup(path);
	if (!copy)
		return BP_ENOMEM;
	free(e->workspace_override);
	e->workspace_override = copy;
	return 0;
}

int bp_engine_set_stop_after(struct bp_engine *e, const char *stage)
{
	char *copy = NULL;

	if (!e)
		return BP_EINVAL;
	if (stage && !(copy = strdup(stage)))
		return BP_ENOMEM;
	free(e->stop_after);
	e->stop_after = copy;
	return 0;
}

void bp_engine_set_dry_run(struct bp_engine *e, bool dry_run)
{
	if (e)
		e->dry_run = dry_run;
}

void bp_engine_set_quiet(struct bp_engine *e, bool quiet)
{
	if (e)
		e->quiet = quiet;
}

void bp_engine_set_log_sink(struct bp_engine *e, bp_log_sink_fn sink,
			    void *user)
{
	if (!e)
		return;
	e->sink = sink ? sink : bp_log_sink_text;
	e->sink_user = user;
}

void bp_engine_set_log_level(struct bp_engine *e, enum bp_log_level level)
{
	if (e)
		e->log_level = level;
}

void bp_engine_set_log_json(struct bp_engine *e, bool json)
{
	if (e)
		e->log_json = json;
}

struct bp_ctx *bp_engine_ctx(struct bp_engine *e)
{
	return e ? e->ctx : NULL;
}

double bp_engine_duration(const struct bp_engine *e)
{
	return e ? e->run_duration : 0;
}

bool bp_engine_dry_run(const struct bp_engine *e)
{
	return e && e->dry_run;
}

size_t bp_engine_override_count(const struct bp_engine *e)
{
	return e ? e->overrides.count : 0;
}

int bp_engine_override_at(const struct bp_engine *e, size_t index,
			  const char **stage, const char **key,
			  const char **value)
{
	const struct pipeline_entry *o;

	if (!e || index >= e->overrides.count || !stage || !key || !value)
		return BP_EINVAL;
	o = &e->overrides.items[index];
	*stage = o->section;
	*key = o->key;
	*value = o->value;
	return 0;
}

int bp_engine_write_report(struct bp_engine *e, const char *format,
			   const char *path)
{
	if (!e || !format || !path)
		return BP_EINVAL;
	return report_write(e, format, path, &e->err);
}

int bp_engine_fail(struct bp_engine *e, int status, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return status;
	va_start(ap, fmt);
	err_vset(&e->err, status, fmt, ap);
	va_end(ap);
	e->outcome = bp_outcome_from_status(status);
	return status;
}

enum bp_outcome bp_engine_outcome(const struct bp_engine *e)
{
	return e ? e->outcome : BP_OUTCOME_CONFIG;
}

const char *bp_engine_pipeline_name(const struct bp_engine *e)
{
	return e && e->name ? e->name : "";
}

const char *bp_engine_pipeline_description(const struct bp_engine *e)
{
	return e && e->description ? e->description : "";
}

const char *bp_engine_pipeline_path(const struct bp_engine *e)
{
	return e && e->file.path ? e->file.path : "";
}

/* --- loading ------------------------------------------------------------ */

static int check_pipeline_keys(struct bp_engine *e)
{
	for (size_t i = 0; i < e->file.entries.count; i++) {
		const struct pipeline_entry *en = &e->file.entries.items[i];
		bool known = false;

		if (strcmp(en->section, "pipeline") != 0)
			continue;
		for (const char *const *k = pipeline_keys; *k; k++)
			known = known || strcmp(*k, en->key) == 0;
		if (!known)
			return engine_fail(e, BP_ECONFIG,
					   "%s:%d: [pipeline] has no key `%s`; "
					   "its keys are name, description, "
					   "stages, include, workspace, "
					   "package, arch, include_only",
					   en->file, en->line, en->key);
	}
	return 0;
}

/* `include_only = true` marks a file other pipelines include (shared
 * stages and patterns): it is not a pipeline of its own. Only the file's
 * own entry counts, never one it inherits from an include. */
static int check_include_only(struct bp_engine *e, const char *path)
{
	for (size_t i = 0; i < e->file.entries.count; i++) {
		const struct pipeline_entry *en = &e->file.entries.items[i];

		if (strcmp(en->section, "pipeline") != 0 ||
		    strcmp(en->key, "include_only") != 0)
			continue;
		if (strcmp(en->value, "true") != 0 &&
		    strcmp(en->value, "false") != 0)
			return engine_fail(e, BP_ECONFIG,
					   "%s:%d: [pipeline] include_only = "
					   "%s: write true or false",
					   en->file, en->line, en->value);
		if (strcmp(en->value, "true") == 0 &&
		    strcmp(en->file, path) == 0)
			return engine_fail(
			    e, BP_ECONFIG,
			    "%s: include-only ([pipeline] include_only = true "
			    "at line %d): it holds what other pipelines "
			    "include; run one that includes it",
			    path, en->line);
	}
	return 0;
}

static bool stage_listed(const struct bp_engine *e, const char *name)
{
	for (size_t i = 0; i < e->stage_count; i++) {
		if (strcmp(e->stages[i].name, name) == 0)
			return true;
	}
	return false;
}

/* --until names no stage: the closest one, else the list. */
static int no_stop_stage(struct bp_engine *e, const char *path)
{
	const char *best = NULL;
	size_t best_d = 4; /* farther than this is no hint */
	struct strbuf names;

	strbuf_init(&names);
	for (size_t i = 0; i < e->stage_count; i++) {
		size_t d = bp_edit_distance(e->stop_after, e->stages[i].name);

		if (d < best_d) {
			best_d = d;
			best = e->stages[i].name;
		}
		strbuf_addf(&names, "%s%s", i ? " " : "", e->stages[i].name);
	}
	if (best)
		engine_fail(e, BP_ECONFIG,
			    "%s: no stage `%s` to stop after; did you mean "
			    "`%s`?",
			    path, e->stop_after, best);
	else
		engine_fail(e, BP_ECONFIG,
			    "%s: no stage `%s` to stop after; the stages are: "
			    "%s",
			    path, e->stop_after, names.buf ? names.buf : "");
	strbuf_release(&names);
	return BP_ECONFIG;
}

static int add_stage(struct bp_engine *e, const char *name,
		     const struct pipeline_entry *where)
{
	struct bp_stage *stages;

	if (!plugin_name_valid(name))
		return engine_fail(e, BP_ECONFIG,
				   "%s:%d: stage name `%s` is not valid: use "
				   "[a-z0-9_-]",
				   where->file, where->line, name);
	if (stage_listed(e, name))
		return engine_fail(e, BP_ECONFIG,
				   "%s:%d: stage `%s` is listed twice; give "
				   "the second instance its own name and "
				   "`plugin = %s` in its section",
				   where->file, where->line, name, name);
	stages = realloc(e->stages, (e->stage_count + 1) * sizeof(*stages));
	if (!stages)
		return BP_ENOMEM;
	e->stages = stages;
	memset(&stages[e->stage_count], 0, sizeof(*stages));
	stages[e->stage_count].engine = e;
	stages[e->stage_count].name = strdup(name);
	stages[e->stage_count].listed_at =
	    str_printf("%s:%d", where->file, where->line);
	if (!stages[e->stage_count].name || !stages[e->stage_count].listed_at) {
		free(stages[e->stage_count].name);
		free(stages[e->stage_count].listed_at);
		return BP_ENOMEM;
	}
	e->stage_count++;
	return 0;
}

static int add_stage_cb(void *user, const char *name,
			const struct pipeline_entry *where)
{
	return add_stage(user, name, where);
}

/* `stages` is whitespace separated, over any number of lines. */
static int parse_stages(struct bp_engine *e)
{
	bool listed;
	int rc = pipeline_foreach_stage(&e->file, add_stage_cb, e, &listed);

	if (rc == 0 && (!listed || e->stage_count == 0))
		rc = engine_fail(e, BP_ECONFIG,
				 "%s: no stages: add `stages = STAGE...` under "
				 "[pipeline]",
				 e->file.path);
	return rc;
}

static int check_sections(struct bp_engine *e)
{
	const struct pipeline_file *f = &e->file;
	struct strbuf listed;
	int rc = 0;

	for (size_t i = 0; i < f->section_count && rc == 0; i++) {
		const struct section_mark *m = &f->sections[i];

		if (strcmp(m->name, "pipeline") == 0 ||
		    stage_listed(e, m->name))
			continue;
		strbuf_init(&listed);
		for (size_t j = 0; j < e->stage_count; j++)
			strbuf_addf(&listed, "%s%s", j ? " " : "",
				    e->stages[j].name);
		rc = engine_fail(e, BP_ECONFIG,
				 "%s:%d: section [%s] is not a stage listed "
				 "in [pipeline] stages (%s); add it there or "
				 "remove the section",
				 m->file, m->line, m->name,
				 listed.buf ? listed.buf : "");
		strbuf_release(&listed);
	}
	for (size_t i = 0; i < f->entries.count && rc == 0; i++) {
		const struct pipeline_entry *en = &f->entries.items[i];

		if (strcmp(en->section, "pipeline") != 0 &&
		    !stage_listed(e, en->section))
			rc = engine_fail(e, BP_ECONFIG,
					 "%s %s.%s: the pipeline has no stage "
					 "`%s`",
					 en->file, en->section, en->key,
					 en->section);
	}
	return rc;
}

/* Expands the value of @en into *out, naming its file:line on error. */
static int expand_entry(struct bp_engine *e, const struct pipeline_entry *en,
			const struct expand_vars *vars, char **out)
{
	char *where = entry_origin(en);
	struct strbuf err;
	int rc;

	if (!where)
		return BP_ENOMEM;
	strbuf_init(&err);
	rc = expand_value(en->value, vars, out, &err);
	if (rc == BP_ECONFIG)
		rc = engine_fail(e, rc, "%s: [%s] %s: %s", where, en->section,
				 en->key, err.buf ? err.buf : "");
	strbuf_release(&err);
	free(where);
	return rc;
}

/* The workspace: --workspace (relative to the current directory), else
 * [pipeline] workspace (relative to its file), else discovery. Always
 * absolute: stages resolve paths from other directories. */
static int find_workspace(struct bp_engine *e, const struct expand_vars *vars,
			  char **out)
{
	const struct pipeline_entry *en =
	    pipeline_last(&e->file, "pipeline", "workspace");
	char *ws = NULL, *dir, *abs;
	int rc = 0;

	if (e->workspace_override) {
		ws = strdup(e->workspace_override);
	} else if (en) {
		rc = expand_entry(e, en, vars, &ws);
		if (rc == 0 && ws[0] != '/' && strcmp(en->file, "--set") != 0) {
			dir = bp_path_dirname(en->file);
			abs = !dir		      ? NULL
			      : strcmp(dir, ".") == 0 ? strdup(ws)
						      : bp_path_join(dir, ws);
			free(dir);
			free(ws);
			ws = abs;
		}
	} else if (!(ws = bp_workspace_find(NULL))) {
		ws = bp_default_user_workspace();
		if (!ws)
			return engine_fail(e, BP_ECONFIG,
					   "no workspace around the current "
					   "directory and none under the cache "
					   "dir: %s; set --workspace DIR",
					   strerror(errno));
		bp_engine_log(e, BP_LOG_DEBUG,
			      "no workspace around the current directory: "
			      "working in %s",
			      ws);
	}
	if (rc)
		return rc;
	if (!ws)
		return BP_ENOMEM;
	abs = realpath(ws, NULL);
	if (!abs) {
		char *where = en && !e->workspace_override
				  ? entry_origin(en)
				  : strdup("--workspace");

		rc =
		    engine_fail(e, BP_ECONFIG,
				"%s: workspace %s: %s; point --workspace or "
				"[pipeline] workspace at an existing directory",
				where ? where : "", ws, strerror(errno));
		free(where);
	}
	free(ws);
	*out = abs;
	return rc;
}

/* Values of the placeholders. @storage keeps what must be freed. */
static int compute_vars(struct bp_engine *e, struct expand_vars *vars,
			char **storage)
{
	const struct pipeline_entry *en;
	int rc;

	memset(vars, 0, sizeof(*vars));
	vars->tmp_dir = bp_default_tmp_dir();
	vars->arch = BP_DEFAULT_ARCH;
	rc = find_workspace(e, vars, &storage[0]);
	if (rc)
		return rc;
	vars->workspace = storage[0];
	en = pipeline_last(&e->file, "pipeline", "package");
	if (en) {
		rc = expand_entry(e, en, vars, &storage[1]);
	} else {
		storage[1] = bp_default_package_dir(vars->workspace);
		rc = storage[1] ? 0 : BP_ENOMEM;
	}
	if (rc)
		return rc;
	vars->package = storage[1];
	/* ${arch}: [pipeline] arch, else the first stage's `arch` option */
	en = pipeline_last(&e->file, "pipeline", "arch");
	for (size_t i = 0; !en && i < e->stage_count; i++)
		en = pipeline_last(&e->file, e->stages[i].name, "arch");
	if (en) {
		rc = expand_entry(e, en, vars, &storage[2]);
		if (rc == 0)
			vars->arch = storage[2];
	}
	return rc;
}

/* A relative `plugin = dir/x.so` is relative to the file that says it,
 * like `include`, never to wherever the command runs. */
static int find_stage_plugin(struct bp_engine *e, struct bp_stage *s,
			     const struct pipeline_entry *p)
{
	char *dir, *path;
	int rc;

	if (!p || !strchr(p->value, '/') || p->value[0] == '/' ||
	    strcmp(p->file, "--set") == 0)
		return loader_find(&e->loader, &e->err, p ? p->value : s->name,
				   &s->plugin);
	dir = bp_path_dirname(p->file);
	path = dir ? bp_path_join(dir, p->value) : NULL;
	free(dir);
	if (!path)
		return BP_ENOMEM;
	rc = loader_find(&e->loader, &e->err, path, &s->plugin);
	free(path);
	return rc;
}

static int bind_plugins(struct bp_engine *e, const struct expand_vars *vars)
{
	int rc = 0;

	for (size_t i = 0; i < e->stage_count && rc == 0; i++) {
		struct bp_stage *s = &e->stages[i];
		const struct pipeline_entry *p =
		    pipeline_last(&e->file, s->name, "plugin");
		rc = find_stage_plugin(e, s, p);
		if (rc && p)
			rc =
			    engine_fail(e, rc, "%s:%d: stage [%s]: %s", p->file,
					p->line, s->name, err_msg(&e->err));
		else if (rc)
			rc =
			    engine_fail(e, rc, "%s: stage %s: %s", s->listed_at,
					s->name, err_msg(&e->err));
		if (rc)
			break;
		s->options.stage = s->name;
		s->options.plugin = s->plugin->desc.name;
		s->options.table = s->plugin->desc.options;
		rc = options_bind(&s->options, &e->file.entries, e->file.path,
				  vars, &e->err);
	}
	return rc;
}

static bool list_contains(const char *const *list, const char *key)
{
	for (; list && *list; list++) {
		if (strcmp(*list, key) == 0)
			return true;
	}
	return false;
}

struct producer_search {
	const char *key;
	struct strbuf names;
};

static int note_producer(void *user, const char *path,
			 const struct bp_plugin *plugin, const char *error)
{
	struct producer_search *ps = user;

	(void)path;
	(void)error;
	if (plugin && list_contains(plugin->provides, ps->key))
		strbuf_addf(&ps->names, "%s%s", ps->names.len ? ", " : "",
			    plugin->name);
	return 0;
}

/* Each required key must come from the engine or an earlier stage. */
static int check_data_flow(struct bp_engine *e)
{
	for (size_t i = 0; i < e->stage_count; i++) {
		const struct bp_stage *s = &e->stages[i];

		for (const char *const *k = s->plugin->desc.needs; k && *k;
		     k++) {
			struct producer_search ps = {.key = *k};
			bool ok = list_contains(engine_provides, *k) ||
				  bp_ctx_has(e->ctx, *k);
			const char *later = NULL;
			int rc;

			for (size_t j = 0; j < i && !ok; j++)
				ok = list_contains(
				    e->stages[j].plugin->desc.provides, *k);
			if (ok)
				continue;
			for (size_t j = i + 1; j < e->stage_count && !later;
			     j++) {
				if (list_contains(
					e->stages[j].plugin->desc.provides, *k))
					later = e->stages[j].name;
			}
			if (later)
				return engine_fail(
				    e, BP_ECONFIG,
				    "%s: stage %s requires context key %s, "
				    "which stage %s provides only later: "
				    "list %s before %s in `stages`",
				    s->listed_at, s->name, *k, later, later,
				    s->name);
			strbuf_init(&ps.names);
			bp_engine_foreach_plugin(e, note_producer, &ps);
			rc = engine_fail(e, BP_ECONFIG,
					 "%s: stage %s requires context key "
					 "%s, but no earlier stage provides "
					 "it; plugins that do: %s",
					 s->listed_at, s->name, *k,
					 ps.names.buf ? ps.names.buf : "none");
			strbuf_release(&ps.names);
			return rc;
		}
	}
	return 0;
}

static int publish_engine_keys(struct bp_engine *e,
			       const struct expand_vars *vars)
{
	int rc = bp_ctx_set_str(e->ctx, BP_KEY_WORKSPACE, vars->workspace);

	if (rc == 0)
		rc = bp_ctx_set_str(e->ctx, BP_KEY_PIPELINE_NAME, e->name);
	if (rc == 0)
		rc = bp_ctx_set_bool(e->ctx, BP_KEY_RUN_DRY_RUN, e->dry_run);
	if (rc == 0)
		rc = bp_ctx_set_str(e->ctx, BP_KEY_ARCH, vars->arch);
	return rc;
}

static void stage_error_line(struct bp_engine *e, struct bp_stage *s,
			     int status)
{
	if (!s->err.msg)
		err_set(&s->err, status, "%s", bp_strerror(status));
	engine_fail(e, status, "stage %s (%s %s): %s", s->name,
		    s->plugin->desc.name, s->plugin->desc.version,
		    err_msg(&s->err));
}

static int init_stages(struct bp_engine *e)
{
	for (size_t i = 0; i < e->stage_count; i++) {
		struct bp_stage *s = &e->stages[i];
		int rc = 0;

		if (s->plugin->desc.init)
			rc = s->plugin->desc.init(s, &s->state);
		if (rc) {
			stage_error_line(e, s, rc);
			s->status = BP_STAGE_FAILED;
			/* only stages whose init succeeded are cleaned up */
			for (size_t j = i; j-- > 0;) {
				struct bp_stage *t = &e->stages[j];

				if (t->plugin->desc.cleanup)
					t->plugin->desc.cleanup(t, t->state);
				t->inited = false;
			}
			return rc;
		}
		s->inited = true;
	}
	return 0;
}

int bp_engine_load(struct bp_engine *e, const char *path)
{
	const struct pipeline_entry *en;
	struct expand_vars vars;
	char *storage[3] = {NULL, NULL, NULL};
	int rc;

	if (!e || !path)
		return BP_EINVAL;
	if (e->loaded)
		return engine_fail(e, BP_EINVAL,
				   "a pipeline is already loaded");
	err_clear(&e->err);
	rc = pipeline_read(&e->err, path, &e->overrides, &e->file);
	if (rc == 0)
		rc = check_pipeline_keys(e);
	if (rc == 0)
		rc = check_include_only(e, path);
	if (rc == 0) {
		en = pipeline_last(&e->file, "pipeline", "name");
		e->name = en ? strdup(en->value) : pipeline_default_name(path);
		en = pipeline_last(&e->file, "pipeline", "description");
		e->description = strdup(en ? en->value : "");
		if (!e->name || !e->description)
			rc = BP_ENOMEM;
	}
	if (rc == 0)
		rc = parse_stages(e);
	if (rc == 0)
		rc = check_sections(e);
	if (rc == 0)
		rc = compute_vars(e, &vars, storage);
	if (rc == 0)
		rc = bind_plugins(e, &vars);
	if (rc == 0 && e->stop_after && !stage_listed(e, e->stop_after))
		rc = no_stop_stage(e, path);
	if (rc == 0)
		rc = check_data_flow(e);
	if (rc == 0)
		rc = publish_engine_keys(e, &vars);
	if (rc == 0)
		rc = init_stages(e);
	for (size_t i = 0; i < 3; i++)
		free(storage[i]);
	if (rc == BP_ENOMEM && !e->err.msg)
		engine_fail(e, rc, "out of memory while loading %s", path);
	if (rc) {
		/* a failed load leaves the engine as new, so it can load again
		 */
		unload_stages(e);
		pipeline_file_release(&e->file);
		free(e->name);
		free(e->description);
		e->name = e->description = NULL;
		e->outcome = bp_outcome_from_status(rc);
		return rc;
	}
	e->loaded = true;
	return 0;
}

/* --- running ------------------------------------------------------------ */

int bp_engine_run(struct bp_engine *e)
{
	const char *outcome_name;
	enum bp_outcome outcome;
	double start;
	int status = 0;

	if (!e)
		return BP_EINVAL;
	if (!e->loaded) {
		e->outcome = BP_OUTCOME_CONFIG;
		return engine_fail(e, BP_EINVAL, "no pipeline loaded");
	}
	bp_ctx_remove(e->ctx, BP_KEY_RUN_OUTCOME);
	for (size_t i = 0; i < e->stage_count; i++) {
		e->stages[i].status = BP_STAGE_PENDING;
		e->stages[i].duration = 0;
		err_clear(&e->stages[i].err);
	}
	e->console_dropped = 0;
	cancel_set_running(e);
	start = monotonic_seconds();
	for (size_t i = 0; i < e->stage_count && status == 0; i++) {
		struct bp_stage *s = &e->stages[i];
		double t0 = monotonic_seconds();

		if (e->cancelled) {
			status = BP_EINTR;
			engine_fail(e, status, "interrupted before stage %s",
				    s->name);
			break;
		}
		status = s->plugin->desc.run(s, s->state, e->ctx);
		bp_progress_end(s);
		s->duration = monotonic_seconds() - t0;
		s->status = status ? BP_STAGE_FAILED : BP_STAGE_OK;
		if (status)
			stage_error_line(e, s, status);
		if (e->stop_after && strcmp(e->stop_after, s->name) == 0)
			break;
	}
	e->run_duration = monotonic_seconds() - start;
	cancel_set_running(NULL);
	outcome_name = bp_ctx_str_or(e->ctx, BP_KEY_RUN_OUTCOME, NULL);
	if (e->cancelled)
		outcome = BP_OUTCOME_INTERRUPTED;
	else if (!outcome_name || bp_outcome_parse(outcome_name, &outcome))
		outcome = bp_outcome_from_status(status);
	e->outcome = outcome;
	return status;
}

/* --- the stage handle ---------------------------------------------------- */

int bp_fail(struct bp_stage *self, int status, const char *fmt, ...)
{
	va_list ap;

	if (!self)
		return status;
	va_start(ap, fmt);
	err_vset(&self->err, status, fmt, ap);
	va_end(ap);
	return status;
}

const char *bp_stage_name(const struct bp_stage *self)
{
	return self ? self->name : "";
}

const char *bp_stage_plugin_name(const struct bp_stage *self)
{
	return self ? self->plugin->desc.name : "";
}

bool bp_stage_dry_run(const struct bp_stage *self)
{
	return self && self->engine->dry_run;
}

bool bp_stage_quiet(const struct bp_stage *self)
{
	return self && self->engine->quiet;
}

bool bp_stage_log_json(const struct bp_stage *self)
{
	return self && self->engine->log_json;
}

size_t bp_engine_stage_count(const struct bp_engine *e)
{
	return e ? e->stage_count : 0;
}

struct bp_stage *bp_engine_stage_at(struct bp_engine *e, size_t index)
{
	return e && index < e->stage_count ? &e->stages[index] : NULL;
}

enum bp_stage_status bp_stage_status(const struct bp_stage *s)
{
	return s ? s->status : BP_STAGE_PENDING;
}

double bp_stage_duration(const struct bp_stage *s)
{
	return s ? s->duration : 0;
}

const char *bp_stage_plugin_version(const struct bp_stage *s)
{
	return s ? s->plugin->desc.version : "";
}

const char *bp_stage_plugin_summary(const struct bp_stage *s)
{
	return s && s->plugin->desc.summary ? s->plugin->desc.summary : "";
}

const char *bp_stage_error(const struct bp_stage *s)
{
	return s ? err_msg(&s->err) : "";
}

int bp_stage_opt_str(const struct bp_stage *self, const char *key,
		     const char **out)
{
	return options_str(self ? &self->options : NULL, key, out);
}

int bp_stage_opt_int(const struct bp_stage *self, const char *key, int64_t *out)
{
	return options_int(self ? &self->options : NULL, key, out);
}

int bp_stage_opt_bool(const struct bp_stage *self, const char *key, bool *out)
{
	return options_bool(self ? &self->options : NULL, key, out);
}

int bp_stage_opt_list(const struct bp_stage *self, const char *key,
		      const char *const **items, size_t *count)
{
	return options_list(self ? &self->options : NULL, key, items, count);
}

bool bp_stage_opt_is_set(const struct bp_stage *self, const char *key)
{
	return options_is_set(self ? &self->options : NULL, key);
}

const char *bp_stage_opt_origin(const struct bp_stage *self, const char *key)
{
	return options_origin(self ? &self->options : NULL, key);
}
