/* The core's error object (err.h). */
#include <stdio.h>
#include <stdlib.h>

#include <bootpipe/error.h>

#include "err.h"

int err_vset(struct bp_err *err, int status, const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	free(err->msg);
	err->msg = msg;
	err->status = status;
	return status;
}

int err_set(struct bp_err *err, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, status, fmt, ap);
	va_end(ap);
	return status;
}

const char *err_msg(const struct bp_err *err)
{
	return err && err->msg ? err->msg : "";
}

void err_clear(struct bp_err *err)
{
	free(err->msg);
	err->msg = NULL;
	err->status = 0;
}
