/*
 * Reads pipeline files: INI through inih, with includes merged first (the
 * including file wins), section positions recorded, line numbers tracked by
 * our own line reader, and over-long lines caught before inih cuts them.
 */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/pipeline.h>

#include "engine_internal.h"

/* Debian builds inih with INI_MAX_LINE 200: longer lines are cut. */
#define INIH_MAX_LINE 200
/* Longer lines are refused without their length being counted. */
#define LINE_READ_MAX 65536
#define MAX_INCLUDE_DEPTH 16

void pipeline_file_release(struct pipeline_file *file)
{
	free(file->path);
	entry_list_release(&file->entries);
	for (size_t i = 0; i < file->section_count; i++) {
		free(file->sections[i].name);
		free(file->sections[i].file);
	}
	free(file->sections);
	memset(file, 0, sizeof(*file));
}

static bool entry_same_key(const struct pipeline_entry *a,
			   const struct pipeline_entry *b)
{
	return strcmp(a->section, b->section) == 0 &&
	       strcmp(a->key, b->key) == 0;
}

static bool list_has_key(const struct entry_list *list,
			 const struct pipeline_entry *e)
{
	for (size_t i = 0; i < list->count; i++) {
		if (entry_same_key(&list->items[i], e))
			return true;
	}
	return false;
}

/* Moves @top over @base: every key @top sets replaces all of @base's
 * values for it. @base receives the result; @top is emptied. */
static int merge_over(struct entry_list *base, struct entry_list *top)
{
	struct entry_list out = {0};
	int rc = 0;

	for (size_t i = 0; i < base->count && rc == 0; i++) {
		struct pipeline_entry *e = &base->items[i];

		if (!list_has_key(top, e))
			rc = entry_list_add(&out, e->section, e->key, e->value,
					    e->file, e->line);
	}
	for (size_t i = 0; i < top->count && rc == 0; i++) {
		struct pipeline_entry *e = &top->items[i];

		rc = entry_list_add(&out, e->section, e->key, e->value, e->file,
				    e->line);
	}
	entry_list_release(base);
	entry_list_release(top);
	if (rc) {
		entry_list_release(&out);
		return rc;
	}
	*base = out;
	return 0;
}

struct reader {
	struct bp_err *err;
	struct pipeline_file *file;
	FILE *fp;
	const char *path;
	char *line;
	size_t line_cap;
	int lineno;
	int status; /* first error, 0 when none */
	struct entry_list own;
	struct entry_list included;
	const char **stack; /* include chain (real paths), for cycles */
	int depth;
};

static int read_file(struct bp_err *err, struct pipeline_file *file,
		     const char *path, const char *from, const char **stack,
		     int depth, struct entry_list *out);

static void note_section(struct reader *r, const char *text)
{
	const char *end = strchr(text, ']');
	struct section_mark *marks;
	char *name;

	if (!end || r->status)
		return;
	marks = realloc(r->file->sections,
			(r->file->section_count + 1) * sizeof(*marks));
	if (!marks)
		goto oom;
	r->file->sections = marks;
	name = strndup(text + 1, (size_t)(end - text - 1));
	if (!name)
		goto oom;
	marks[r->file->section_count].name = name;
	marks[r->file->section_count].file = strdup(r->path);
	marks[r->file->section_count].line = r->lineno;
	if (!marks[r->file->section_count].file) {
		free(name);
		goto oom;
	}
	r->file->section_count++;
	return;
oom:
	r->status = BP_ENOMEM;
}

/* Reads one line into r->line like getline(), but never more than
 * LINE_READ_MAX bytes: a file without newlines (/dev/zero) must not be
 * read whole. The length, -1 at the end, or LINE_READ_MAX + 1 for a
 * longer line. */
