/*
 * The suite runner. A case runs as `bootpipe run` in a child process so
 * that cases in parallel share nothing: each has its own engine, QEMU,
 * console log, report and directory, and an interrupt reaches each
 * child, which stops its QEMU and cleans up as a single run does.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/bootpipe.h>
#include <bootpipe/util.h>

#include "case_config.h"
#include "http_fixture.h"
#include "qemu_copy.h"
#include "run.h"
#include "runner.h"

extern char **environ;

struct argv_buf {
	char **v;
	size_t n, cap;
};

struct job {
	size_t index;
	pid_t pid;
	double started;
	struct argv_buf argv;
	char *report;
	struct suite_http *http; /* up while the case runs */
};

/* Seconds to wait for a fixture port another run holds (axbuild's). */
#define HTTP_BIND_WAIT 180

struct fwd {
	const char *relay;
	int guest_port;
	const char *host_ip;
	int host_port;
};

static char *forward_netdev(void *user, const char *prev, const char *arg)
{
	const struct fwd *f = user;

	if (!prev || strcmp(prev, "-netdev") != 0)
		return NULL;
	return suite_netdev_guestfwd(arg, f->guest_port, f->relay, f->host_ip,
				     f->host_port);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int argv_add(struct argv_buf *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int argv_add(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 32;
		char **v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

static void argv_release(struct argv_buf *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	*a = (struct argv_buf){0};
}

int suite_outcome_rank(int outcome)
{
	switch (outcome) {
	case BP_OUTCOME_PASS:
		return 0;
	case BP_OUTCOME_NO_VERDICT:
		return 1;
	case BP_OUTCOME_FAIL:
		return 2;
	case BP_OUTCOME_TIMEOUT:
		return 3;
	case BP_OUTCOME_CRASH:
		return 4;
	case BP_OUTCOME_INFRA:
		return 5;
	case BP_OUTCOME_CONFIG:
		return 6;
	case BP_OUTCOME_INTERRUPTED:
		return 7;
	}
	return 5;
}

static void set_result(struct suite_result *r, int outcome, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

static void set_result(struct suite_result *r, int outcome, const char *fmt,
		       ...)
{
	va_list ap;

	r->ran = true;
	r->outcome = outcome;
	free(r->reason);
	r->reason = NULL;
	va_start(ap, fmt);
	if (vasprintf(&r->reason, fmt, ap) < 0)
		r->reason = NULL;
	va_end(ap);
	/* one line in tables and reports */
	for (char *p = r->reason; p && *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

/* A directory name for the case: its place in the run and its names. */
static char *case_dir_name(size_t index, const struct suite_case *c)
{
	char *s = NULL;

	if (asprintf(&s, "%03zu-%s-%s-%s%s%s", index + 1, c->os, c->arch,
		     c->display, c->variant ? "-" : "",
		     c->variant ? c->variant : "") < 0)
		return NULL;
	for (char *p = s; *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
	return s;
}

static int write_pipeline(const char *path, const struct suite_run_opts *o,
			  const struct suite_case *c, bool case_rootfs)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	/* values go on the command line (no INI line limit, no escaping);
	 * this file names the case and what it includes */
	fprintf(f,
		"; written by bootpipe test for %s (%s, %s)\n"
		"[pipeline]\n"
		"name = %s-%s\n"
		"include = %s\n",
		c->display, c->os, c->arch, c->os, c->arch, o->pipeline);
	/* test_commands: the runner goes into a copy of the rootfs */
	if (case_rootfs)
		fputs("stages = resolve-request fetch-rootfs infer-rootfs "
		      "case-rootfs patch-qemu launch\n",
		      f);
	rc = ferror(f) ? -1 : 0;
	return fclose(f) == 0 ? rc : -1;
}

/*
 * Brings the case's HTTP fixture up. Alone, it listens on the port the
 * config names, as axbuild's does. With other cases at once each fixture
 * gets a free port and the case a copy of its QEMU config whose user-net
 * forwards the guest's fixed port there, so no two collide.
 */
static int start_fixture(const struct suite_case *c,
			 const struct suite_run_opts *o,
			 const struct suite_case_config *cfg, struct job *j,
			 struct suite_result *r, char **qemu_config)
{
	const char *bind = cfg->http.bind;
	struct fwd f = {.guest_port = cfg->http.port};
	char err[1024], *copy = NULL, *relay = NULL;
	size_t changed = 0;
	int rc;

	if (o->jobs > 1) {
		const char *slash = strrchr(c->qemu_config, '/');

		copy = bp_path_join(r->dir, slash ? slash + 1 : c->qemu_config);
		if (!copy) {
			set_result(r, BP_OUTCOME_INFRA, "out of memory");
			return -1;
		}
	}
	if (suite_http_start(&cfg->http, copy ? 0 : cfg->http.port,
			     HTTP_BIND_WAIT, &j->http, err, sizeof(err)) < 0) {
		set_result(r, BP_OUTCOME_INFRA, "host HTTP fixture: %s", err);
		free(copy);
		return -1;
	}
	if (!copy)
		return 0;
	f.host_ip = strcmp(bind, "0.0.0.0") == 0 || strcmp(bind, "::") == 0
			? "127.0.0.1"
			: bind;
	f.host_port = suite_http_port(j->http);
	if (asprintf(&relay, "%s test --relay", o->bootpipe) < 0) {
		set_result(r, BP_OUTCOME_INFRA, "out of memory");
		free(copy);
		return -1;
	}
	f.relay = relay;
	rc = suite_qemu_copy(c->qemu_config, copy, forward_netdev, &f, &changed,
			     err, sizeof(err));
	free(relay);
	if (rc < 0) {
		set_result(r, BP_OUTCOME_CONFIG, "%s", err);
		free(copy);
		return -1;
	}
	if (changed == 0) {
		/* no user-net to forward on: the fixed port it is, shared
		 * in turn with the other cases that want it */
		unlink(copy);
		free(copy);
		suite_http_stop(j->http);
		j->http = NULL;
		if (suite_http_start(&cfg->http, cfg->http.port, HTTP_BIND_WAIT,
				     &j->http, err, sizeof(err)) < 0) {
			set_result(r, BP_OUTCOME_INFRA, "host HTTP fixture: %s",
				   err);
			return -1;
		}
		return 0;
	}
	*qemu_config = copy;
	return 0;
}

static int write_text(const char *dir, const char *name, const char *text,
		      mode_t mode, char **path)
{
	FILE *f;
	int rc;

	*path = bp_path_join(dir, name);
	if (!*path || bp_mkdir_parents(*path, 0755) < 0)
		return -1;
	f = fopen(*path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	rc = ferror(f) ? -1 : 0;
	if (fclose(f) != 0 || chmod(*path, mode) != 0)
		rc = -1;
	return rc;
}

/*
 * test_commands: the runner (and StarryOS's profile.d hook) are written
 * beside the case and into its rootfs copy by the case-rootfs stage; the
 * runner's markers become the case's verdict patterns, as in axbuild's
 * apply_grouped_qemu_config.
 */
static int add_runner(const struct suite_case *c,
		      const struct suite_case_config *cfg, struct job *j,
		      struct suite_result *r)
{
	const struct suite_runner_markers *m = suite_runner_markers_for(c->os);
	char *script =
	    suite_runner_script(m, (const char *const *)cfg->test_commands,
				cfg->test_command_count);
	char *profile = suite_runner_profile_script(m);
	char *init = suite_runner_shell_init_cmd(m);
	char *runner_path = NULL, *profile_path = NULL, *guest_dir = NULL;
	bool have_fail = false;
	int rc = -1;

	guest_dir = bp_path_join(r->dir, "guest");
	if (!script || !guest_dir || (m->profile_script && !profile) ||
	    (!m->profile_script && !init))
		goto oom;
	if (write_text(guest_dir, m->runner_name, script, 0755, &runner_path) <
		0 ||
	    (profile && write_text(guest_dir, m->profile_script, profile, 0755,
				   &profile_path) < 0)) {
		set_result(r, BP_OUTCOME_INFRA,
			   "cannot write the runner in %s: %s", guest_dir,
			   strerror(errno));
		goto out;
	}
	if (argv_add(&j->argv, "--set=case-rootfs.copy=%s/case-rootfs.img",
		     r->dir) ||
	    argv_add(&j->argv, "--set=case-rootfs.inject=%s=%s", runner_path,
		     m->runner_path) ||
	    (profile_path &&
	     argv_add(&j->argv, "--set=case-rootfs.inject=%s=/etc/profile.d/%s",
		      profile_path, m->profile_script)) ||
	    argv_add(&j->argv, "--set=patch-qemu.success_regex=%s",
		     m->success_regex) ||
	    (init &&
	     argv_add(&j->argv, "--set=patch-qemu.shell_init_cmd=%s", init)))
		goto oom;
	for (size_t i = 0; i < cfg->fail_regex_count; i++) {
		have_fail =
		    have_fail || !strcmp(cfg->fail_regex[i], m->fail_regex);
		if (argv_add(&j->argv, "--set=patch-qemu.fail_regex=%s",
			     cfg->fail_regex[i]))
			goto oom;
	}
	if (!have_fail &&
	    argv_add(&j->argv, "--set=patch-qemu.fail_regex=%s", m->fail_regex))
		goto oom;
	rc = 0;
	goto out;
oom:
	set_result(r, BP_OUTCOME_INFRA, "out of memory");
out:
	free(script);
	free(profile);
	free(init);
	free(runner_path);
	free(profile_path);
	free(guest_dir);
	return rc;
}

/*
 * The keys the pipeline every case includes sets itself. Such a value
 * replaces the case's own (a launch option replaces qemu.*, a patch-qemu
 * one the TOML's), so where the case has its own, bootpipe test passes
 * it with --set too: the case wins over the pipeline, and the command
 * line's --set, which comes after, over both.
 */
struct pipeline_sets {
	bool launch_timeout, launch_success, launch_fail;
	bool patch_success, patch_fail;
};

static void read_pipeline_sets(const char *path, struct pipeline_sets *ps)
{
	struct bp_pipeline *p = NULL;
	struct bp_pipeline_value v;

	*ps = (struct pipeline_sets){0};
	/* a pipeline that does not open fails each case, saying why */
	if (bp_pipeline_open(path, &p) == 0) {
		ps->launch_timeout =
		    bp_pipeline_get(p, "launch", "timeout", &v) == 0;
		ps->launch_success =
		    bp_pipeline_get(p, "launch", "success_regex", &v) == 0;
		ps->launch_fail =
		    bp_pipeline_get(p, "launch", "fail_regex", &v) == 0;
		ps->patch_success =
		    bp_pipeline_get(p, "patch-qemu", "success_regex", &v) == 0;
		ps->patch_fail =
		    bp_pipeline_get(p, "patch-qemu", "fail_regex", &v) == 0;
	}
	bp_pipeline_free(p);
}

static int add_patterns(struct argv_buf *a, const char *key, char *const *list,
			size_t n, const char *extra)
{
	bool have_extra = false;

	for (size_t i = 0; i < n; i++) {
		have_extra = have_extra || (extra && !strcmp(list[i], extra));
		if (argv_add(a, "--set=%s=%s", key, list[i]))
			return -1;
	}
	if (extra && !have_extra && argv_add(a, "--set=%s=%s", key, extra))
		return -1;
	return 0;
}

/* The case's own patterns where the pipeline sets its own: @m is the
 * runner's markers (whose patterns add_runner already gave patch-qemu),
 * NULL without test_commands. */
static int add_case_patterns(struct argv_buf *a,
			     const struct suite_case_config *cfg,
			     const struct suite_runner_markers *m,
			     const struct pipeline_sets *ps)
{
	const char *success = m ? m->success_regex : NULL;
	const char *fail = m ? m->fail_regex : NULL;
	bool own_success = m || cfg->success_regex_count;
	bool own_fail = m || cfg->fail_regex_count;

	if (!m && ps->patch_success && own_success &&
	    add_patterns(a, "patch-qemu.success_regex", cfg->success_regex,
			 cfg->success_regex_count, NULL))
		return -1;
	if (!m && ps->patch_fail && own_fail &&
	    add_patterns(a, "patch-qemu.fail_regex", cfg->fail_regex,
			 cfg->fail_regex_count, NULL))
		return -1;
	/* the runner's success marker replaces the TOML's */
	if (ps->launch_success && own_success &&
	    add_patterns(a, "launch.success_regex",
			 m ? NULL : cfg->success_regex,
			 m ? 0 : cfg->success_regex_count, success))
		return -1;
	if (ps->launch_fail && own_fail &&
	    add_patterns(a, "launch.fail_regex", cfg->fail_regex,
			 cfg->fail_regex_count, fail))
		return -1;
	return 0;
}

/* Everything up to the spawn: the case directory, its pipeline and the
 * `bootpipe run` command line. A failure is the case's config or infra
 * outcome, not the suite's. */
static int prepare(const struct suite_case *c, size_t index,
		   const struct suite_run_opts *o,
		   const struct pipeline_sets *ps, const char *kernel,
		   struct job *j, struct suite_result *r)
{
	const struct suite_runner_markers *m = NULL;
	struct suite_case_config cfg;
	char err[2048], warn[256], *name, *pipeline = NULL;
	char **vms = NULL, *qemu_config = NULL;
	size_t vm_count = 0;
	int64_t timeout;
	int rc = -1;

	name = case_dir_name(index, c);
	r->dir = name ? bp_path_join(o->run_dir, name) : NULL;
	free(name);
	if (!r->dir || bp_mkdir_p(r->dir, 0755) < 0) {
		set_result(r, BP_OUTCOME_INFRA, "cannot make the case dir: %s",
			   strerror(errno));
		return -1;
	}
	if (suite_case_config_read(c->qemu_config, o->workspace, &cfg, err,
				   sizeof(err)) < 0) {
		set_result(r, BP_OUTCOME_CONFIG, "%s", err);
		return -1;
	}
	if (suite_build_vm_configs(c->build_config, o->workspace, &vms,
				   &vm_count, err, sizeof(err)) < 0) {
		set_result(r, BP_OUTCOME_CONFIG, "%s", err);
		goto out;
	}
	if (cfg.http.present &&
	    start_fixture(c, o, &cfg, j, r, &qemu_config) < 0)
		goto out;
	pipeline = bp_path_join(r->dir, "pipeline.ini");
	j->report = bp_path_join(r->dir, "report.json");
	if (cfg.test_command_count && !suite_runner_markers_for(c->os))
		fprintf(stderr,
			"bootpipe test: %s: test_commands ignored: %s cases "
			"have no runner (axbuild ignores them too)\n",
			c->qemu_config, c->os);
	if (!pipeline || !j->report ||
	    write_pipeline(pipeline, o, c,
			   cfg.test_command_count &&
			       suite_runner_markers_for(c->os)) < 0) {
		set_result(r, BP_OUTCOME_INFRA, "cannot write %s: %s",
			   pipeline ? pipeline : "pipeline.ini",
			   strerror(errno));
		goto out;
	}
	if (argv_add(&j->argv, "%s", o->bootpipe) ||
	    argv_add(&j->argv, "run") || argv_add(&j->argv, "%s", pipeline) ||
	    argv_add(&j->argv, "--workspace=%s", o->workspace) ||
	    argv_add(&j->argv, "--report=json=%s", j->report) ||
	    argv_add(&j->argv, "--set=resolve-request.arch=%s", c->arch) ||
	    argv_add(&j->argv, "--set=resolve-request.target=%s", c->target) ||
	    argv_add(&j->argv, "--set=resolve-request.qemu_config=%s",
		     qemu_config ? qemu_config : c->qemu_config) ||
	    /* the flow picks the OS's QEMU rules (drives, -smp) */
	    argv_add(&j->argv, "--set=resolve-request.flow=%s", c->os) ||
	    argv_add(&j->argv, "--set=resolve-request.build_config=%s",
		     c->build_config) ||
	    argv_add(&j->argv, "--set=launch.console_log=%s/console.log",
		     r->dir))
		goto oom;
	if (kernel &&
	    argv_add(&j->argv, "--set=resolve-request.kernel=%s", kernel))
		goto oom;
	for (size_t i = 0; i < vm_count; i++)
		if (argv_add(&j->argv, "--set=resolve-request.vmconfigs=%s",
			     vms[i]))
			goto oom;
	/* the case's timeout wins over the pipeline's, scaled as axbuild
	 * scales it */
	if (cfg.has_timeout) {
		timeout = suite_scale_timeout(
		    cfg.timeout, getenv("AXBUILD_TEST_TIMEOUT_SCALE"), warn,
		    sizeof(warn));
		if (warn[0] && index == 0)
			fprintf(stderr, "bootpipe test: warning: %s\n", warn);
		if (argv_add(&j->argv, "--set=patch-qemu.timeout=%lld",
			     (long long)timeout) ||
		    (ps->launch_timeout &&
		     argv_add(&j->argv, "--set=launch.timeout=%lld",
			      (long long)timeout)))
			goto oom;
	}
	if (cfg.test_command_count)
		m = suite_runner_markers_for(c->os);
	if (m && add_runner(c, &cfg, j, r) < 0)
		goto out;
	if (add_case_patterns(&j->argv, &cfg, m, ps) < 0)
		goto oom;
	for (size_t i = 0; i < o->run_arg_count; i++)
		if (argv_add(&j->argv, "%s", o->run_args[i]))
			goto oom;
	rc = 0;
	goto out;
oom:
	set_result(r, BP_OUTCOME_INFRA, "out of memory");
out:
	for (size_t i = 0; i < vm_count; i++)
		free(vms[i]);
	free(vms);
	free(pipeline);
	free(qemu_config);
	suite_case_config_release(&cfg);
	return rc;
}

/* The command, shell-quoted, beside the case: it reruns the case alone. */
static void write_command(const struct suite_result *r, const struct job *j)
{
	char *path = bp_path_join(r->dir, "command.sh");
	FILE *f = path ? fopen(path, "w") : NULL;

	free(path);
	if (!f)
		return;
	fputs("#!/bin/sh\n# this case alone, as bootpipe test ran it\nexec", f);
	for (size_t i = 0; i < j->argv.n; i++) {
		fputs(" '", f);
		for (const char *p = j->argv.v[i]; *p; p++) {
			if (*p == '\'')
				fputs("'\\''", f);
			else
				fputc(*p, f);
		}
		fputc('\'', f);
	}
	fputc('\n', f);
	fclose(f);
}

static int spawn(struct job *j, const struct suite_result *r)
{
	posix_spawn_file_actions_t fa;
	char *log = bp_path_join(r->dir, "bootpipe.log");
	int rc;

	if (!log)
		return ENOMEM;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log,
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawn(&j->pid, j->argv.v[0], &fa, NULL, j->argv.v, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(log);
	return rc;
}

/* The child's report decides; without one the exit status does. */
static void collect(struct job *j, int status, struct suite_result *r)
{
	json_error_t jerr;
	json_t *doc = json_load_file(j->report, 0, &jerr);
	json_t *code = doc ? json_object_get(doc, "exit_code") : NULL;
	const char *error =
	    doc ? json_string_value(json_object_get(doc, "error")) : NULL;
	const char *verdict =
	    doc ? json_string_value(json_object_get(doc, "verdict")) : NULL;
	const char *log =
	    doc ? json_string_value(json_object_get(doc, "console_log")) : NULL;

	r->duration = now() - j->started;
	if (json_is_integer(code)) {
		int outcome = (int)json_integer_value(code);

		if (outcome == BP_OUTCOME_PASS)
			set_result(r, outcome, "%s", verdict ? verdict : "");
		else
			set_result(r, outcome, "%s",
				   error     ? error
				   : verdict ? verdict
					     : "no verdict");
		r->flaky = json_is_true(json_object_get(doc, "flaky"));
		if (log)
			r->console_log = strdup(log);
	} else if (WIFSIGNALED(status)) {
		set_result(
		    r, BP_OUTCOME_CRASH,
		    "bootpipe run died by signal %d (see %s/bootpipe.log)",
		    WTERMSIG(status), r->dir);
	} else {
		set_result(r,
			   WIFEXITED(status) && WEXITSTATUS(status)
			       ? WEXITSTATUS(status)
			       : BP_OUTCOME_INFRA,
			   "bootpipe run exited %d without a report (see "
			   "%s/bootpipe.log)",
			   WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			   r->dir);
	}
	json_decref(doc);
}

/* The package and binary axbuild builds for a case's OS: ArceOS's from
 * discovery (its Cargo.toml, or the rust group's), NULL for the ArceOS C
 * group, which axbuild builds with its C toolchain, not cargo. */
static const char *build_package(const struct suite_case *c)
{
	if (c->package)
		return c->package;
	if (!strcmp(c->os, "axvisor"))
		return "axvisor";
	if (!strcmp(c->os, "starry"))
		return "starryos";
	return NULL;
}

static bool same_str(const char *a, const char *b)
{
	return a ? b && !strcmp(a, b) : !b;
}

static bool same_build(const struct suite_case *a, const struct suite_case *b)
{
	return !strcmp(a->build_config, b->build_config) &&
	       !strcmp(a->target, b->target) &&
	       same_str(build_package(a), build_package(b)) &&
	       (a->feature ? b->feature && !strcmp(a->feature, b->feature)
			   : !b->feature);
}

/* Runs one build group's `bootpipe run` (resolve-request, cargo-build)
 * and waits. 0, or -1 with the reason in @why. */
static int build_one(const struct suite_case *c, const struct suite_run_opts *o,
		     size_t n, char **kernel, char *why, size_t whylen)
{
	struct argv_buf a = {0};
	char *dir = NULL, *pipe_path = NULL, *name = NULL, *tdir;
	const char *pkg = build_package(c);
	struct suite_result r = {0};
	struct job j = {0};
	FILE *f;
	int status = 0, rc = -1;

	if (!pkg) {
		snprintf(why, whylen,
			 "%s: an ArceOS C case is built by axbuild's C build "
			 "(app-c against ax-libc), not by cargo-build; build "
			 "it there and pass the image with --kernel",
			 c->build_config);
		return -1;
	}
	if (asprintf(&name, "build-%02zu-%s-%s", n + 1, c->os, c->arch) < 0)
		name = NULL;
	dir = name ? bp_path_join(o->run_dir, name) : NULL;
	pipe_path = dir ? bp_path_join(dir, "pipeline.ini") : NULL;
	if (!pipe_path || bp_mkdir_p(dir, 0755) < 0 ||
	    !(f = fopen(pipe_path, "w"))) {
		snprintf(why, whylen, "cannot write %s",
			 pipe_path ? pipe_path : name);
		goto out;
	}
	fprintf(f,
		"; written by bootpipe test: build group %s\n[pipeline]\n"
		"name = %s\nstages = resolve-request cargo-build\n"
		"[resolve-request]\nrequire_kernel = false\n",
		c->build_group, name);
	fclose(f);
	j.report = bp_path_join(dir, "report.json");
	r.dir = dir;
	if (argv_add(&a, "%s", o->bootpipe) || argv_add(&a, "run") ||
	    argv_add(&a, "%s", pipe_path) ||
	    argv_add(&a, "--workspace=%s", o->workspace) ||
	    argv_add(&a, "--report=json=%s", j.report) ||
	    argv_add(&a, "--set=resolve-request.arch=%s", c->arch) ||
	    argv_add(&a, "--set=resolve-request.target=%s", c->target) ||
	    argv_add(&a, "--set=cargo-build.build_config=%s",
		     c->build_config) ||
	    argv_add(&a, "--set=cargo-build.target=%s", c->target) ||
	    argv_add(&a, "--set=cargo-build.package=%s", pkg) ||
	    (o->cargo &&
	     argv_add(&a, "--set=cargo-build.cargo=%s", o->cargo)) ||
	    (c->feature &&
	     argv_add(&a, "--set=cargo-build.features=%s", c->feature))) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	j.argv = a;
	a = (struct argv_buf){0};
	write_command(&r, &j);
	if (spawn(&j, &r) != 0) {
		snprintf(why, whylen, "cannot start %s", o->bootpipe);
		goto out;
	}
	fprintf(stderr, "bootpipe test: building %s (%s) for %s\n",
		c->build_group, pkg, c->arch);
	while (waitpid(j.pid, &status, 0) < 0 && errno == EINTR)
		;
	j.started = now();
	collect(&j, status, &r);
	if (r.outcome != BP_OUTCOME_PASS) {
		snprintf(why, whylen,
			 "build of %s failed: %s (see %s/bootpipe.log)",
			 c->build_group, r.reason ? r.reason : "?", dir);
		goto out;
	}
	/* where cargo-build left it, by the same rule */
	tdir = getenv("CARGO_TARGET_DIR");
	if (asprintf(kernel, "%s%s/%s/release/%s", tdir ? tdir : o->workspace,
		     tdir ? "" : "/target", c->target, pkg) < 0)
		*kernel = NULL;
	rc = *kernel ? 0 : -1;
out:
	argv_release(&a);
	argv_release(&j.argv);
	free(j.report);
	free(r.reason);
	free(r.console_log);
	free(name);
	free(pipe_path);
	free(dir);
	return rc;
}

const char *suite_case_kernel(const struct suite_run_opts *o,
			      const struct suite_case *c)
{
	for (size_t i = 0; i < o->arch_kernel_count; i++)
		if (!strcmp(o->arch_kernels[i].arch, c->arch))
			return o->arch_kernels[i].path;
	return o->kernel;
}

/* axbuild's phase 1: every build group built before any case boots; the
 * cases of a group whose build failed are that failure. Cases with a
 * prebuilt image (--kernel) boot it and build nothing. */
static void build_all(const struct suite_list *l,
		      const struct suite_run_opts *o, char **kernels,
		      struct suite_result *results)
{
	size_t groups = 0;

	for (size_t i = 0; i < l->count; i++) {
		char why[2048], *kernel = NULL;
		const char *prebuilt = suite_case_kernel(o, &l->cases[i]);
		bool seen = false;

		if (prebuilt) {
			kernels[i] = strdup(prebuilt);
			if (!kernels[i])
				set_result(&results[i], BP_OUTCOME_INFRA,
					   "out of memory");
			continue;
		}
		for (size_t k = 0; k < i && !seen; k++)
			seen = same_build(&l->cases[k], &l->cases[i]) &&
			       !suite_case_kernel(o, &l->cases[k]);
		if (seen)
			continue;
		if (build_one(&l->cases[i], o, groups++, &kernel, why,
			      sizeof(why)) < 0)
			kernel = NULL;
		for (size_t k = i; k < l->count; k++) {
			if (!same_build(&l->cases[k], &l->cases[i]) ||
			    suite_case_kernel(o, &l->cases[k]))
				continue;
			if (kernel)
				kernels[k] = strdup(kernel);
			else
				set_result(&results[k], BP_OUTCOME_CONFIG, "%s",
					   why);
		}
		free(kernel);
	}
}

static void progress_line(const struct suite_list *l, const struct job *jobs,
			  size_t running, size_t done)
{
	char line[160];
	size_t off;

	off = (size_t)snprintf(line, sizeof(line), "[%zu/%zu] running:", done,
			       l->count);
	for (size_t i = 0; i < running && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, " %s",
					l->cases[jobs[i].index].display);
	if (off >= sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);
	fprintf(stderr, "\r\033[K%s", line);
}

static void report_done(const struct suite_case *c,
			const struct suite_result *r, bool progress)
{
	if (progress)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "%s: %s %s%s%s (%.1fs)%s%s\n",
		bp_outcome_name((enum bp_outcome)r->outcome), c->display,
		c->arch, c->variant ? " " : "", c->variant ? c->variant : "",
		r->duration, r->outcome ? ": " : "",
		r->outcome && r->reason ? r->reason : "");
}

static void stop_children(struct job *jobs, size_t running)
{
	for (size_t i = 0; i < running; i++)
		kill(jobs[i].pid, SIGTERM);
}

int suite_run(const struct suite_list *list, const struct suite_run_opts *o,
	      struct suite_result *results)
{
	struct job *jobs = calloc(o->jobs ? o->jobs : 1, sizeof(*jobs));
	size_t next = 0, running = 0, done = 0;
	bool stopping = false, interrupted = false;
	int worst = BP_OUTCOME_PASS;
	char **kernels = NULL;
	struct pipeline_sets ps;

	if (!jobs)
		return BP_OUTCOME_INFRA;
	read_pipeline_sets(o->pipeline, &ps);
	kernels = calloc(list->count + 1, sizeof(*kernels));
	if (!kernels) {
		free(jobs);
		return BP_OUTCOME_INFRA;
	}
	build_all(list, o, kernels, results);
	while (next < list->count || running) {
		struct pollfd pfd = {.fd = bp_interrupt_fd(), .events = POLLIN};
		int status;
		pid_t pid;

		if (bp_interrupted() && !interrupted) {
			interrupted = stopping = true;
			stop_children(jobs, running);
		}
		while (!stopping && running < o->jobs && next < list->count) {
			struct job *j = &jobs[running];
			struct suite_result *r = &results[next];
			int rc;

			*j = (struct job){.index = next};
			if (r->ran) {
				/* its build failed: nothing to boot */
				report_done(&list->cases[next], r, o->progress);
			} else if (prepare(&list->cases[next], next, o, &ps,
					   kernels[next], j, r) < 0) {
				report_done(&list->cases[next], r, o->progress);
				suite_http_stop(j->http);
				argv_release(&j->argv);
				free(j->report);
			} else {
				write_command(r, j);
				j->started = now();
				rc = spawn(j, r);
				if (rc == 0) {
					running++;
					next++;
					continue;
				}
				set_result(r, BP_OUTCOME_INFRA,
					   "cannot start %s: %s", o->bootpipe,
					   strerror(rc));
				report_done(&list->cases[next], r, o->progress);
				suite_http_stop(j->http);
				argv_release(&j->argv);
				free(j->report);
			}
			done++;
			if (suite_outcome_rank(r->outcome) >
			    suite_outcome_rank(worst))
				worst = r->outcome;
			if (r->outcome && o->fail_fast)
				stopping = true;
			next++;
		}
		if (o->progress && running)
			progress_line(list, jobs, running, done);
		if (!running)
			break;
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0 || (pid < 0 && errno == EINTR)) {
			poll(&pfd, pfd.fd >= 0 ? 1 : 0, 100);
			continue;
		}
		for (size_t i = 0; pid > 0 && i < running; i++) {
			struct suite_result *r;

			if (jobs[i].pid != pid)
				continue;
			r = &results[jobs[i].index];
			/* down after QEMU, never before */
			suite_http_stop(jobs[i].http);
			collect(&jobs[i], status, r);
			report_done(&list->cases[jobs[i].index], r,
				    o->progress);
			done++;
			if (suite_outcome_rank(r->outcome) >
			    suite_outcome_rank(worst))
				worst = r->outcome;
			if (r->outcome && o->fail_fast && !stopping)
				stopping = true;
			argv_release(&jobs[i].argv);
			free(jobs[i].report);
			jobs[i] = jobs[--running];
			break;
		}
		if (pid < 0 && errno == ECHILD)
			break;
	}
	if (o->progress)
		fputs("\r\033[K", stderr);
	for (size_t i = 0; kernels && i < list->count; i++)
		free(kernels[i]);
	free(kernels);
	free(jobs);
	return interrupted ? BP_OUTCOME_INTERRUPTED : worst;
}

void suite_results_release(struct suite_result *r, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(r[i].reason);
		free(r[i].console_log);
		free(r[i].dir);
	}
}
