/* The suite's verdict for people (a table) and for CI (JSON, JUnit), and
 * the JSON read back for --rerun-failed. */
#ifndef BOOTPIPE_SUITE_REPORT_H
#define BOOTPIPE_SUITE_REPORT_H

#include <stdio.h>

#include "run.h"
#include "suite.h"

/* case, arch, outcome, time, reason; then the totals. */
void suite_print_summary(FILE *out, const struct suite_list *l,
			 const struct suite_result *r, double duration);

/*
 * Writes the report of @format ("json" or "junit") to @path, through a
 * temporary file renamed into place. 0, or -1 with a message in @err.
 */
int suite_write_report(const char *format, const char *path,
		       const struct suite_list *l, const struct suite_result *r,
		       double duration, int exit_code, char *err,
		       size_t errlen);

/*
 * Keeps only the cases of @l that did not pass in the JSON report @path
 * (matched by os, group, case, arch and variant). 0, or -1 with a message
 * in @err.
 */
int suite_keep_failed(struct suite_list *l, const char *path, char *err,
		      size_t errlen);

#endif
