/*
 * `bootpipe matrix`: the CI fan-out. Turns a list of pipeline files into a
 * JSON job matrix that GitHub Actions reads with fromJSON() as
 * `strategy.matrix` and whose `include` entries are GitLab
 * `parallel:matrix` entries. `--shard I/N` keeps the I-th of N parts, so N
 * CI jobs (GitLab `parallel: N`) split the pipelines between them.
 *
 * Sharding is round-robin over the sorted, deduplicated paths: every
 * pipeline lands in exactly one shard, the same one on every machine,
 * and shard sizes differ by at most one.
 */
#include <errno.h>
#include <ini.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

#include "cli.h"

#define MAX_INCLUDE_DEPTH 16
#define MAX_SHARDS 1000000

/* What a job needs to know about a pipeline, as its files say it. */
struct facts {
	char *name;
	char *pipeline_arch; /* [pipeline] arch: what ${arch} is */
	char *request_arch;  /* [resolve-request] arch: what it boots */
	char *other_arch;    /* the first `arch` of any other stage */
	char *includes[16];  /* resolved paths, in file order */
	size_t include_count;
	bool too_many_includes;
	const char *dir; /* of the file being read */
};

static void facts_release(struct facts *f)
{
	free(f->name);
	free(f->pipeline_arch);
	free(f->request_arch);
	free(f->other_arch);
	for (size_t i = 0; i < f->include_count; i++)
		free(f->includes[i]);
}

static void set_once(char **slot, const char *value, bool replace)
{
	char *copy;

	if (*slot && !replace)
		return;
	copy = strdup(value);
	if (!copy)
		return;
	free(*slot);
	*slot = copy;
}

static int on_key(void *user, const char *section, const char *key,
		  const char *value)
{
	struct facts *f = user;
	bool pipeline = strcmp(section, "pipeline") == 0;

	if (pipeline && strcmp(key, "name") == 0) {
		set_once(&f->name, value, true);
	} else if (pipeline && strcmp(key, "include") == 0 && value[0]) {
		size_t size = strlen(f->dir) + strlen(value) + 2;
		char *path;

		if (f->include_count ==
		    sizeof(f->includes) / sizeof(f->includes[0])) {
			f->too_many_includes = true;
			return 1;
		}
		path = malloc(size);
		if (!path)
			return 0;
		if (value[0] == '/')
			snprintf(path, size, "%s", value);
		else
			snprintf(path, size, "%s/%s", f->dir, value);
		f->includes[f->include_count++] = path;
	} else if (pipeline && strcmp(key, "arch") == 0) {
		set_once(&f->pipeline_arch, value, true);
	} else if (strcmp(section, "resolve-request") == 0 &&
		   strcmp(key, "arch") == 0) {
		set_once(&f->request_arch, value, true);
	} else if (strcmp(key, "arch") == 0) {
		set_once(&f->other_arch, value, false);
	}
	return 1;
}

/* Reads @path and its includes into @out: included files first, later
 * ones over earlier ones, the file itself over all of them (the engine's
 * merge order). 0, or an exit code after a message on stderr. */
static int read_facts(const char *path, int depth, struct facts *out)
{
	struct facts own = {0};
	char *dir = strdup(path), *slash;
	int line, rc = 0;

	if (depth > MAX_INCLUDE_DEPTH) {
		fprintf(stderr,
			"bootpipe: %s: includes nest deeper than %d files "
			"(an include cycle?); run `bootpipe check %s`\n",
			path, MAX_INCLUDE_DEPTH, path);
		free(dir);
		return BP_OUTCOME_CONFIG;
	}
	if (!dir)
		return BP_OUTCOME_INFRA;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	own.dir = slash ? dir : ".";
	line = ini_parse(path, on_key, &own);
	if (line == -1 || line == -2) {
		fprintf(stderr, "bootpipe: cannot open pipeline file %s: %s\n",
			path, strerror(errno));
		rc = BP_OUTCOME_CONFIG;
	} else if (line != 0) {
		fprintf(stderr,
			"bootpipe: %s:%d: cannot parse this line; run "
			"`bootpipe check %s` for details\n",
			path, line, path);
		rc = BP_OUTCOME_CONFIG;
	} else if (own.too_many_includes) {
		fprintf(stderr, "bootpipe: %s: more than %zu includes\n", path,
			sizeof(own.includes) / sizeof(own.includes[0]));
		rc = BP_OUTCOME_CONFIG;
	}
	for (size_t i = 0; rc == 0 && i < own.include_count; i++)
		rc = read_facts(own.includes[i], depth + 1, out);
	if (rc == 0) {
		if (own.name)
			set_once(&out->name, own.name, true);
		if (own.pipeline_arch)
			set_once(&out->pipeline_arch, own.pipeline_arch, true);
		if (own.request_arch)
			set_once(&out->request_arch, own.request_arch, true);
		if (own.other_arch)
			set_once(&out->other_arch, own.other_arch, true);
	}
	facts_release(&own);
	free(dir);
	return rc;
}