static ssize_t read_bounded(struct reader *r)
{
	size_t n = 0;
	int c = EOF;

	if (!r->line) {
		r->line = malloc(LINE_READ_MAX + 1);
		if (!r->line) {
			r->status = BP_ENOMEM;
			return -1;
		}
		r->line_cap = LINE_READ_MAX + 1;
	}
	while ((c = getc(r->fp)) != EOF) {
		if (n == LINE_READ_MAX)
			return LINE_READ_MAX + 1;
		r->line[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0 && c == EOF)
		return -1;
	r->line[n] = '\0';
	return (ssize_t)n;
}

/* inih's line reader: counts lines, records section headers and refuses
 * lines that inih would silently cut. */
static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	const char *p;
	ssize_t n;
	int max;

	if (r->status)
		return NULL;
	n = read_bounded(r);
	if (n < 0) {
		if (ferror(r->fp) && !r->status)
			r->status =
			    err_set(r->err, BP_ECONFIG,
				    "cannot read %s (after line %d): %s",
				    r->path, r->lineno, strerror(errno));
		return NULL;
	}
	r->lineno++;
	if (n > LINE_READ_MAX) {
		r->status = err_set(
		    r->err, BP_ECONFIG,
		    "%s:%d: line is longer than %d bytes: not a pipeline file",
		    r->path, r->lineno, LINE_READ_MAX);
		return NULL;
	}
	if (n > 0 && r->line[n - 1] == '\n')
		n--;
	if (n > 0 && r->line[n - 1] == '\r')
		n--;
	/* inih would stop at the NUL and take the rest of the line as gone */
	if (memchr(r->line, '\0', (size_t)n)) {
		r->status = err_set(r->err, BP_ECONFIG,
				    "%s:%d: line contains a NUL byte: not a "
				    "text file",
				    r->path, r->lineno);
		return NULL;
	}
	/* room for the newline and the NUL inih expects */
	max = (num < INIH_MAX_LINE ? num : INIH_MAX_LINE) - 2;
	if (n > max) {
		r->status = err_set(
		    r->err, BP_ECONFIG,
		    "%s:%d: line is %zd bytes long, but the INI reader cuts "
		    "lines longer than %d bytes. Split the value over "
		    "continuation lines (following lines indented by "
		    "whitespace, one list item per line)",
		    r->path, r->lineno, n, max);
		return NULL;
	}
	memcpy(str, r->line, (size_t)n);
	str[n] = '\n';
	str[n + 1] = '\0';
	for (p = str; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '[' && (!strchr(p, ']') || p[1] == ']')) {
		r->status = err_set(r->err, BP_ECONFIG,
				    "%s:%d: section header without a name "
				    "or without its closing ]: write "
				    "[NAME]",
				    r->path, r->lineno);
		return NULL;
	}
	if (*p == '[')
		note_section(r, p);
	return str;
}

static int handle_include(struct reader *r, const char *value)
{
	char *dir = bp_path_dirname(r->path);
	char *target = !dir		       ? NULL
		       : strcmp(dir, ".") == 0 ? strdup(value)
					       : bp_path_join(dir, value);
	struct entry_list inc = {0};
	char *from;
	int rc;

	free(dir);
	if (!target)
		return BP_ENOMEM;
	from = str_printf("%s:%d", r->path, r->lineno);
	rc = from ? read_file(r->err, r->file, target, from, r->stack,
			      r->depth + 1, &inc)
		  : BP_ENOMEM;
	free(from);
	free(target);
	if (rc == 0)
		rc = merge_over(&r->included, &inc);
	entry_list_release(&inc);
	return rc;
}

static int on_entry(void *user, const char *section, const char *name,
		    const char *value)
{
	struct reader *r = user;

	if (r->status)
		return 1;
	if (strcmp(section, "pipeline") == 0 && strcmp(name, "include") == 0) {
		if (value[0])
			r->status = handle_include(r, value);
		return 1;
	}
	if (!section[0]) {
		r->status = err_set(r->err, BP_ECONFIG,
				    "%s:%d: `%s` is outside any section; "
				    "put it under [pipeline] or a stage's "
				    "[section]",
				    r->path, r->lineno, name);
		return 1;
	}
	r->status =
	    entry_list_add(&r->own, section, name, value, r->path, r->lineno);
	return 1;
}

