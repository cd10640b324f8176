/*
 * Streams a console log through the launch matcher, as `bootpipe replay`
 * does, and prints the verdict, the throughput and the peak RSS. Used by
 * matcher.sh; patterns come as -f FAIL and -s SUCCESS options.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "matcher.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct matcher *m = matcher_new();
	static char buf[64 * 1024];
	const struct matcher_hit *hit;
	char err[512];
	unsigned long long total = 0;
	struct rusage ru;
	double t0, t1;
	ssize_t n;
	int opt, fd;

	if (!m)
		return 2;
	while ((opt = getopt(argc, argv, "f:s:")) != -1) {
		enum matcher_kind kind =
		    opt == 'f' ? MATCHER_FAIL : MATCHER_SUCCESS;

		if (opt != 'f' && opt != 's')
			return 2;
		if (matcher_add(m, kind, optarg, err, sizeof(err)) < 0) {
			fprintf(stderr, "matcher-bench: bad pattern %s\n", err);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr,
			"usage: matcher-bench [-f RE]... [-s RE]... LOG\n");
		return 2;
	}
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "matcher-bench: cannot open %s: %s\n",
			argv[optind], strerror(errno));
		return 2;
	}
	t0 = now();
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		total += (unsigned long long)n;
		if (matcher_feed(m, buf, (size_t)n))
			break;
	}
	matcher_finish(m);
	t1 = now();
	close(fd);
	getrusage(RUSAGE_SELF, &ru);
	hit = matcher_verdict(m);
	if (hit)
		printf("verdict %s line %llu pattern %s\n",
		       hit->kind == MATCHER_FAIL ? "fail" : "success",
		       (unsigned long long)hit->line, hit->pattern);
	else
		printf("verdict none lines %llu\n",
		       (unsigned long long)matcher_lines(m));
	printf("bytes %llu seconds %.3f mbps %.1f maxrss_kb %ld\n", total,
	       t1 - t0, (double)total / (1024.0 * 1024.0) / (t1 - t0),
	       ru.ru_maxrss);
	matcher_free(m);
	return 0;
}
