/*
 * `bootpipe test`: the AxVisor / ArceOS / StarryOS CI suites under
 * test-suit/, found as axbuild finds them (suite/). This file is the
 * command line; the suite library does the work.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/bootpipe.h>

#include "cli.h"
#include "report.h"
#include "run.h"
#include "suite.h"

#define MAX_CASES 256
#define MAX_PASS 256
#define TEST_PIPELINE "/../share/bootpipe/pipelines/test-case.ini"

static const char test_usage[] =
    "usage: bootpipe test [SUITE_DIR] [--os axvisor|arceos|starry]\n"
    "         [--group NAME] [--arch ARCH] [--case NAME]... [--list]\n"
    "         [--shard I/N] [--kernel [ARCH=]PATH]... [-j N]\n"
    "         [--fail-fast|--keep-going]\n"
    "         [--rerun-failed REPORT.json] [--report json=PATH|junit=PATH]\n"
    "         [--workspace DIR] [--run-dir DIR] [--pipeline FILE] [--cargo "
    "CARGO]\n"
    "         [--set STAGE.KEY=VALUE]... [--plugin-dir DIR]...\n"
    "Finds the CI cases under SUITE_DIR (default: <workspace>/test-suit)\n"
    "as axbuild does and runs each as a pipeline (default: the shipped\n"
    "test-case.ini) in its own `bootpipe run`, -j N at once. A failing\n"
    "case does not stop the others unless --fail-fast. Exit 0 when all\n"
    "passed, else the most severe outcome. --list prints the cases in run\n"
    "order, one per line: os, group, case, arch, variant (- for none),\n"
    "tab-separated; a grouped StarryOS case is followed by a line per\n"
    "subcase, CASE/SUBCASE. --kernel PATH is the image every case boots,\n"
    "--kernel ARCH=PATH (once per arch) that of ARCH's cases, before PATH;\n"
    "a plain --kernel over more than one arch is warned about. Cases\n"
    "without a kernel are built first, each build group once, with the\n"
    "cargo-build stage (--cargo: the cargo binary), as axbuild does.\n"
    "Case directories (pipeline, command, logs, report) go to --run-dir\n"
    "(default: <workspace>/tmp/bootpipe/test/<time>).\n";

struct test_args {
	const char *suite_dir;
	const char *workspace;
	struct suite_filter filter;
	const char *cases[MAX_CASES];
	const char *shard;
	bool list;
	const char *kernel; /* plain --kernel PATH: every arch */
	struct suite_kernel arch_kernels[4]; /* --kernel ARCH=PATH */
	char kernel_arch[4][16];
	size_t arch_kernel_count;
	unsigned jobs;
	bool fail_fast;
	const char *rerun;
	const char *reports[8][2];
	size_t report_count;
	const char *run_dir;
	const char *pipeline;
	const char *relay;
	const char *cargo;
	const char *pass[MAX_PASS]; /* to every `bootpipe run` */
	size_t pass_count;
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

/* --kernel ARCH=PATH (ARCH one the suite knows) or --kernel PATH; a path
 * whose first part looks like ARCH= is written ./ARCH=... */
