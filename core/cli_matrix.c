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
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>
#include <bootpipe/pipeline.h>

#include "cli.h"

#define MAX_SHARDS 1000000

/* The value of SECTION.KEY after merging, or NULL. */
static const char *value_of(const struct bp_pipeline *p, const char *section,
			    const char *key)
{
	struct bp_pipeline_value v;

	return bp_pipeline_get(p, section, key, &v) == 0 ? v.value : NULL;
}

/* The `arch` of the first stage other than resolve-request that sets one:
 * ${arch} falls back to it. */
static const char *other_arch(const struct bp_pipeline *p)
{
	struct bp_pipeline_value v;

	for (size_t i = 0; bp_pipeline_value_at(p, i, &v) == 0; i++) {
		if (strcmp(v.key, "arch") == 0 &&
		    strcmp(v.section, "pipeline") != 0 &&
		    strcmp(v.section, "resolve-request") != 0)
			return v.value;
	}
	return NULL;
}

/* A job for @path: its name and the arch it boots, read the way the
 * engine reads the file (includes merged). */
static json_t *matrix_entry(const char *path, int *rc)
{
	struct bp_pipeline *p = NULL;
	const char *arch;
	json_t *entry = NULL;

	*rc = bp_pipeline_open(path, &p);
	if (*rc) {
		fprintf(stderr, "bootpipe: %s\n", bp_pipeline_error(p));
		*rc = *rc == BP_ENOMEM ? BP_OUTCOME_INFRA : BP_OUTCOME_CONFIG;
		goto release;
	}
	arch = value_of(p, "pipeline", "arch");
	if (!arch)
		arch = value_of(p, "resolve-request", "arch");
	if (!arch)
		arch = other_arch(p);
	entry = json_pack("{s:s, s:s, s:s}", "pipeline", path, "name",
			  bp_pipeline_name(p), "arch", arch ? arch : "");
	if (!entry) {
		fprintf(stderr, "bootpipe: %s: name or arch is not UTF-8\n",
			path);
		*rc = BP_OUTCOME_CONFIG;
	}
release:
	bp_pipeline_free(p);
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
		/* shared parts other pipelines include are no job */
		if (cli_pipeline_include_only(sorted[i])) {
			fprintf(stderr,
				"bootpipe: %s: include-only, not a job\n",
				sorted[i]);
			continue;
		}
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
	/* a job that runs nothing would pass and hide the mistake */
	if (unique == 0) {
		fprintf(stderr,
			"bootpipe: no pipeline for the matrix: every file "
			"given is include-only ([pipeline] include_only = "
			"true); pass the pipelines that include them\n");
		rc = BP_OUTCOME_CONFIG;
		goto out;
	}
	if (kept == 0) {
		fprintf(stderr,
			"bootpipe: shard %lld/%lld is empty: %zu pipelines "
			"for %lld shards; use at most %zu shards (GitLab "
			"parallel:, the --shard N)\n",
			index, total, unique, total, unique);
		rc = BP_OUTCOME_CONFIG;
		goto out;
	}
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
