/*
 * Fixture plugins for the loader and runner tests. One source, built once
 * per FX_* kind into tests/plugins/<name>.so; most kinds break exactly one
 * rule of the plugin ABI.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <bootpipe/bootpipe.h>

/* Appends "<stage> <event>" to the trace file, so tests see the order of
 * init, run and cleanup across stages. */
static void trace(struct bp_stage *self, const char *event)
{
	const char *path;
	FILE *fp;

	if (bp_stage_opt_str(self, "trace", &path) != 0 || !path[0])
		return;
	fp = fopen(path, "a");
	if (!fp)
		return;
	fprintf(fp, "%s %s\n", bp_stage_name(self), event);
	fclose(fp);
}

static int fx_init(struct bp_stage *self, void **state)
{
	bool fail = false;

	(void)state;
	trace(self, "init");
	bp_stage_opt_bool(self, "fail_init", &fail);
	if (fail)
		return bp_fail(self, BP_ECONFIG,
			       "init refused: fail_init is set");
	return 0;
}

static int fx_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	const char *const *items;
	const char *value, *outcome;
	size_t count = 0;
	int64_t status = 0, n = 0;

	(void)state;
	trace(self, "run");
	if (bp_stage_opt_str(self, "value", &value) == 0) {
		int rc = bp_ctx_set_str(ctx, "fx.value", value);

		if (rc)
			return bp_fail(self, rc, "cannot set fx.value");
	}
	if (bp_stage_opt_list(self, "argv", &items, &count) == 0 && count) {
		int rc = bp_ctx_set_list(ctx, BP_KEY_QEMU_ARGV, items, count);

		if (rc)
			return bp_fail(self, rc, "cannot set qemu.argv");
	}
	if (bp_stage_opt_str(self, "console", &value) == 0)
		bp_console_write(self, BP_CONSOLE_OUT, value, strlen(value));
	if (bp_stage_opt_int(self, "wait_cancel_ms", &n) == 0 && n > 0) {
		/* waits as launch does: on the cancel fd, not on a timer */
		struct pollfd p = {.fd = bp_stage_cancel_fd(self),
				   .events = POLLIN};

		if (poll(&p, 1, (int)n) == 1 && bp_stage_cancelled(self))
			return bp_fail(self, BP_EINTR,
				       "cancelled while waiting");
		return bp_fail(self, BP_ETIMEOUT, "not cancelled in %lld ms",
			       (long long)n);
	}
	if (bp_stage_opt_str(self, "outcome", &outcome) == 0)
		bp_ctx_set_str(ctx, BP_KEY_RUN_OUTCOME, outcome);
	bp_stage_opt_int(self, "status", &status);
	bp_stage_opt_int(self, "count", &n);
	if (bp_stage_opt_str(self, "value", &value) != 0)
		value = "-";
	/* what the stage received, so cases can check merging and --set */
	bp_log(self, BP_LOG_INFO, "run%s value=%s count=%lld items=%zu",
	       bp_stage_dry_run(self) ? " (plan)" : "", value, (long long)n,
	       count);
	if (status)
		return bp_fail(self, (int)status,
			       "run failed as asked (status %lld)",
			       (long long)status);
	return 0;
}

static void fx_cleanup(struct bp_stage *self, void *state)
{
	(void)state;
	trace(self, "cleanup");
}

