/*
 * Test fixture for the launch stage: publishes the qemu.* keys that
 * patch-qemu would, straight from its options, so a pipeline
 * "set-ctx launch" runs any argv (fake-qemu, or a real QEMU) through launch.
 */
#include <stdint.h>

#include <bootpipe/keys.h>
#include <bootpipe/plugin.h>

static const struct bp_option set_ctx_options[] = {
    {"argv", BP_OPT_LIST, NULL, "qemu.argv, binary first", BP_OPT_REQUIRED,
     NULL},
    {"success_regex", BP_OPT_LIST, NULL, "qemu.success_regex", 0, NULL},
    {"fail_regex", BP_OPT_LIST, NULL, "qemu.fail_regex", 0, NULL},
    {"shell_prefix", BP_OPT_STR, NULL, "qemu.shell_prefix", 0, NULL},
    {"shell_init_cmd", BP_OPT_STR, NULL, "qemu.shell_init_cmd", 0, NULL},
    {"timeout", BP_OPT_INT, NULL, "qemu.timeout, seconds", 0, NULL},
    {"debug", BP_OPT_BOOL, NULL, "request.debug", 0, NULL},
    {"kernel", BP_OPT_STR, NULL, "request.kernel", 0, NULL},
    {"arch", BP_OPT_STR, NULL, "request.arch", 0, NULL},
    {"accel_auto", BP_OPT_BOOL, NULL, "qemu.accel_auto", 0, NULL},
    {"argv_tcg", BP_OPT_LIST, NULL, "qemu.argv_tcg", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const char *const set_ctx_provides[] = {
    BP_KEY_QEMU_ARGV,		BP_KEY_QEMU_SUCCESS_REGEX,
    BP_KEY_QEMU_FAIL_REGEX,	BP_KEY_QEMU_SHELL_PREFIX,
    BP_KEY_QEMU_SHELL_INIT_CMD, BP_KEY_QEMU_TIMEOUT,
    BP_KEY_REQUEST_DEBUG,	BP_KEY_REQUEST_KERNEL,
    BP_KEY_REQUEST_ARCH,	BP_KEY_QEMU_ACCEL_AUTO,
    BP_KEY_QEMU_ARGV_TCG,	NULL,
};

static int copy_list(struct bp_stage *self, struct bp_ctx *ctx, const char *opt,
		     const char *key)
{
	const char *const *items;
	size_t count;
	int rc;

	if (!bp_stage_opt_is_set(self, opt))
		return 0;
	rc = bp_stage_opt_list(self, opt, &items, &count);
	if (rc == 0)
		rc = bp_ctx_set_list(ctx, key, items, count);
	return rc < 0 ? bp_fail(self, rc, "cannot copy %s to %s", opt, key) : 0;
}

static int copy_str(struct bp_stage *self, struct bp_ctx *ctx, const char *opt,
		    const char *key)
{
	const char *value;
	int rc;

	if (!bp_stage_opt_is_set(self, opt))
		return 0;
	rc = bp_stage_opt_str(self, opt, &value);
	if (rc == 0)
		rc = bp_ctx_set_str(ctx, key, value);
	return rc < 0 ? bp_fail(self, rc, "cannot copy %s to %s", opt, key) : 0;
}

static int copy_bool(struct bp_stage *self, struct bp_ctx *ctx, const char *opt,
		     const char *key)
{
	bool value;
	int rc;

	if (!bp_stage_opt_is_set(self, opt))
		return 0;
	rc = bp_stage_opt_bool(self, opt, &value);
	if (rc == 0)
		rc = bp_ctx_set_bool(ctx, key, value);
	return rc < 0 ? bp_fail(self, rc, "cannot copy %s to %s", opt, key) : 0;
}

static int set_ctx_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	int64_t timeout;
	int rc;

	(void)state;
	if ((rc = copy_list(self, ctx, "argv", BP_KEY_QEMU_ARGV)) < 0 ||
	    (rc = copy_list(self, ctx, "success_regex",
			    BP_KEY_QEMU_SUCCESS_REGEX)) < 0 ||
	    (rc = copy_list(self, ctx, "fail_regex", BP_KEY_QEMU_FAIL_REGEX)) <
		0 ||
	    (rc = copy_str(self, ctx, "shell_prefix",
			   BP_KEY_QEMU_SHELL_PREFIX)) < 0 ||
	    (rc = copy_str(self, ctx, "shell_init_cmd",
			   BP_KEY_QEMU_SHELL_INIT_CMD)) < 0 ||
	    (rc = copy_str(self, ctx, "kernel", BP_KEY_REQUEST_KERNEL)) < 0 ||
	    (rc = copy_str(self, ctx, "arch", BP_KEY_REQUEST_ARCH)) < 0)
		return rc;
	if ((rc = copy_bool(self, ctx, "debug", BP_KEY_REQUEST_DEBUG)) < 0 ||
	    (rc = copy_bool(self, ctx, "accel_auto", BP_KEY_QEMU_ACCEL_AUTO)) <
		0 ||
	    (rc = copy_list(self, ctx, "argv_tcg", BP_KEY_QEMU_ARGV_TCG)) < 0)
		return rc;
	if (bp_stage_opt_is_set(self, "timeout")) {
		rc = bp_stage_opt_int(self, "timeout", &timeout);
		if (rc == 0)
			rc = bp_ctx_set_int(ctx, BP_KEY_QEMU_TIMEOUT, timeout);
		if (rc < 0)
			return bp_fail(self, rc, "cannot copy timeout");
	}
	return 0;
}

BP_PLUGIN_DEFINE(.name = "set-ctx", .version = "1.0.0",
		 .summary = "test fixture: qemu.* keys from options",
		 .options = set_ctx_options, .provides = set_ctx_provides,
		 .run = set_ctx_run);