/* The file name without its directory and `.ini`: the engine's default
 * pipeline name. */
static char *file_stem(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(base);

	if (len > 4 && strcmp(base + len - 4, ".ini") == 0)
		len -= 4;
	return strndup(base, len);
}

static json_t *matrix_entry(const char *path, int *rc)
{
	struct facts f = {0};
	const char *arch;
	char *stem = NULL;
	json_t *entry = NULL;

	*rc = read_facts(path, 0, &f);
	if (*rc)
		goto release;
	stem = f.name ? NULL : file_stem(path);
	arch = f.pipeline_arch	? f.pipeline_arch
	       : f.request_arch ? f.request_arch
	       : f.other_arch	? f.other_arch
				: "";
	entry = json_pack("{s:s, s:s, s:s}", "pipeline", path, "name",
			  f.name ? f.name
			  : stem ? stem
				 : path,
			  "arch", arch);
	if (!entry) {
		fprintf(stderr, "bootpipe: %s: name or arch is not UTF-8\n",
			path);
		*rc = BP_OUTCOME_CONFIG;
	}
release:
	free(stem);
	facts_release(&f);
	return entry;
}

/* "I/N" with 1 <= I <= N; false when malformed. */
static bool parse_shard(const char *text, long long *index, long long *total)
{
	char *end;

	errno = 0;
	*index = strtoll(text, &end, 10);
	if (errno || end == text || *end != '/')
		return false;
	text = end + 1;
	*total = strtoll(text, &end, 10);
	if (errno || end == text || *end)
		return false;
	return *total >= 1 && *total <= MAX_SHARDS && *index >= 1 &&
	       *index <= *total;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cli_matrix(char *const *pipelines, int count, const char *shard)
{
	long long index = 1, total = 1;
	json_t *root = NULL, *include;
	const char **sorted = NULL;
	size_t unique = 0, kept = 0;
	char *text;
	int rc = 0;

	if (shard && !parse_shard(shard, &index, &total)) {
		fprintf(stderr,
			"bootpipe: --shard %s: expected I/N, the I-th of N "
			"shards, with 1 <= I <= N (e.g. --shard 1/4; in "
			"GitLab --shard $CI_NODE_INDEX/$CI_NODE_TOTAL)\n",
			shard);
		return BP_OUTCOME_CONFIG;
	}
	if (count < 1) {
		fprintf(stderr, "bootpipe: matrix needs at least one pipeline "
				"file\nrun `bootpipe --help` for usage\n");
		return BP_OUTCOME_CONFIG;
	}
	sorted = malloc((size_t)count * sizeof(*sorted));
	root = json_object();
	include = json_array();
	if (!sorted || !root || !include ||
	    json_object_set_new(root, "include", include) != 0) {
		rc = BP_OUTCOME_INFRA;
		goto out;
	}
	/* sorted and deduplicated, so the shards do not depend on the order
	 * the shell expanded a glob in */
	for (int i = 0; i < count; i++)
		sorted[i] = pipelines[i];
	qsort(sorted, (size_t)count, sizeof(*sorted), compare_paths);
	for (int i = 0; i < count && rc == 0; i++) {
		json_t *entry;

		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		/* every file is read, so a broken one fails every shard */
		entry = matrix_entry(sorted[i], &rc);
		if (entry && (long long)(unique % (size_t)total) + 1 == index) {
			json_array_append_new(include, entry);
			kept++;
		} else {
			json_decref(entry);
		}
		unique++;
	}
	if (rc)
		goto out;
	if (kept == 0)
		fprintf(stderr,
			"bootpipe: shard %lld/%lld is empty: %zu pipelines "
			"for %lld shards\n",
			index, total, unique, total);
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text) {
		rc = BP_OUTCOME_INFRA;
		goto out;
	}
	puts(text);
	free(text);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "bootpipe: cannot write the matrix: %s\n",
			strerror(errno));
		rc = BP_OUTCOME_INFRA;
	}
out:
	json_decref(root);
	free(sorted);
	return rc;
}
