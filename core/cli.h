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

/* <dir of this executable>/../share/bootpipe, resolved when it exists
 * (malloc'ed; NULL when out of memory). */
char *cli_share_dir(void);

/* $XDG_CACHE_HOME when absolute, else ~/.cache (malloc'ed, or NULL). */
char *cli_cache_dir(void);

/*
 * When @pipeline (or a file it includes) names ${env:BOOTPIPE_DEMO_WORKSPACE}
 * and that variable is unset: makes the per-user demo workspace
 * ($XDG_CACHE_HOME/bootpipe/demo, linked to share/bootpipe/demo) and sets
 * the variable. 0, or -1 after a message on stderr.
 */
int cli_demo_prepare(const char *pipeline);

#endif
