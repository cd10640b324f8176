/*
 * `bootpipe test`: the AxVisor / ArceOS / StarryOS CI suites under
 * test-suit/, found as axbuild finds them (suite/). This file is the
 * command line; the suite library does the work.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/bootpipe.h>

#include "cli.h"
#include "suite.h"

#define MAX_CASES 256

static const char test_usage[] =
    "usage: bootpipe test [SUITE_DIR] [--os axvisor|arceos|starry]\n"
    "         [--group NAME] [--arch ARCH] [--case NAME]... [--list]\n"
    "         [--shard I/N] [--workspace DIR]\n"
    "Finds the CI cases under SUITE_DIR (default: <workspace>/test-suit)\n"
    "as axbuild does. --list prints them in run order, one per line:\n"
    "os, group, case, arch, variant (- for none), tab-separated.\n";

struct test_args {
	const char *suite_dir;
	const char *workspace;
	struct suite_filter filter;
	const char *cases[MAX_CASES];
	const char *shard;
	bool list;
};

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "bootpipe test: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", test_usage);
	return BP_OUTCOME_CONFIG;
}

/* "I/N" with 1 <= I <= N. */
static bool parse_shard(const char *s, unsigned long *index,
			unsigned long *count)
{
	char *end;

	*index = strtoul(s, &end, 10);
	if (end == s || *end != '/' || s[0] == '-')
		return false;
	s = end + 1;
	*count = strtoul(s, &end, 10);
	return end != s && !*end && s[0] != '-' && *index >= 1 && *count >= 1 &&
	       *index <= *count && *count <= 1000000;
}

/* The nearest directory from the cwd up that holds test-suit/. */
static char *find_suite_dir(const char *workspace)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct stat st;

	if (workspace) {
		snprintf(path, sizeof(path), "%s/test-suit", workspace);
		return strdup(path);
	}
	if (!getcwd(dir, sizeof(dir)))
		return NULL;
	for (;;) {
		char *slash;

		snprintf(path, sizeof(path), "%s/test-suit", dir);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return strdup(path);
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
	}
	return strdup("test-suit");
}

static int parse(struct test_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"os", required_argument, NULL, 'o'},
	    {"group", required_argument, NULL, 'g'},
	    {"arch", required_argument, NULL, 'a'},
	    {"case", required_argument, NULL, 'c'},
	    {"list", no_argument, NULL, 'l'},
	    {"shard", required_argument, NULL, 's'},
	    {"workspace", required_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			a->filter.os = optarg;
			break;
		case 'g':
			a->filter.group = optarg;
			break;
		case 'a':
			a->filter.arch = optarg;
			break;
		case 'c':
			if (a->filter.case_count == MAX_CASES)
				return usage("more than 256 --case", "");
			a->cases[a->filter.case_count++] = optarg;
			break;
		case 'l':
			a->list = true;
			break;
		case 's':
			a->shard = optarg;
			break;
		case 'w':
			a->workspace = optarg;
			break;
		case 'h':
			fputs(test_usage, stdout);
			return -1;
		default:
			return usage("%s", "bad option");
		}
	}
	if (optind < argc)
		a->suite_dir = argv[optind++];
	if (optind < argc)
		return usage("unexpected argument `%s`", argv[optind]);
	a->filter.cases = a->cases;
	return 0;
}

int cli_test(int argc, char **argv)
{
	struct test_args a = {0};
	struct suite_list list = {0};
	unsigned long shard_index = 1, shard_count = 1;
	char err[1024], *dir;
	int rc = parse(&a, argc, argv);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (a.shard && !parse_shard(a.shard, &shard_index, &shard_count))
		return usage("--shard `%s`: expected I/N with 1 <= I <= N",
			     a.shard);
	dir = a.suite_dir ? strdup(a.suite_dir) : find_suite_dir(a.workspace);
	if (!dir)
		return BP_OUTCOME_INFRA;
	if (suite_discover(dir, &a.filter, &list, err, sizeof(err)) < 0) {
		fprintf(stderr, "bootpipe test: %s\n", err);
		free(dir);
		suite_list_release(&list);
		return BP_OUTCOME_CONFIG;
	}
	free(dir);
	suite_shard(&list, shard_index, shard_count);
	if (!a.list) {
		fprintf(stderr, "bootpipe test: running cases is not built "
				"yet; use --list\n");
		suite_list_release(&list);
		return BP_OUTCOME_CONFIG;
	}
	for (size_t i = 0; i < list.count; i++) {
		const struct suite_case *c = &list.cases[i];

		printf("%s\t%s\t%s\t%s\t%s\n", c->os, c->group, c->display,
		       c->arch, c->variant ? c->variant : "-");
	}
	suite_list_release(&list);
	return 0;
}