/* @from is "file:line" of the include that names @path, NULL at the top. */
static int read_file(struct bp_err *err, struct pipeline_file *file,
		     const char *path, const char *from, const char **stack,
		     int depth, struct entry_list *out)
{
	struct reader r = {.err = err, .file = file, .path = path};
	const char *chain[MAX_INCLUDE_DEPTH + 1];
	char real[PATH_MAX];
	char *why;
	int err_line, fd;

	if (depth > MAX_INCLUDE_DEPTH)
		return err_set(err, BP_ECONFIG,
			       "%s: includes nest deeper than %d files", path,
			       MAX_INCLUDE_DEPTH);
	fd = bp_open_config(path, from ? "include" : "pipeline file", &why);
	if (fd < 0) {
		if (from)
			err_set(err, fd == BP_ENOMEM ? BP_ENOMEM : BP_ECONFIG,
				"%s: %s", from, why ? why : path);
		else
			err_set(err, fd == BP_ENOMEM ? BP_ENOMEM : BP_ECONFIG,
				"%s", why ? why : path);
		free(why);
		return err->status;
	}
	r.fp = fdopen(fd, "r");
	if (!r.fp) {
		close(fd);
		return err_set(err, BP_ENOMEM, "out of memory reading %s",
			       path);
	}
	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	for (int i = 0; i < depth; i++) {
		if (strcmp(stack[i], real) == 0) {
			fclose(r.fp);
			return err_set(err, BP_ECONFIG,
				       "%s: include cycle: %s includes "
				       "itself through %s",
				       path, real, stack[depth - 1]);
		}
		chain[i] = stack[i];
	}
	chain[depth] = real;
	r.stack = chain;
	r.depth = depth;

	err_line = ini_parse_stream(read_line, &r, on_entry, &r);
	fclose(r.fp);
	free(r.line);
	if (!r.status && err_line > 0)
		r.status = err_set(
		    err, BP_ECONFIG,
		    "%s:%d: cannot parse this line: expected `[section]`, "
		    "`key = value` or an indented continuation line",
		    path, err_line);
	if (!r.status)
		r.status = merge_over(&r.included, &r.own);
	if (!r.status)
		*out = r.included;
	else
		entry_list_release(&r.included);
	entry_list_release(&r.own);
	return r.status;
}

/* `--set stage.key=` (empty) unsets the key: it has taken the file's
 * values away in merge_over; now it goes too, so the default applies. */
static void drop_unset(struct entry_list *list)
{
	size_t kept = 0;

	for (size_t i = 0; i < list->count; i++) {
		struct pipeline_entry *e = &list->items[i];

		if (e->line == 0 && !strcmp(e->file, "--set") && !e->value[0]) {
			free(e->section);
			free(e->key);
			free(e->value);
			free(e->file);
			continue;
		}
		list->items[kept++] = *e;
	}
	list->count = kept;
}

int pipeline_read(struct bp_err *err, const char *path,
		  const struct entry_list *overrides,
		  struct pipeline_file *file)
{
	struct entry_list top = {0};
	int rc;

	memset(file, 0, sizeof(*file));
	file->path = strdup(path);
	if (!file->path)
		return BP_ENOMEM;
	rc = read_file(err, file, path, NULL, NULL, 0, &file->entries);
	for (size_t i = 0; rc == 0 && i < overrides->count; i++) {
		const struct pipeline_entry *e = &overrides->items[i];

		rc = entry_list_add(&top, e->section, e->key, e->value, e->file,
				    e->line);
	}
	if (rc == 0)
		rc = merge_over(&file->entries, &top);
	if (rc == 0)
		drop_unset(&file->entries);
	entry_list_release(&top);
	return rc;
}

int pipeline_foreach_stage(const struct pipeline_file *file,
			   int (*fn)(void *user, const char *name,
				     const struct pipeline_entry *where),
			   void *user, bool *listed)
{
	int rc = 0;

	*listed = false;
	for (size_t i = 0; i < file->entries.count && rc == 0; i++) {
		const struct pipeline_entry *en = &file->entries.items[i];
		const char *p = en->value;

		if (strcmp(en->section, "pipeline") != 0 ||
		    strcmp(en->key, "stages") != 0)
			continue;
		*listed = true;
		while (*p && rc == 0) {
			size_t n = strcspn(p, " \t,");
			char *name;

			if (n) {
				name = strndup(p, n);
				rc = name ? fn(user, name, en) : BP_ENOMEM;
				free(name);
			}
			p += n;
			p += strspn(p, " \t,");
		}
	}
	return rc;
}

