/*
 * Parses a TOML file with the bootpipe reader and prints the parse-only
 * throughput (best of a few runs), the node count and the peak RSS. Used by
 * toml.sh.
 */
#include <bootpipe/toml.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t count(const struct bp_toml_node *n)
{
	size_t sum = 1, i;

	if (bp_toml_type(n) == BP_TOML_TABLE)
		for (i = 0; i < bp_toml_len(n); i++)
			sum += count(bp_toml_value_at(n, i));
	else if (bp_toml_type(n) == BP_TOML_ARRAY)
		for (i = 0; i < bp_toml_len(n); i++)
			sum += count(bp_toml_at(n, i));
	return sum;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct bp_toml_doc *doc = NULL;
	struct rusage ru;
	char err[512], *buf;
	double best = 1e30;
	size_t len = 0, nodes;
	int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 3;

	if (argc < 2) {
		fprintf(stderr, "usage: toml-bench FILE [RUNS]\n");
		return 2;
	}
	buf = slurp(argv[1], &len);
	if (!buf) {
		fprintf(stderr, "toml-bench: cannot read %s: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	for (int i = 0; i < (runs > 0 ? runs : 1); i++) {
		double t0 = now(), dt;

		if (doc)
			bp_toml_free(doc);
		if (bp_toml_parse_buf(buf, len, argv[1], &doc, err,
				      sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			free(buf);
			return 1;
		}
		dt = now() - t0;
		if (dt < best)
			best = dt;
	}
	nodes = count(bp_toml_root(doc));
	bp_toml_free(doc);
	free(buf);
	getrusage(RUSAGE_SELF, &ru);
	printf("bytes=%zu nodes=%zu seconds=%.4f mb_per_s=%.1f "
	       "peak_rss_kb=%ld\n",
	       len, nodes, best, (double)len / 1e6 / best, ru.ru_maxrss);
	return 0;
}
