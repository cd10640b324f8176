/*
 * `--exec CMD` (the launch option exec): the line typed at the guest's
 * shell prompt runs CMD and then prints a marker that carries its exit
 * status. The marker holds a random token made per run, and the typed line
 * has the marker's parts apart (printf '\nbootpipe-exit-%s:%s\n' TOKEN
 * "$?"), so neither the guest's echo of the line nor output a guest made
 * up can pass for it.
 */
#ifndef BOOTPIPE_LAUNCH_EXEC_H
#define BOOTPIPE_LAUNCH_EXEC_H

#include <stdbool.h>

#include "matcher.h"

#define EXEC_TOKEN_LEN 16

struct exec_cmd {
	char token[EXEC_TOKEN_LEN + 1]; /* hex */
	char *typed;			/* the line typed at the prompt */
	char *pattern;			/* the marker, a success pattern */
};

/* Fills @x for @cmd with a fresh token. 0, or a negative bp_status
 * (BP_ENOMEM, or BP_EINFRA when no random bytes can be had). */
int exec_prepare(struct exec_cmd *x, const char *cmd);

/* Same with a given token (tests). */
int exec_prepare_token(struct exec_cmd *x, const char *cmd, const char *token);

void exec_free(struct exec_cmd *x);

/* The exit status the marker of @hit carries (a hit of x->pattern), or -1
 * when @hit is not the marker. */
int exec_status(const struct exec_cmd *x, const struct matcher_hit *hit);

#endif
