/* Run summaries for CI (run_report.c), written from the engine's public
 * getters only. */
#ifndef BOOTPIPE_REPORT_H
#define BOOTPIPE_REPORT_H

#include <bootpipe/engine.h>

#include "err.h"

/* Writes the "json" or "junit" report of @engine's last run to @path
 * (beside and renamed, so a reader never sees half of it). */
int report_write(struct bp_engine *engine, const char *format, const char *path,
		 struct bp_err *err);

#endif
