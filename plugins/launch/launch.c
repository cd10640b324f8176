/*
 * The launch stage: starts qemu.argv, supervises it (supervise.c), decides
 * the outcome with the console matchers (matcher.c), retries infra and
 * timeout outcomes, and publishes run.* keys. With run.replay_log set it
 * matches a saved console log instead of starting anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/keys.h>
#include <bootpipe/plugin.h>
#include <bootpipe/util.h>

#include "debug.h"
#include "exec.h"
#include "matcher.h"
#include "supervise.h"

static const struct bp_option launch_options[] = {
    {"timeout", BP_OPT_INT, NULL,
     "run time limit in seconds, 0: none (default: qemu.timeout); in "
     "`bootpipe test` a --set wins, then the case's timeout, then the "
     "pipeline's",
     0, NULL},
    {"idle_timeout", BP_OPT_INT, "0",
     "seconds without console output that count as a timeout, 0: none", 0,
     NULL},
    {"success_regex", BP_OPT_LIST, NULL,
     "success patterns (PCRE2); replace qemu.success_regex (in `bootpipe "
     "test` a case's own win over the pipeline's)",
     0, NULL},
    {"fail_regex", BP_OPT_LIST, NULL,
     "fail patterns (PCRE2); replace qemu.fail_regex (in `bootpipe test` "
     "a case's own win over the pipeline's)",
     0, NULL},
    {"require_success", BP_OPT_BOOL, NULL,
     "QEMU exiting 0 without a success match is no-verdict (default: "
     "true when success patterns exist)",
     0, NULL},
    {"retries", BP_OPT_INT, "0",
     "extra attempts after an infra or timeout outcome", 0, NULL},
    {"drain_ms", BP_OPT_INT, "500",
     "milliseconds of output kept after the verdict before QEMU stops", 0,
     NULL},
    {"drain_quiet_ms", BP_OPT_INT, "20",
     "the drain ends sooner once the verdict's line is whole and the "
     "console has been quiet this many milliseconds",
     0, NULL},
    {"stop_grace_ms", BP_OPT_INT, "3000",
     "milliseconds between SIGTERM and SIGKILL when stopping QEMU", 0, NULL},
    {"console_log", BP_OPT_STR, NULL,
     "console log path (default: "
     "<workspace>/tmp/bootpipe/logs/<pipeline>-<time>.log)",
     0, NULL},
    {"console_log_max", BP_OPT_INT, "64",
     "MiB the console log keeps; later output is still matched but not "
     "written, 0: no limit",
     0, NULL},
    {"keep_running", BP_OPT_BOOL, "false",
     "after the verdict keep the guest up, console attached, until the "
     "user stops it (Ctrl-]) or it stops; the outcome is the verdict",
     0, NULL},
    {"exec", BP_OPT_STR, NULL,
     "a shell command typed at the prompt (shell_prefix) instead of "
     "shell_init_cmd; its exit status is the verdict (0 pass, else fail) "
     "and `bootpipe run --exec` exits with it",
     0, NULL},
    {"shell_delay_ms", BP_OPT_INT, "100",
     "milliseconds between the shell prompt and typing shell_init_cmd", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const char *const launch_requires[] = {BP_KEY_QEMU_ARGV, NULL};

static const char *const launch_provides[] = {
    BP_KEY_RUN_OUTCOME,	    BP_KEY_RUN_CONSOLE_LOG,
    BP_KEY_RUN_ATTEMPTS,    BP_KEY_RUN_FLAKY,
    BP_KEY_RUN_VERDICT,	    BP_KEY_RUN_ATTEMPT_OUTCOMES,
    BP_KEY_RUN_EXEC_STATUS, NULL,
};

struct launch {
	struct matcher *opt_matcher; /* the patterns the options set */
	bool fail_set;
	bool success_set;
	bool timeout_set;
	int64_t timeout_s;
	int64_t idle_timeout_s;
	int64_t retries;
	int64_t drain_ms;
	int64_t drain_quiet_ms;
	int64_t stop_grace_ms;
	int64_t shell_delay_ms;
	bool require_success;
	bool keep_running;
	const char *console_log; /* borrowed from the stage, NULL: default */
	int64_t console_log_max; /* MiB, 0: no limit */
	const char *exec;	 /* borrowed from the stage, NULL: none */
};

