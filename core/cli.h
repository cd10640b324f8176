/*
 * Commands of the bootpipe CLI that live in files of their own; main.c
 * parses the command line and dispatches to them.
 */
#ifndef BOOTPIPE_CLI_H
#define BOOTPIPE_CLI_H

/*
 * `bootpipe matrix [--shard I/N] PIPELINE...`: prints a CI job matrix as
 * one line of JSON, {"include":[{"pipeline":...,"name":...,"arch":...}]}.
 * @shard is "I/N" (1-based) or NULL for all. Returns the exit code.
 */
int cli_matrix(char *const *pipelines, int count, const char *shard);

/*
 * `bootpipe test [SUITE_DIR] [OPTIONS]`: the AxVisor / ArceOS / StarryOS
 * CI suites under test-suit/. @argv[0] is "test". Returns the exit code.
 */
int cli_test(int argc, char **argv);

#endif