static int parse_kernel(struct test_args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : 0;
	char arch[sizeof(a->kernel_arch[0])];

	if (!eq || memchr(arg, '/', n)) {
		if (a->kernel)
			return usage("--kernel `%s`: a second kernel for every "
				     "arch; give one per arch as "
				     "--kernel ARCH=PATH",
				     arg);
		a->kernel = arg;
		return 0;
	}
	snprintf(arch, sizeof(arch), "%.*s", (int)n, arg);
	if (n >= sizeof(arch) || !suite_arch_target(arch))
		return usage("--kernel `%s`: unknown arch before `=`; expected "
			     "ARCH=PATH with ARCH aarch64, x86_64, riscv64 or "
			     "loongarch64 (write a path holding `=` as "
			     "./NAME)",
			     arg);
	if (!eq[1])
		return usage("--kernel `%s`: no PATH after `=`", arg);
	for (size_t i = 0; i < a->arch_kernel_count; i++)
		if (!strcmp(a->arch_kernels[i].arch, arch))
			return usage("--kernel `%s`: a second kernel for this "
				     "arch",
				     arg);
	/* four arches, each at most once: there is room */
	memcpy(a->kernel_arch[a->arch_kernel_count], arch, sizeof(arch));
	a->arch_kernels[a->arch_kernel_count].arch =
	    a->kernel_arch[a->arch_kernel_count];
	a->arch_kernels[a->arch_kernel_count++].path = eq + 1;
	return 0;
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
	    {"kernel", required_argument, NULL, 'k'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"fail-fast", no_argument, NULL, 'F'},
	    {"keep-going", no_argument, NULL, 'K'},
	    {"rerun-failed", required_argument, NULL, 'R'},
	    {"report", required_argument, NULL, 'r'},
	    {"run-dir", required_argument, NULL, 'd'},
	    {"pipeline", required_argument, NULL, 'p'},
	    {"set", required_argument, NULL, 'S'},
	    {"plugin-dir", required_argument, NULL, 'P'},
	    {"relay", required_argument, NULL, 'Y'},
	    {"cargo", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int ch;

	optind = 1;
	a->jobs = 1;
	while ((ch = getopt_long(argc, argv, "hj:", opts, NULL)) != -1) {
		char *end;
		unsigned long n;

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
		case 'k':
			if (parse_kernel(a, optarg) != 0)
				return BP_OUTCOME_CONFIG;
			break;
		case 'j':
			n = strtoul(optarg, &end, 10);
			if (end == optarg || *end || optarg[0] == '-' ||
			    n < 1 || n > 256)
				return usage("-j `%s`: expected 1..256",
					     optarg);
			a->jobs = (unsigned)n;
			break;
		case 'F':
			a->fail_fast = true;
			break;
		case 'K':
			a->fail_fast = false;
			break;
		case 'R':
			a->rerun = optarg;
			break;
		case 'r':
			if (a->report_count == 8 || !strchr(optarg, '='))
				return usage("--report `%s`: expected "
					     "json=PATH or junit=PATH (at "
					     "most 8)",
					     optarg);
			a->reports[a->report_count][0] = optarg;
			a->reports[a->report_count++][1] =
			    strchr(optarg, '=') + 1;
			break;
		case 'd':
			a->run_dir = optarg;
			break;
		case 'p':
			a->pipeline = optarg;
			break;
		case 'S':
		case 'P':
			if (a->pass_count + 1 >= MAX_PASS)
				return usage("too many --set/--plugin-dir", "");
			a->pass[a->pass_count++] =
			    ch == 'S' ? "--set" : "--plugin-dir";
			a->pass[a->pass_count++] = optarg;
			break;
		case 'Y':
			a->relay = optarg;
			break;
		case 'C':
			a->cargo = optarg;
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

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A path made absolute against the cwd: case children run elsewhere. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out = NULL;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static char *beside_exe(const char *rel)
{
	char exe[PATH_MAX], *out = NULL;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if (!rel)
		return strdup(exe);
	*strrchr(exe, '/') = '\0';
	if (asprintf(&out, "%s%s", exe, rel) < 0)
		return NULL;
	return out;
}

static char *default_run_dir(const char *workspace)
{
	char stamp[32], *out = NULL;
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	if (asprintf(&out, "%s/tmp/bootpipe/test/%s-%ld", workspace, stamp,
		     (long)getpid()) < 0)
		return NULL;
	return out;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * One image boots on one arch: plain --kernel for the cases of more than
 * one arch boots some of them on the wrong one; and a --kernel ARCH=PATH
 * whose arch has no selected case does nothing. Both are said.
 */
static void warn_kernel_arches(const struct suite_run_opts *o,
			       const struct suite_list *list)
{
	char arches[64] = "";
	size_t n = 0;

	for (size_t i = 0; o->kernel && i < list->count; i++) {
		const struct suite_case *c = &list->cases[i];
		char *at = strstr(arches, c->arch);
		size_t len = strlen(c->arch);

		if (suite_case_kernel(o, c) != o->kernel ||
		    (at && (at[len] == ',' || at[len] == '\0')))
			continue;
		snprintf(arches + strlen(arches),
			 sizeof(arches) - strlen(arches), "%s%s",
			 n++ ? ", " : "", c->arch);
	}
	if (n > 1)
		fprintf(stderr,
			"bootpipe test: warning: --kernel %s boots the cases "
			"of %zu arches (%s), but an image runs on one; give "
			"one per arch with --kernel ARCH=PATH, or select one "
			"with --arch\n",
			o->kernel, n, arches);
	for (size_t k = 0; k < o->arch_kernel_count; k++) {
		bool used = false;

		for (size_t i = 0; i < list->count && !used; i++)
			used = !strcmp(list->cases[i].arch,
				       o->arch_kernels[k].arch);
		if (!used)
			fprintf(stderr,
				"bootpipe test: warning: --kernel %s=%s: no "
				"selected case is %s\n",
				o->arch_kernels[k].arch,
				o->arch_kernels[k].path,
				o->arch_kernels[k].arch);
	}
}

static int run_list(struct test_args *a, struct suite_list *list,
		    const char *suite_dir)
{
	struct suite_run_opts o = {.jobs = a->jobs,
				   .fail_fast = a->fail_fast,
				   .progress = bp_term_escapes(STDERR_FILENO),
				   .run_args = a->pass,
				   .run_arg_count = a->pass_count};
	struct suite_result *results = calloc(list->count, sizeof(*results));
	struct suite_kernel arch_kernels[4] = {0};
	char *workspace = NULL, *kernel = NULL, *pipeline = NULL;
	char *run_dir = NULL, *exe = beside_exe(NULL), err[1024];
	double started = wall();
	int rc = BP_OUTCOME_INFRA;

	/* the workspace of a test-suit is the directory holding it */
	if (a->workspace)
		workspace = absolute(a->workspace);
	else if (asprintf(&workspace, "%s/..", suite_dir) < 0)
		workspace = NULL;
	if (workspace && !a->workspace) {
		char *real = realpath(workspace, NULL);

		free(workspace);
		workspace = real;
	}
	kernel = a->kernel ? absolute(a->kernel) : NULL;
	pipeline =
	    a->pipeline ? absolute(a->pipeline) : beside_exe(TEST_PIPELINE);
	run_dir = workspace ? (a->run_dir ? absolute(a->run_dir)
					  : default_run_dir(workspace))
			    : NULL;
	if (!results || !workspace || !pipeline || !run_dir || !exe ||
	    (a->kernel && !kernel)) {
		fprintf(stderr, "bootpipe test: out of memory\n");
		goto out;
	}
	if (kernel && access(kernel, R_OK) != 0) {
		fprintf(stderr, "bootpipe test: --kernel %s: %s\n", kernel,
			strerror(errno));
		rc = BP_OUTCOME_CONFIG;
		goto out;
	}
	for (size_t i = 0; i < a->arch_kernel_count; i++) {
		arch_kernels[i].arch = a->arch_kernels[i].arch;
		arch_kernels[i].path = absolute(a->arch_kernels[i].path);
		if (!arch_kernels[i].path) {
			fprintf(stderr, "bootpipe test: out of memory\n");
			goto out;
		}
		if (access(arch_kernels[i].path, R_OK) != 0) {
			fprintf(stderr, "bootpipe test: --kernel %s=%s: %s\n",
				arch_kernels[i].arch, arch_kernels[i].path,
				strerror(errno));
			rc = BP_OUTCOME_CONFIG;
			goto out;
		}
	}
	o.bootpipe = exe;
	o.workspace = workspace;
	o.kernel = kernel;
	o.arch_kernels = arch_kernels;
	o.arch_kernel_count = a->arch_kernel_count;
	warn_kernel_arches(&o, list);
	o.pipeline = pipeline;
	o.run_dir = run_dir;
	o.cargo = a->cargo;
	fprintf(stderr, "bootpipe test: %zu case%s, -j %u, in %s\n",
		list->count, list->count == 1 ? "" : "s", o.jobs, run_dir);
	rc = suite_run(list, &o, results);
	suite_print_summary(stdout, list, results, wall() - started);
	for (size_t i = 0; i < a->report_count; i++) {
		char format[16];
		size_t n = (size_t)(a->reports[i][1] - a->reports[i][0] - 1);

		snprintf(format, sizeof(format), "%.*s", (int)n,
			 a->reports[i][0]);
		if (suite_write_report(format, a->reports[i][1], list, results,
				       wall() - started, rc, err,
				       sizeof(err)) < 0) {
			fprintf(stderr, "bootpipe test: %s\n", err);
			if (rc == 0)
				rc = BP_OUTCOME_INFRA;
		}
	}
out:
	if (results)
		suite_results_release(results, list->count);
	free(results);
	free(workspace);
	free(kernel);
	for (size_t i = 0; i < a->arch_kernel_count; i++)
		free((char *)arch_kernels[i].path);
	free(pipeline);
	free(run_dir);
	free(exe);
	return rc;
}

/*
 * `bootpipe test --relay HOST:PORT`, internal: QEMU starts it for each
 * guest connection to a forwarded fixture port (guestfwd=...-cmd:), the
 * connection on stdin and stdout; it carries the bytes to HOST:PORT.
 */
static int relay(const char *target)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char host[64], buf[1 << 16];
	const char *colon = strrchr(target, ':');
	struct pollfd p[2];
	bool in_open = true;
	int fd;

	if (!colon || (size_t)(colon - target) >= sizeof(host))
		return BP_OUTCOME_CONFIG;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - target), target);
	sa.sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return BP_OUTCOME_CONFIG;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "bootpipe test --relay %s: %s\n", target,
			strerror(errno));
		return BP_OUTCOME_INFRA;
	}
	for (;;) {
		ssize_t n;

		p[0] =
		    (struct pollfd){.fd = in_open ? 0 : -1, .events = POLLIN};
		p[1] = (struct pollfd){.fd = fd, .events = POLLIN};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				in_open = false;
				shutdown(fd, SHUT_WR);
			} else if (write_all(fd, buf, (size_t)n) < 0) {
				break;
			}
		}
		if (p[1].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0 || write_all(1, buf, (size_t)n) < 0)
				break;
		}
	}
	close(fd);
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
	if (a.relay)
		return relay(a.relay);
	if (a.shard && !parse_shard(a.shard, &shard_index, &shard_count))
		return usage("--shard `%s`: expected I/N with 1 <= I <= N",
			     a.shard);
	for (size_t i = 0; i < a.report_count; i++) {
		const char *spec = a.reports[i][0], *path = a.reports[i][1];

		if (strncmp(spec, "json=", 5) != 0 &&
		    strncmp(spec, "junit=", 6) != 0)
			return usage("--report `%s`: expected json=PATH or "
				     "junit=PATH",
				     spec);
		/* a bad path found after the cases would lose their results */
		rc = cli_report_check("bootpipe test",
				      spec[1] == 's' ? "json" : "junit", path);
		if (rc)
			return rc;
	}
	dir = a.suite_dir ? strdup(a.suite_dir) : find_suite_dir(a.workspace);
	if (!dir)
		return BP_OUTCOME_INFRA;
	if (suite_discover(dir, &a.filter, &list, err, sizeof(err)) < 0 ||
	    (a.rerun &&
	     suite_keep_failed(&list, a.rerun, err, sizeof(err)) < 0)) {
		fprintf(stderr, "bootpipe test: %s\n", err);
		free(dir);
		suite_list_release(&list);
		return BP_OUTCOME_CONFIG;
	}
	suite_shard(&list, shard_index, shard_count);
	if (a.list) {
		suite_list_print(stdout, &list);
		rc = 0;
	} else if (list.count == 0) {
		fprintf(stderr, "bootpipe test: nothing to run%s\n",
			a.rerun ? ": every case of the report passed" : "");
		rc = 0;
	} else {
		bp_install_signal_handlers();
		rc = run_list(&a, &list, dir);
	}
	free(dir);
	suite_list_release(&list);
	return rc;
}