static int add_patterns(struct bp_stage *self, struct matcher *m,
			enum matcher_kind kind, const char *const *items,
			size_t count, const char *where)
{
	char err[1024];

	for (size_t i = 0; i < count; i++) {
		int rc = matcher_add(m, kind, items[i], err, sizeof(err));

		if (rc == BP_ENOMEM)
			return bp_fail(self, rc, "%s", err);
		if (rc < 0)
			return bp_fail(
			    self, BP_ECONFIG, "%s: bad %s pattern %s", where,
			    kind == MATCHER_FAIL ? "fail" : "success", err);
	}
	return 0;
}

static int opt_patterns(struct bp_stage *self, struct matcher *m,
			enum matcher_kind kind)
{
	const char *key = kind == MATCHER_FAIL ? "fail_regex" : "success_regex";
	const char *const *items;
	size_t count;
	int rc = bp_stage_opt_list(self, key, &items, &count);

	if (rc < 0)
		return bp_fail(self, rc, "cannot read option %s", key);
	return add_patterns(self, m, kind, items, count,
			    bp_stage_opt_origin(self, key));
}

/* The longest timeout, in seconds (about 115 days, as patch-qemu allows):
 * far beyond any boot, and its milliseconds never overflow. */
#define TIMEOUT_MAX_S INT64_C(10000000)

/* The largest console log cap, 1 TiB: a bound, not a suggestion. */
#define LOG_MAX_MIB INT64_C(1048576)

static int opt_nonneg(struct bp_stage *self, const char *key, int64_t *out)
{
	int rc = bp_stage_opt_int(self, key, out);

	if (rc < 0)
		return bp_fail(self, rc, "cannot read option %s", key);
	if (*out < 0)
		return bp_fail(
		    self, BP_ECONFIG, "%s: %s = %lld: must be 0 or more",
		    bp_stage_opt_origin(self, key), key, (long long)*out);
	return 0;
}

/* An option within 0 .. @max (in @unit): durations are added to clock
 * readings and sizes scaled to bytes, so neither may overflow there. */
static int opt_range(struct bp_stage *self, const char *key, int64_t max,
		     const char *unit, int64_t *out)
{
	int rc = bp_stage_opt_int(self, key, out);

	if (rc < 0)
		return bp_fail(self, rc, "cannot read option %s", key);
	if (*out < 0 || *out > max)
		return bp_fail(self, BP_ECONFIG,
			       "%s: %s = %lld: must be 0 to %lld %s",
			       bp_stage_opt_origin(self, key), key,
			       (long long)*out, (long long)max, unit);
	return 0;
}

/* Seconds to milliseconds, saturating (callers bound @s already). */
static int64_t to_ms(int64_t s)
{
	return s > INT64_MAX / 1000 ? INT64_MAX : s * 1000;
}

static void launch_cleanup(struct bp_stage *self, void *state)
{
	struct launch *st = state;

	(void)self;
	if (!st)
		return;
	matcher_free(st->opt_matcher);
	free(st);
}

