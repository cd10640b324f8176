/*
 * Runs a command N times and prints "median_ms peak_kib": wall time per
 * run and the largest RSS of any run, from wait4. Forked from this small
 * process so the child's RSS is its own, not an interpreter's.
 *   run-timed N CMD [ARGS...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long runs = argc > 2 ? strtol(argv[1], NULL, 10) : 0;
	double *ms;
	long peak = 0;

	if (runs <= 0) {
		fprintf(stderr, "usage: run-timed N CMD [ARGS...]\n");
		return 2;
	}
	ms = calloc((size_t)runs, sizeof(*ms));
	if (!ms)
		return 1;
	for (long i = 0; i < runs; i++) {
		struct timespec t0, t1;
		struct rusage ru;
		int status;
		pid_t pid;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		pid = fork();
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1);
			dup2(null, 2);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "%s failed (status %d)\n", argv[2],
				status);
			return 1;
		}
		ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (ru.ru_maxrss > peak)
			peak = ru.ru_maxrss;
	}
	qsort(ms, (size_t)runs, sizeof(*ms), compare);
	printf("%.2f %ld\n", ms[runs / 2], peak);
	free(ms);
	return 0;
}
