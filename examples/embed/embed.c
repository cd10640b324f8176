/*
 * Embedding bootpipe: run a pipeline from your own program and act on the
 * outcome, without the CLI. Loads PIPELINE, overrides an option, runs it
 * (or, given a saved console log, only checks that log against the
 * pipeline's patterns) and prints the outcome, the verdict and each stage.
 *
 *   bootpipe-embed [-w WORKSPACE] [-r CONSOLE_LOG] PIPELINE
 *
 * Exits with the outcome, like `bootpipe run`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bootpipe/bootpipe.h>

/* Every log line of the engine and its stages comes through here. */
static void log_line(void *user, enum bp_log_level level, const char *source,
		     const char *message)
{
	FILE *fp = user;

	fprintf(fp, "embed: %-5s [%s] %s\n", bp_log_level_name(level), source,
		message);
}

static void print_summary(struct bp_engine *e, int outcome)
{
	struct bp_ctx *ctx = bp_engine_ctx(e);
	static const char *const status_names[] = {"pending", "ok", "failed"};

	printf("pipeline: %s\n", bp_engine_pipeline_name(e));
	for (size_t i = 0; i < bp_engine_stage_count(e); i++) {
		struct bp_stage *s = bp_engine_stage_at(e, i);

		printf("stage %-16s %-7s %.3f s %s\n", bp_stage_name(s),
		       status_names[bp_stage_status(s)], bp_stage_duration(s),
		       bp_stage_error(s));
	}
	printf("outcome: %s (exit %d)\n",
	       bp_outcome_name((enum bp_outcome)outcome), outcome);
	printf("verdict: %s\n", bp_ctx_str_or(ctx, BP_KEY_RUN_VERDICT, "-"));
	printf("console log: %s\n",
	       bp_ctx_str_or(ctx, BP_KEY_RUN_CONSOLE_LOG, "-"));
}

int main(int argc, char **argv)
{
	const char *workspace = NULL, *replay = NULL;
	struct bp_engine *e;
	int opt, rc, outcome;

	while ((opt = getopt(argc, argv, "w:r:")) != -1) {
		if (opt == 'w')
			workspace = optarg;
		else if (opt == 'r')
			replay = optarg;
		else
			return BP_OUTCOME_CONFIG;
	}
	if (optind != argc - 1) {
		fprintf(stderr,
			"usage: %s [-w WORKSPACE] [-r CONSOLE_LOG] "
			"PIPELINE\n",
			argv[0]);
		return BP_OUTCOME_CONFIG;
	}

	e = bp_engine_new();
	if (!e)
		return BP_OUTCOME_INFRA;
	bp_install_signal_handlers();
	bp_engine_set_log_sink(e, log_line, stderr);
	bp_engine_set_quiet(e, true); /* the console goes to the log file */
	rc = bp_engine_set_option(e, "launch", "timeout", "60");
	if (rc == 0 && workspace)
		rc = bp_engine_set_workspace(e, workspace);
	if (rc == 0 && replay) {
		/* plan mode everywhere; launch reads the log instead of QEMU */
		bp_engine_set_dry_run(e, true);
		rc = bp_ctx_set_str(bp_engine_ctx(e), BP_KEY_RUN_REPLAY_LOG,
				    replay);
	}
	if (rc == 0)
		rc = bp_engine_load(e, argv[optind]);
	if (rc != 0) {
		fprintf(stderr, "embed: %s\n",
			bp_engine_error(e)[0] ? bp_engine_error(e)
					      : bp_strerror(rc));
		bp_engine_free(e);
		return (int)bp_outcome_from_status(rc);
	}
	bp_engine_run(e); /* the status is in the outcome */
	outcome = (int)bp_engine_outcome(e);
	print_summary(e, outcome);
	bp_engine_free(e);
	return outcome;
}