static int configure(struct bp_stage *self, struct launch *st)
{
	int rc;

	st->fail_set = bp_stage_opt_is_set(self, "fail_regex");
	st->success_set = bp_stage_opt_is_set(self, "success_regex");
	st->timeout_set = bp_stage_opt_is_set(self, "timeout");
	st->opt_matcher = matcher_new();
	if (!st->opt_matcher)
		return bp_fail(self, BP_ENOMEM, "out of memory");
	if (st->fail_set &&
	    (rc = opt_patterns(self, st->opt_matcher, MATCHER_FAIL)) < 0)
		return rc;
	if (st->success_set &&
	    (rc = opt_patterns(self, st->opt_matcher, MATCHER_SUCCESS)) < 0)
		return rc;
	if (st->timeout_set && (rc = opt_range(self, "timeout", TIMEOUT_MAX_S,
					       "seconds", &st->timeout_s)) < 0)
		return rc;
	if ((rc = opt_range(self, "idle_timeout", TIMEOUT_MAX_S, "seconds",
			    &st->idle_timeout_s)) < 0 ||
	    (rc = opt_nonneg(self, "retries", &st->retries)) < 0 ||
	    (rc = opt_range(self, "drain_ms", to_ms(TIMEOUT_MAX_S),
			    "milliseconds", &st->drain_ms)) < 0 ||
	    (rc = opt_range(self, "drain_quiet_ms", to_ms(TIMEOUT_MAX_S),
			    "milliseconds", &st->drain_quiet_ms)) < 0 ||
	    (rc = opt_range(self, "stop_grace_ms", to_ms(TIMEOUT_MAX_S),
			    "milliseconds", &st->stop_grace_ms)) < 0 ||
	    (rc = opt_range(self, "shell_delay_ms", to_ms(TIMEOUT_MAX_S),
			    "milliseconds", &st->shell_delay_ms)) < 0 ||
	    (rc = opt_range(self, "console_log_max", LOG_MAX_MIB, "MiB",
			    &st->console_log_max)) < 0)
		return rc;
	if ((rc = bp_stage_opt_bool(self, "keep_running", &st->keep_running)) <
	    0)
		return bp_fail(self, rc, "cannot read option keep_running");
	/* unset means "true when success patterns exist", which is the
	 * same as true: without success patterns it changes nothing */
	st->require_success = true;
	if (bp_stage_opt_is_set(self, "require_success") &&
	    (rc = bp_stage_opt_bool(self, "require_success",
				    &st->require_success)) < 0)
		return bp_fail(self, rc, "cannot read option require_success");
	if (bp_stage_opt_is_set(self, "console_log") &&
	    (rc = bp_stage_opt_str(self, "console_log", &st->console_log)) < 0)
		return bp_fail(self, rc, "cannot read option console_log");
	if (bp_stage_opt_is_set(self, "exec") &&
	    (rc = bp_stage_opt_str(self, "exec", &st->exec)) < 0)
		return bp_fail(self, rc, "cannot read option exec");
	if (st->exec && !*st->exec)
		st->exec = NULL;
	if (st->exec && strpbrk(st->exec, "\r\n"))
		return bp_fail(self, BP_ECONFIG,
			       "%s: exec is typed as one shell line: join its "
			       "commands with `;` or `&&`, not a newline",
			       bp_stage_opt_origin(self, "exec"));
	if (st->exec && st->keep_running)
		return bp_fail(self, BP_ECONFIG,
			       "%s: exec and keep_running exclude each other: "
			       "exec ends the run with the command's status",
			       bp_stage_opt_origin(self, "exec"));
	return 0;
}

static int launch_init(struct bp_stage *self, void **state)
{
	struct launch *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return bp_fail(self, BP_ENOMEM, "out of memory");
	rc = configure(self, st);
	if (rc) {
		/* the engine cleans up only stages whose init succeeded */
		launch_cleanup(self, st);
		return rc;
	}
	*state = st;
	return 0;
}

static int ctx_patterns(struct bp_stage *self, struct bp_ctx *ctx,
			struct matcher *m, enum matcher_kind kind)
{
	const char *key = kind == MATCHER_FAIL ? BP_KEY_QEMU_FAIL_REGEX
					       : BP_KEY_QEMU_SUCCESS_REGEX;
	const char *const *items;
	size_t count;
	int rc = bp_ctx_get_list(ctx, key, &items, &count);

	if (rc == BP_ENOENT)
		return 0;
	if (rc < 0)
		return bp_fail(self, rc, "context key %s: %s", key,
			       bp_ctx_error(ctx));
	return add_patterns(self, m, kind, items, count, key);
}

/* The matcher for this run: the options' patterns, completed with the
 * context's for a kind the options left unset; with @exec_pattern that is
 * the only success pattern. *owned tells whether the caller frees it. */
static int build_matcher(struct bp_stage *self, struct launch *st,
			 struct bp_ctx *ctx, const char *exec_pattern,
			 struct matcher **out, bool *owned)
{
	struct matcher *m = NULL;
	char err[1024];
	int rc;

