/*
 * cmdline-append: adds text to the guest kernel command line. It runs after
 * patch-qemu and edits the `-append` value of qemu.argv, adding `-append`
 * when the command has none, so the shipped stages stay unchanged.
 *
 *   [pipeline]
 *   stages = resolve-request fetch-rootfs infer-rootfs patch-qemu
 *            cmdline-append launch
 *   [cmdline-append]
 *   text = console=ttyAMA0 loglevel=8
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/bootpipe.h>

static const struct bp_option options[] = {
    {"text", BP_OPT_STR, NULL, "text added to the kernel command line",
     BP_OPT_REQUIRED, NULL},
    {"separator", BP_OPT_STR, " ", "put between the old and the new text", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const char *const requires_keys[] = {BP_KEY_QEMU_ARGV, NULL};
static const char *const provides_keys[] = {BP_KEY_QEMU_ARGV, NULL};

/* Options are checked once, at load time, so a bad pipeline fails before
 * anything runs. */
static int cmdline_init(struct bp_stage *self, void **state)
{
	const char *text;

	(void)state;
	if (bp_stage_opt_str(self, "text", &text) != 0 || !text[0])
		return bp_fail(self, BP_ECONFIG,
			       "%s: text is empty; set it to the words to add "
			       "to the kernel command line",
			       bp_stage_opt_origin(self, "text"));
	return 0;
}

/* The index of the value of the last `-append` (QEMU keeps the last one),
 * @count when there is none, or -1 when `-append` ends the command. */
static long find_append_value(const char *const *argv, size_t count)
{
	long found = (long)count;

	for (size_t i = 1; i < count; i++) {
		if (strcmp(argv[i], "-append") != 0 &&
		    strcmp(argv[i], "--append") != 0)
			continue;
		if (i + 1 == count)
			return -1;
		found = (long)(i + 1);
		i++;
	}
	return found;
}

static char *join(const char *old, const char *separator, const char *text)
{
	size_t size = strlen(old) + strlen(separator) + strlen(text) + 1;
	char *line = malloc(size);

	if (line)
		snprintf(line, size, "%s%s%s", old, old[0] ? separator : "",
			 text);
	return line;
}

static int cmdline_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	const char *const *argv;
	const char *text, *separator;
	char **copy = NULL;
	size_t count;
	long at;
	int rc;

	(void)state;
	bp_stage_opt_str(self, "text", &text);
	bp_stage_opt_str(self, "separator", &separator);
	rc = bp_ctx_get_list(ctx, BP_KEY_QEMU_ARGV, &argv, &count);
	if (rc)
		return bp_fail(self, rc, "cannot read %s: %s", BP_KEY_QEMU_ARGV,
			       bp_ctx_error(ctx));
	at = find_append_value(argv, count);
	if (at < 0)
		return bp_fail(self, BP_ECONFIG,
			       "the QEMU command ends with -append and no "
			       "value; fix patch-qemu's extra_args");
	if ((size_t)at == count) {
		/* no -append yet: the list grows by two */
		rc = bp_ctx_list_append(ctx, BP_KEY_QEMU_ARGV, "-append");
		if (rc == 0)
			rc = bp_ctx_list_append(ctx, BP_KEY_QEMU_ARGV, text);
		if (rc)
			return bp_fail(self, rc, "cannot extend %s: %s",
				       BP_KEY_QEMU_ARGV, bp_ctx_error(ctx));
		bp_log(self, BP_LOG_INFO, "kernel command line: %s", text);
		return 0;
	}
	/* argv is borrowed from the context: copy it before replacing it */
	copy = calloc(count + 1, sizeof(*copy));
	if (!copy)
		return bp_fail(self, BP_ENOMEM, "out of memory");
	for (size_t i = 0; i < count && rc == 0; i++) {
		copy[i] = (long)i == at ? join(argv[i], separator, text)
					: strdup(argv[i]);
		if (!copy[i])
			rc = bp_fail(self, BP_ENOMEM, "out of memory");
	}
	if (rc == 0) {
		bp_log(self, BP_LOG_INFO, "kernel command line: %s", copy[at]);
		rc = bp_ctx_set_list(ctx, BP_KEY_QEMU_ARGV,
				     (const char *const *)copy, count);
		if (rc)
			rc = bp_fail(self, rc, "cannot store %s: %s",
				     BP_KEY_QEMU_ARGV, bp_ctx_error(ctx));
	}
	for (size_t i = 0; i < count; i++)
		free(copy[i]);
	free(copy);
	return rc;
}

BP_PLUGIN_DEFINE(.name = "cmdline-append", .version = "1.0",
		 .summary = "append text to the guest kernel command line",
		 .options = options, .needs = requires_keys,
		 .provides = provides_keys, .init = cmdline_init,
		 .run = cmdline_run);
