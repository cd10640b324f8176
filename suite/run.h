/*
 * Running a case list: each case is `bootpipe run` of its own pipeline in
 * its own process, directory, QEMU, logs (and rootfs copy and fixture
 * port when it needs them), at most @jobs at once.
 */
#ifndef BOOTPIPE_SUITE_RUN_H
#define BOOTPIPE_SUITE_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "suite.h"

/* --kernel ARCH=PATH: the image the cases of @arch boot. */
struct suite_kernel {
	const char *arch;
	const char *path;
};

struct suite_run_opts {
	const char *bootpipe;  /* the binary each case runs in */
	const char *pipeline;  /* the pipeline every case pipeline includes */
	const char *workspace; /* ${workspace} of the QEMU configs */
	const char *kernel;    /* the image every case boots, or NULL */
	/* per arch, before @kernel; a case with neither is built */
	const struct suite_kernel *arch_kernels;
	size_t arch_kernel_count;
	const char *run_dir;   /* a directory per case is made below it */
	unsigned jobs;	       /* >= 1 */
	bool fail_fast;	       /* start no case after one did not pass */
	bool progress;	       /* redraw a status line on stderr */
	const char *cargo;     /* the cargo the builds run, NULL: cargo */
	const char *const *run_args; /* appended to every `bootpipe run` */
	size_t run_arg_count;
};

/* The prebuilt image @c boots: its arch's, else @o->kernel, else NULL
 * (the case's build group is built). */
const char *suite_case_kernel(const struct suite_run_opts *o,
			      const struct suite_case *c);

struct suite_result {
	bool ran;	   /* false: not started (--fail-fast, interrupt) */
	int outcome;	   /* enum bp_outcome */
	double duration;   /* seconds */
	char *reason;	   /* one line: the verdict or the error */
	char *console_log; /* path, or NULL */
	char *dir;	   /* the case's directory */
	bool flaky;	   /* passed on a retry */
};

/*
 * Runs @list into @results (@list->count entries, zeroed by the caller).
 * Returns the suite's exit code: 0 when every case passed, else the most
 * severe outcome (see suite_outcome_rank); 130 when interrupted.
 */
int suite_run(const struct suite_list *list, const struct suite_run_opts *o,
	      struct suite_result *results);

void suite_results_release(struct suite_result *r, size_t count);

/* How bad an outcome is for the suite verdict: pass < no-verdict < fail <
 * timeout < crash < infra < config < interrupted. */
int suite_outcome_rank(int outcome);

#endif