	if (st->fail_set && st->success_set && !exec_pattern) {
		matcher_reset(st->opt_matcher);
		*out = st->opt_matcher;
		*owned = false;
		return 0;
	}
	m = matcher_new();
	if (!m)
		return bp_fail(self, BP_ENOMEM, "out of memory");
	rc = st->fail_set ? opt_patterns(self, m, MATCHER_FAIL)
			  : ctx_patterns(self, ctx, m, MATCHER_FAIL);
	if (rc == 0 && exec_pattern) {
		rc = matcher_add(m, MATCHER_SUCCESS, exec_pattern, err,
				 sizeof(err));
		if (rc < 0)
			rc = bp_fail(self, rc, "exec marker %s", err);
	} else if (rc == 0) {
		rc = st->success_set
			 ? opt_patterns(self, m, MATCHER_SUCCESS)
			 : ctx_patterns(self, ctx, m, MATCHER_SUCCESS);
	}
	if (rc < 0) {
		matcher_free(m);
		return rc;
	}
	*out = m;
	*owned = true;
	return 0;
}

static char *default_log_path(struct bp_ctx *ctx)
{
	const char *ws = bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, ".");
	const char *name = bp_ctx_str_or(ctx, BP_KEY_PIPELINE_NAME, "run");
	char stamp[32], *path = NULL;
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	if (asprintf(&path, "%s/tmp/bootpipe/logs/%s-%s.log", ws, name, stamp) <
	    0)
		return NULL;
	return path;
}

/* @base with @tag inserted before its extension: "a/b.log", "-2" gives
 * "a/b-2.log". */
static char *path_with_tag(const char *base, const char *tag)
{
	const char *dot = strrchr(base, '.');
	const char *slash = strrchr(base, '/');
	char *path = NULL;
	int n;

	if (dot && (!slash || dot > slash))
		n = asprintf(&path, "%.*s%s%s", (int)(dot - base), base, tag,
			     dot);
	else
		n = asprintf(&path, "%s%s", base, tag);
	return n < 0 ? NULL : path;
}

/* Attempt 1 writes @base; retry N writes base-attemptN.log, so that each
 * log replays to the line numbers its verdict names. */
static char *attempt_log_path(const char *base, int attempt)
{
	char tag[32];

	if (attempt == 1)
		return strdup(base);
	snprintf(tag, sizeof(tag), "-attempt%d", attempt);
	return path_with_tag(base, tag);
}

/* Opens @want for writing into *fd; *path gets the name used (the caller
 * frees it). An explicit console_log (@unique false) is replaced. A default
 * name is only ever created: two runs started in the same second would
 * otherwise truncate and share one log, so a taken name gets -2, -3, ... */
static int open_log(struct bp_stage *self, const char *want, bool unique,
		    int *fd, char **path)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
	char tag[32];
	int rc;

	if (bp_mkdir_parents(want, 0777) < 0)
		return bp_fail(self, BP_EIO,
			       "cannot create the directory of %s: %s", want,
			       strerror(errno));
	flags |= unique ? O_EXCL : O_TRUNC;
	for (int n = 1; n <= 1000; n++) {
		snprintf(tag, sizeof(tag), "-%d", n);
		*path = n == 1 ? strdup(want) : path_with_tag(want, tag);
		if (!*path)
			return bp_fail(self, BP_ENOMEM, "out of memory");
		*fd = open(*path, flags, 0644);
		if (*fd >= 0)
			return 0;
		if (!unique || errno != EEXIST)
			break;
		free(*path);
		*path = NULL;
	}
	if (!*path)
		return bp_fail(self, BP_EIO,
			       "cannot create console log %s: 1000 names "
			       "after it are taken",
			       want);
	rc = bp_fail(self, BP_EIO, "cannot open console log %s: %s", *path,
		     strerror(errno));
	free(*path);
	*path = NULL;
	return rc;
}

static int publish(struct bp_stage *self, struct bp_ctx *ctx,
		   enum bp_outcome outcome, const char *log, int attempts,
		   bool flaky, const char *verdict)
{
	int rc;

	if ((outcome != BP_OUTCOME_INTERRUPTED &&
	     (rc = bp_ctx_set_str(ctx, BP_KEY_RUN_OUTCOME,
				  bp_outcome_name(outcome))) < 0) ||
	    (log &&
	     (rc = bp_ctx_set_str(ctx, BP_KEY_RUN_CONSOLE_LOG, log)) < 0) ||
	    (rc = bp_ctx_set_int(ctx, BP_KEY_RUN_ATTEMPTS, attempts)) < 0 ||
	    (rc = bp_ctx_set_bool(ctx, BP_KEY_RUN_FLAKY, flaky)) < 0 ||
	    (rc = bp_ctx_set_str(ctx, BP_KEY_RUN_VERDICT, verdict)) < 0)
		return bp_fail(self, rc, "cannot set run keys: %s",
			       bp_ctx_error(ctx));
	return 0;
}

