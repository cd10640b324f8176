/*
 * The one error object of the core modules: a status and a message of any
 * length. Each module (pipeline reader, loader, option binding, engine)
 * fills the one it is given; nothing is cut to a buffer size.
 */
#ifndef BOOTPIPE_ERR_H
#define BOOTPIPE_ERR_H

#include <stdarg.h>

#include <bootpipe/log.h>

struct bp_err {
	int status; /* 0 when none */
	char *msg;  /* malloc'ed; NULL when none (or out of memory) */
};

/* Replaces the message (@fmt may use the old one as an argument) and
 * returns @status, so an error path is one line. */
int err_set(struct bp_err *err, int status, const char *fmt, ...)
    BP_PRINTF(3, 4);
int err_vset(struct bp_err *err, int status, const char *fmt, va_list ap);

/* The message, "" when none; borrowed until the next change. */
const char *err_msg(const struct bp_err *err);

/* Frees the message and resets. */
void err_clear(struct bp_err *err);

#endif