const struct pipeline_entry *pipeline_last(const struct pipeline_file *f,
					   const char *section, const char *key)
{
	const struct pipeline_entry *found = NULL;

	for (size_t i = 0; i < f->entries.count; i++) {
		const struct pipeline_entry *e = &f->entries.items[i];

		if (strcmp(e->section, section) == 0 &&
		    strcmp(e->key, key) == 0)
			found = e;
	}
	return found;
}

char *pipeline_default_name(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	return dot && dot != base ? strndup(base, (size_t)(dot - base))
				  : strdup(base);
}

/* --- the public read-only API (bootpipe/pipeline.h) ---------------------- */

struct bp_pipeline {
	struct pipeline_file file;
	struct bp_err err;
	char *name;
	char **stages;
	size_t stage_count;
};

static int collect_stage(void *user, const char *name,
			 const struct pipeline_entry *where)
{
	struct bp_pipeline *p = user;
	char **n = realloc(p->stages, (p->stage_count + 1) * sizeof(*n));

	(void)where;
	if (!n)
		return BP_ENOMEM;
	p->stages = n;
	n[p->stage_count] = strdup(name);
	if (!n[p->stage_count])
		return BP_ENOMEM;
	p->stage_count++;
	return 0;
}

int bp_pipeline_open(const char *path, struct bp_pipeline **out)
{
	static const struct entry_list none;
	struct bp_pipeline *p;
	const struct pipeline_entry *en;
	bool listed;
	int rc;

	if (!out)
		return BP_EINVAL;
	*out = p = calloc(1, sizeof(*p));
	if (!p)
		return BP_ENOMEM;
	if (!path)
		return err_set(&p->err, BP_EINVAL, "no pipeline path given");
	rc = pipeline_read(&p->err, path, &none, &p->file);
	if (rc == 0) {
		en = pipeline_last(&p->file, "pipeline", "name");
		p->name = en ? strdup(en->value) : pipeline_default_name(path);
		rc = p->name ? pipeline_foreach_stage(&p->file, collect_stage,
						      p, &listed)
			     : BP_ENOMEM;
	}
	if (rc == BP_ENOMEM && !p->err.msg)
		err_set(&p->err, rc, "out of memory reading %s", path);
	return rc;
}

void bp_pipeline_free(struct bp_pipeline *p)
{
	if (!p)
		return;
	pipeline_file_release(&p->file);
	err_clear(&p->err);
	free(p->name);
	for (size_t i = 0; i < p->stage_count; i++)
		free(p->stages[i]);
	free(p->stages);
	free(p);
}

const char *bp_pipeline_error(const struct bp_pipeline *p)
{
	return p ? err_msg(&p->err) : "out of memory";
}

const char *bp_pipeline_path(const struct bp_pipeline *p)
{
	return p && p->file.path ? p->file.path : "";
}

const char *bp_pipeline_name(const struct bp_pipeline *p)
{
	return p && p->name ? p->name : "";
}

size_t bp_pipeline_stage_count(const struct bp_pipeline *p)
{
	return p ? p->stage_count : 0;
}

const char *bp_pipeline_stage_at(const struct bp_pipeline *p, size_t index)
{
	return p && index < p->stage_count ? p->stages[index] : NULL;
}

size_t bp_pipeline_value_count(const struct bp_pipeline *p)
{
	return p ? p->file.entries.count : 0;
}

static void fill_value(const struct pipeline_entry *e,
		       struct bp_pipeline_value *out)
{
	out->section = e->section;
	out->key = e->key;
	out->value = e->value;
	out->file = e->file;
	out->line = e->line;
}

int bp_pipeline_value_at(const struct bp_pipeline *p, size_t index,
			 struct bp_pipeline_value *out)
{
	if (!p || !out)
		return BP_EINVAL;
	if (index >= p->file.entries.count)
		return BP_ENOENT;
	fill_value(&p->file.entries.items[index], out);
	return 0;
}

int bp_pipeline_get(const struct bp_pipeline *p, const char *section,
		    const char *key, struct bp_pipeline_value *out)
{
	const struct pipeline_entry *e;

	if (!p || !section || !key || !out)
		return BP_EINVAL;
	e = pipeline_last(&p->file, section, key);
	if (!e)
		return BP_ENOENT;
	fill_value(e, out);
	return 0;
}