static int replay(struct bp_stage *self, struct launch *st, struct bp_ctx *ctx,
		  struct matcher *m, const char *path)
{
	static char buf[64 * 1024];
	const struct matcher_hit *hit;
	enum bp_outcome outcome;
	char verdict[2048];
	ssize_t n = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bp_fail(self, BP_EIO, "cannot open console log %s: %s",
			       path, strerror(errno));
	/* on past the verdict to the end of its line, which it names */
	while ((n = read(fd, buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0 && matcher_feed(m, buf, (size_t)n) &&
		    matcher_verdict_complete(m))
			break;
	if (n < 0) {
		rc = bp_fail(self, BP_EIO, "cannot read console log %s: %s",
			     path, strerror(errno));
		close(fd);
		return rc;
	}
	close(fd);
	matcher_finish(m);
	hit = matcher_verdict(m);
	if (hit) {
		supervise_describe_hit(hit, verdict, sizeof(verdict));
		outcome = hit->kind == MATCHER_FAIL ? BP_OUTCOME_FAIL
						    : BP_OUTCOME_PASS;
	} else if (matcher_count(m, MATCHER_SUCCESS) && st->require_success) {
		snprintf(verdict, sizeof(verdict),
			 "none of the %zu success patterns matched in %llu "
			 "lines",
			 matcher_count(m, MATCHER_SUCCESS),
			 (unsigned long long)matcher_lines(m));
		outcome = BP_OUTCOME_NO_VERDICT;
	} else {
		snprintf(verdict, sizeof(verdict),
			 "no fail pattern matched in %llu lines and no success "
			 "pattern is required",
			 (unsigned long long)matcher_lines(m));
		outcome = BP_OUTCOME_PASS;
	}
	printf("%s: %s\n", bp_outcome_name(outcome), verdict);
	fflush(stdout);
	return publish(self, ctx, outcome, path, 1, false, verdict);
}

/* QEMU waits halted for GDB: a clock would end the session under the
 * user's hands, so none runs; the user gets a GDB line to paste. */
static void debug_mode(struct bp_stage *self, struct bp_ctx *ctx,
		       struct supervise_opts *o)
{
	const char *arch = bp_ctx_str_or(ctx, BP_KEY_REQUEST_ARCH, NULL);
	const char *kernel = bp_ctx_str_or(ctx, BP_KEY_REQUEST_KERNEL, NULL);
	int port = debug_gdb_port(o->argv);
	char cmd[4600];
	struct utsname u;

	if (o->timeout_ms || o->idle_timeout_ms)
		bp_log(self, BP_LOG_INFO,
		       "debug: timeout (%lld s) and idle_timeout (%lld s) do "
		       "not run while QEMU waits for GDB",
		       (long long)(o->timeout_ms / 1000),
		       (long long)(o->idle_timeout_ms / 1000));
	o->timeout_ms = 0;
	o->idle_timeout_ms = 0;
	if (!arch)
		arch = bp_ctx_str_or(ctx, BP_KEY_ARCH, NULL);
	if (port < 0) {
		bp_log(self, BP_LOG_WARN,
		       "debug: the QEMU command has no TCP GDB stub "
		       "(-gdb tcp::PORT or -s)");
		return;
	}
	if (debug_gdb_command(uname(&u) ? NULL : u.machine, arch, kernel, port,
			      cmd, sizeof(cmd)) == 0)
		bp_log(self, BP_LOG_INFO, "debug: attach with: %s", cmd);
}

/* QEMU with KVM died before the guest said a word, and its last words
 * name KVM: a host whose KVM opens but does not work (broken nested
 * virtualisation aborts with "failed to set MSR 0x10a"). */
static bool kvm_died_at_start(const struct supervise_result *res)
{
	return (res->outcome == BP_OUTCOME_CRASH ||
		res->outcome == BP_OUTCOME_INFRA) &&
	       !res->console_seen && strcasestr(res->reason, "kvm");
}

/* The TCG argv to retry with once, when accel = auto chose KVM; NULL
 * when there is none. */
static const char *const *tcg_fallback(struct bp_ctx *ctx)
{
	const char *const *argv = NULL;
	bool autoselected = false;
	size_t n = 0;

	if (bp_ctx_get_bool(ctx, BP_KEY_QEMU_ACCEL_AUTO, &autoselected) < 0 ||
	    !autoselected ||
	    bp_ctx_get_list(ctx, BP_KEY_QEMU_ARGV_TCG, &argv, &n) < 0 || !n)
		return NULL;
	return argv;
}

static void log_command(struct bp_stage *self, const char *const *argv)
{
	size_t argc = 0;
	char *cmdline;

	while (argv[argc])
		argc++;
	/* the exact command, pastable, so a failure can be rerun by hand */
	cmdline = bp_shell_join(argv, argc);
	if (cmdline)
		bp_log(self, BP_LOG_INFO, "command: %s", cmdline);
	free(cmdline);
}

/* Our stdin is a terminal and we are its foreground job. A background
 * run (`bootpipe run ... &`) must not touch the terminal's modes, which
 * would stop it with SIGTTOU, nor read it: it runs as with </dev/null. */
static bool foreground_terminal(void)
{
	pid_t fg;

	if (!isatty(STDIN_FILENO))
		return false;
	fg = tcgetpgrp(STDIN_FILENO);
	return fg >= 0 && fg == getpgrp();
}

static bool retryable(enum bp_outcome o)
{
	return o == BP_OUTCOME_INFRA || o == BP_OUTCOME_TIMEOUT;
}

/* With --exec, the marker's status is the verdict: 0 passes, any other
 * fails, and run.exec_status carries it to the command line. */
static int take_exec_status(struct bp_stage *self, struct bp_ctx *ctx,
			    const struct exec_cmd *x, const char *cmd,
			    const struct matcher *m,
			    struct supervise_result *res)
{
	int status, rc;

	if (res->outcome != BP_OUTCOME_PASS)
		return 0;
	status = exec_status(x, matcher_verdict(m));
	if (status < 0)
		return 0;
	rc = bp_ctx_set_int(ctx, BP_KEY_RUN_EXEC_STATUS, status);
	if (rc < 0)
		return bp_fail(self, rc, "cannot set %s: %s",
			       BP_KEY_RUN_EXEC_STATUS, bp_ctx_error(ctx));
	if (status)
		res->outcome = BP_OUTCOME_FAIL;
	snprintf(res->reason, sizeof(res->reason), "`%s` exited with status %d",
		 cmd, status);
	return 0;
}

static int attempts(struct bp_stage *self, struct launch *st,
		    struct bp_ctx *ctx, struct supervise_opts *o,
		    const struct exec_cmd *x, const char *log_base)
{
	const char *const *tcg = tcg_fallback(ctx);
	struct supervise_result res;
	char *log = NULL, *first = NULL, *want;
	bool unique = !st->console_log;
	int attempt, extra = 0, rc = 0;

	if ((rc = bp_ctx_set_list(ctx, BP_KEY_RUN_ATTEMPT_OUTCOMES, NULL, 0)) <
	    0)
		return bp_fail(self, rc, "cannot set %s: %s",
			       BP_KEY_RUN_ATTEMPT_OUTCOMES, bp_ctx_error(ctx));
	log_command(self, o->argv);
	for (attempt = 1;; attempt++) {
		if (log != first)
			free(log);
		log = NULL;
		/* retries are named after the name attempt 1 got */
		want = attempt_log_path(first ? first : log_base, attempt);
		if (!want) {
			rc = bp_fail(self, BP_ENOMEM, "out of memory");
			goto free_log;
		}
		rc = open_log(self, want, unique, &o->log_fd, &log);
		free(want);
		if (rc < 0)
			goto free_log;
		if (!first)
			first = log;
		matcher_reset(o->matcher);
		bp_log(self, BP_LOG_INFO,
		       "attempt %d of %lld: starting %s, console log %s",
		       attempt, (long long)st->retries + 1 + extra, o->argv[0],
		       log);
		rc = supervise_run(self, o, &res);
		close(o->log_fd);
		o->log_fd = -1;
		if (rc < 0) {
			rc = bp_fail(self, rc, "%s", res.reason);
			goto free_log;
		}
		bp_ctx_list_append(ctx, BP_KEY_RUN_ATTEMPT_OUTCOMES,
				   bp_outcome_name(res.outcome));
		if (tcg && kvm_died_at_start(&res)) {
			/* once, and not counted against retries */
			bp_log(self, BP_LOG_WARN,
			       "attempt %d: QEMU with KVM died at start (%s); "
			       "retrying once under TCG",
			       attempt, res.reason);
			o->argv = tcg;
			tcg = NULL;
			extra++;
			log_command(self, o->argv);
			continue;
		}
		if (res.outcome == BP_OUTCOME_INTERRUPTED ||
		    !retryable(res.outcome) || attempt > st->retries + extra)
			break;
		bp_log(self, BP_LOG_WARN, "attempt %d: %s: %s; retrying",
		       attempt, bp_outcome_name(res.outcome), res.reason);
	}
	if (x && (rc = take_exec_status(self, ctx, x, st->exec, o->matcher,
					&res)) < 0)
		goto free_log;
	rc = publish(self, ctx, res.outcome, log, attempt,
		     attempt > 1 && res.outcome == BP_OUTCOME_PASS, res.reason);
	if (rc < 0)
		goto free_log;
	if (res.outcome == BP_OUTCOME_INTERRUPTED) {
		rc = bp_fail(self, BP_EINTR, "interrupted; QEMU stopped");
	} else if (res.outcome == BP_OUTCOME_INFRA) {
		rc = bp_fail(self, BP_EINFRA, "%s", res.reason);
	} else if (res.outcome == BP_OUTCOME_PASS) {
		if (attempt > 1)
			bp_log(self, BP_LOG_WARN,
			       "flaky: passed on attempt %d after %d failed",
			       attempt, attempt - 1);
		bp_log(self, BP_LOG_INFO, "pass: %s", res.reason);
	} else {
		bp_log(self, BP_LOG_ERROR, "%s: %s",
		       bp_outcome_name(res.outcome), res.reason);
	}
free_log:
	if (log != first)
		free(log);
	free(first);
	return rc;
}

static int launch_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	struct launch *st = state;
	struct supervise_opts o = {.log_fd = -1};
	struct exec_cmd x = {0};
	const char *const *argv = NULL;
	const char *replay_log = NULL;
	struct matcher *m = NULL;
	char *log_base = NULL;
	size_t argc = 0;
	bool owned = false, debug = false, check = false;
	int rc;

	/* the options were checked at init; the rest needs a QEMU command */
	bp_ctx_get_bool(ctx, BP_KEY_RUN_CHECK, &check);
	if (check)
		return 0;
	if (bp_ctx_get_str(ctx, BP_KEY_RUN_REPLAY_LOG, &replay_log) < 0)
		replay_log = NULL;
	if (!replay_log) {
		rc = bp_ctx_get_list(ctx, BP_KEY_QEMU_ARGV, &argv, &argc);
		if (rc < 0 || argc == 0)
			return bp_fail(self, rc < 0 ? rc : BP_ECONFIG,
				       "context key %s: %s", BP_KEY_QEMU_ARGV,
				       rc < 0 ? bp_ctx_error(ctx) : "empty");
	}
	if (st->exec && !replay_log && (rc = exec_prepare(&x, st->exec)) < 0)
		return bp_fail(self, rc, "exec: %s",
			       rc == BP_ENOMEM
				   ? "out of memory"
				   : "no random bytes for the marker");
	rc = build_matcher(self, st, ctx, x.pattern, &m, &owned);
	if (rc < 0)
		goto free_exec;
	if (replay_log) {
		rc = replay(self, st, ctx, m, replay_log);
		goto free_matcher;
	}

	o.argv = argv;
	o.matcher = m;
	o.timeout_ms = to_ms(st->timeout_s);
	if (!st->timeout_set) {
		int64_t t = 0;

		/* another stage may have set it: held to the option's range */
		if (bp_ctx_get_int(ctx, BP_KEY_QEMU_TIMEOUT, &t) == 0 &&
		    (t < 0 || t > TIMEOUT_MAX_S)) {
			rc = bp_fail(self, BP_ECONFIG,
				     "context key %s = %lld: must be 0 to "
				     "%lld seconds",
				     BP_KEY_QEMU_TIMEOUT, (long long)t,
				     (long long)TIMEOUT_MAX_S);
			goto free_matcher;
		}
		if (t > 0)
			o.timeout_ms = to_ms(t);
	}
	o.idle_timeout_ms = to_ms(st->idle_timeout_s);
	if (bp_ctx_get_bool(ctx, BP_KEY_REQUEST_DEBUG, &debug) == 0 && debug)
		debug_mode(self, ctx, &o);
	o.drain_ms = st->drain_ms;
	o.drain_quiet_ms = st->drain_quiet_ms;
	o.stop_grace_ms = st->stop_grace_ms;
	o.shell_delay_ms = st->shell_delay_ms;
	o.log_max = st->console_log_max * 1024 * 1024;
	o.require_success = st->require_success || x.typed;
	o.shell_prefix = bp_ctx_str_or(ctx, BP_KEY_QEMU_SHELL_PREFIX, NULL);
	o.shell_init_cmd = bp_ctx_str_or(ctx, BP_KEY_QEMU_SHELL_INIT_CMD, NULL);
	if (x.typed && (!o.shell_prefix || !*o.shell_prefix)) {
		rc = bp_fail(self, BP_ECONFIG,
			     "%s: exec needs the guest's shell prompt: set "
			     "shell_prefix in the QEMU config (or --set "
			     "patch-qemu.shell_prefix=PROMPT)",
			     bp_stage_opt_origin(self, "exec"));
		goto free_matcher;
	}
	if (x.typed)
		o.shell_init_cmd = x.typed;
	if (o.shell_init_cmd && (!o.shell_prefix || !*o.shell_prefix)) {
		bp_log(self, BP_LOG_WARN,
		       "%s is set without %s; it will not be typed",
		       BP_KEY_QEMU_SHELL_INIT_CMD, BP_KEY_QEMU_SHELL_PREFIX);
		o.shell_init_cmd = NULL;
	}
	o.echo = !bp_stage_quiet(self);
	o.forward_stdin = foreground_terminal() && !bp_stage_dry_run(self);
	o.restore_terminal = o.echo && bp_term_escapes(STDOUT_FILENO);
	o.keep_running = st->keep_running;
	if (o.keep_running && !o.forward_stdin && !bp_stage_dry_run(self))
		bp_log(self, BP_LOG_WARN,
		       "keep_running without a terminal in the foreground: the "
		       "guest runs until it stops or bootpipe is stopped");

	log_base =
	    st->console_log ? strdup(st->console_log) : default_log_path(ctx);
	if (!log_base) {
		rc = bp_fail(self, BP_ENOMEM, "out of memory");
		goto free_matcher;
	}
	if (bp_stage_dry_run(self)) {
		bp_log(self, BP_LOG_INFO,
		       "would start %s (%zu arguments), timeout %lld s, idle "
		       "timeout %lld s, %zu fail and %zu success patterns, "
		       "console log %s",
		       argv[0], argc - 1, (long long)(o.timeout_ms / 1000),
		       (long long)(o.idle_timeout_ms / 1000),
		       matcher_count(m, MATCHER_FAIL),
		       matcher_count(m, MATCHER_SUCCESS), log_base);
		if (x.typed)
			bp_log(self, BP_LOG_INFO,
			       "would type \"%s\" after the prompt \"%s\" "
			       "and end with its exit status",
			       st->exec, o.shell_prefix);
		else if (o.shell_init_cmd)
			bp_log(self, BP_LOG_INFO,
			       "would type \"%s\" after the prompt \"%s\"",
			       o.shell_init_cmd, o.shell_prefix);
		rc = 0;
		goto free_log;
	}
	rc = attempts(self, st, ctx, &o, x.typed ? &x : NULL, log_base);
free_log:
	free(log_base);
free_matcher:
	if (owned)
		matcher_free(m);
free_exec:
	exec_free(&x);
	return rc;
}

BP_PLUGIN_DEFINE(.name = "launch", .version = "1.0.0",
		 .summary = "start QEMU, watch its console, decide the outcome",
		 .options = launch_options, .needs = launch_requires,
		 .provides = launch_provides, .init = launch_init,
		 .run = launch_run, .cleanup = launch_cleanup);