static const struct bp_option fx_options[] = {
    {"trace", BP_OPT_STR, "", "file that records init/run/cleanup", 0, NULL},
    {"fail_init", BP_OPT_BOOL, "false", "make init fail", 0, NULL},
    {"status", BP_OPT_INT, "0", "status run returns", 0, NULL},
    {"value", BP_OPT_STR, NULL, "published as fx.value", 0, NULL},
    {"outcome", BP_OPT_STR, NULL, "published as run.outcome", 0, NULL},
    {"argv", BP_OPT_LIST, NULL, "published as qemu.argv", 0, NULL},
    {"count", BP_OPT_INT, "1", "an integer", 0, NULL},
    {"console", BP_OPT_STR, NULL, "written with bp_console_write", 0, NULL},
    {"wait_cancel_ms", BP_OPT_INT, "0", "wait this long for a cancel", 0, NULL},
    {"mode", BP_OPT_ENUM, "fast", "a choice", 0, "fast|slow"},
    {"needed", BP_OPT_STR, NULL, "a required string",
#ifdef FX_REQUIRED
     BP_OPT_REQUIRED,
#else
     0,
#endif
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const char *const fx_provides[] = {"fx.value", BP_KEY_QEMU_ARGV,
					  BP_KEY_RUN_OUTCOME, NULL};
static const char *const fx_requires[] = {"fx.value", NULL};

#if defined(FX_OPTSMALL)
/* A plugin built before struct bp_option grew: its entries are only key
 * to flags (40 bytes on LP64, not 48). An engine that ignored
 * option_size would read the second entry from the middle of the first. */
struct small_option {
	const char *key;
	enum bp_opt_type type;
	const char *default_value;
	const char *help;
	unsigned flags;
};
static const struct small_option small_options[] = {
    {"alpha", BP_OPT_STR, "a", "first", 0},
    {"beta", BP_OPT_INT, "7", "second", 0},
    {"gamma", BP_OPT_BOOL, "true", "third", 0},
    {NULL, 0, NULL, NULL, 0},
};

static int small_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	const char *alpha = "?";
	int64_t beta = -1;
	bool gamma = false;

	(void)state;
	(void)ctx;
	bp_stage_opt_str(self, "alpha", &alpha);
	bp_stage_opt_int(self, "beta", &beta);
	bp_stage_opt_bool(self, "gamma", &gamma);
	bp_log(self, BP_LOG_INFO, "alpha=%s beta=%lld gamma=%d", alpha,
	       (long long)beta, gamma);
	return 0;
}

BP_EXPORT extern const struct bp_plugin bootpipe_plugin;
const struct bp_plugin bootpipe_plugin = {
    .magic = BP_PLUGIN_MAGIC,
    .abi_major = BP_ABI_MAJOR,
    .abi_minor = BP_ABI_MINOR,
    .size = (uint32_t)sizeof(struct bp_plugin),
    .name = FX_NAME,
    .version = "1.0",
    .options = (const struct bp_option *)(const void *)small_options,
    .run = small_run,
    .option_size = (uint32_t)sizeof(struct small_option),
};
#elif defined(FX_FUTURE)
/* A plugin for a newer bootpipe: ABI minor + 1 and a call to a host
 * function this bootpipe does not have, so dlopen fails to link it. */
void bp_engine_from_the_future(struct bp_stage *self);

static int future_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	(void)state;
	(void)ctx;
	bp_engine_from_the_future(self);
	return 0;
}

BP_EXPORT extern const struct bp_plugin bootpipe_plugin;
const struct bp_plugin bootpipe_plugin = {
    .magic = BP_PLUGIN_MAGIC,
    .abi_major = BP_ABI_MAJOR,
    .abi_minor = BP_ABI_MINOR + 1,
    .size = (uint32_t)sizeof(struct bp_plugin),
    .name = FX_NAME,
    .version = "1.0",
    .run = future_run,
};
#elif defined(FX_NOSYM)
/* a shared object without the descriptor symbol */
BP_EXPORT int fx_not_a_plugin(void);
int fx_not_a_plugin(void)
{
	return 0;
}
#elif defined(FX_MANUAL)
/* a hand-made descriptor, to break the header on purpose */
#ifndef FX_DESC_NAME
#define FX_DESC_NAME FX_NAME
#endif
#ifndef FX_VERSION
#define FX_VERSION "1.0"
#endif
BP_EXPORT extern const struct bp_plugin bootpipe_plugin;
const struct bp_plugin bootpipe_plugin = {
    .magic = FX_MAGIC,
    .abi_major = FX_MAJOR,
    .abi_minor = FX_MINOR,
    .size = FX_SIZE,
    .name = FX_DESC_NAME,
    .version = FX_VERSION,
    .options = fx_options,
    .init = fx_init,
    .run = FX_RUN,
    .cleanup = fx_cleanup,
};
#else
#ifdef FX_CONSUMER
#define FX_REQUIRES fx_requires
#else
#define FX_REQUIRES NULL
#endif
BP_PLUGIN_DEFINE(.name = FX_NAME, .version = "1.0", .summary = "test fixture",
		 .options = fx_options, .needs = FX_REQUIRES,
		 .provides = fx_provides, .init = fx_init, .run = fx_run,
		 .cleanup = fx_cleanup);
#endif
