/*
 * build-kernel: builds the kernel with a command (`cargo build --release`,
 * `make`, a script), without a shell, then publishes the artifact as
 * request.kernel. It runs after resolve-request, whose kernel it replaces,
 * and before patch-qemu, which boots it:
 *
 *   [pipeline]
 *   stages = resolve-request build-kernel fetch-rootfs infer-rootfs
 *            patch-qemu launch
 *   [build-kernel]
 *   command  = cargo
 *              build
 *              --release
 *   artifact = target/aarch64-unknown-none-softfloat/release/axvisor
 *
 * The command's output is logged at debug level (-v); when it fails, the
 * error carries its exit status and the last lines it printed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2, strsignal, posix_spawn_file_actions_addchdir_np  \
		     */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bootpipe/bootpipe.h>

extern char **environ;

#define LINE_MAX_BYTES 1024
#define TAIL_MAX_LINES 200

static const struct bp_option options[] = {
    {"command", BP_OPT_LIST, NULL,
     "program and arguments, one per line (no shell)", BP_OPT_REQUIRED, NULL},
    {"directory", BP_OPT_STR, NULL,
     "where the command runs, relative to the workspace (default: it)", 0,
     NULL},
    {"artifact", BP_OPT_STR, NULL,
     "the kernel the command builds, relative to directory", BP_OPT_REQUIRED,
     NULL},
    {"tail", BP_OPT_INT, "20", "output lines quoted when the command fails", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const char *const requires_keys[] = {BP_KEY_WORKSPACE, NULL};
static const char *const provides_keys[] = {
    BP_KEY_REQUEST_KERNEL, BP_KEY_REQUEST_KERNEL_PENDING, NULL};

/* The last lines of the command's output, oldest first from `next`. */
struct tail {
	char *lines[TAIL_MAX_LINES];
	size_t max, next, count;
	char partial[LINE_MAX_BYTES];
	size_t partial_len;
};

static int build_init(struct bp_stage *self, void **state)
{
	const char *const *argv;
	size_t count;
	int64_t tail;

	(void)state;
	bp_stage_opt_list(self, "command", &argv, &count);
	if (count == 0)
		return bp_fail(self, BP_ECONFIG,
			       "%s: command is empty; give the program and its "
			       "arguments, one per line",
			       bp_stage_opt_origin(self, "command"));
	bp_stage_opt_int(self, "tail", &tail);
	if (tail < 0 || tail > TAIL_MAX_LINES)
		return bp_fail(self, BP_ECONFIG,
			       "%s: tail = %lld is out of range; use 0 to %d",
			       bp_stage_opt_origin(self, "tail"),
			       (long long)tail, TAIL_MAX_LINES);
	return 0;
}

/* @path made absolute against @base; NULL when out of memory. */
static char *resolve(const char *base, const char *path)
{
	size_t size;
	char *out;

	if (path[0] == '/')
		return strdup(path);
	size = strlen(base) + strlen(path) + 2;
	out = malloc(size);
	if (out)
		snprintf(out, size, "%s/%s", base, path);
	return out;
}

static void tail_push(struct bp_stage *self, struct tail *t)
{
	char *line;

	t->partial[t->partial_len] = '\0';
	bp_log(self, BP_LOG_DEBUG, "| %s", t->partial);
	line = t->max ? strdup(t->partial) : NULL;
	t->partial_len = 0;
	if (!line)
		return;
	free(t->lines[t->next]);
	t->lines[t->next] = line;
	t->next = (t->next + 1) % t->max;
	if (t->count < t->max)
		t->count++;
}

static void tail_feed(struct bp_stage *self, struct tail *t, const char *buf,
		      size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			tail_push(self, t);
			continue;
		}
		/* an over-long line is cut into several */
		if (t->partial_len == sizeof(t->partial) - 1)
			tail_push(self, t);
		t->partial[t->partial_len++] = buf[i];
	}
}

/* The kept lines joined, each indented, for the error message. */
static char *tail_text(struct tail *t)
{
	size_t size = 1, first;
	char *text, *p;

	if (t->count == 0)
		return NULL;
	first = (t->next + t->max - t->count) % t->max;

	for (size_t i = 0; i < t->count; i++)
		size += strlen(t->lines[(first + i) % t->max]) + 3;
	text = malloc(size);
	if (!text)
		return NULL;
	p = text;
	*p = '\0';
	for (size_t i = 0; i < t->count; i++)
		p += snprintf(p, size - (size_t)(p - text), "\n  %s",
			      t->lines[(first + i) % t->max]);
	return text;
}

static void tail_free(struct tail *t)
{
	for (size_t i = 0; i < TAIL_MAX_LINES; i++)
		free(t->lines[i]);
}

static void describe_command(char *out, size_t size, const char *const *argv)
{
	size_t used = 0;

	out[0] = '\0';
	for (; *argv && used < size; argv++)
		used += (size_t)snprintf(out + used, size - used, "%s%s",
					 used ? " " : "", *argv);
}

/* Reads the child's output until EOF or an interrupt; 0 or BP_EINTR. */
static int drain(struct bp_stage *self, int fd, struct tail *t)
{
	char buf[4096];

	for (;;) {
		struct pollfd fds[2] = {
		    {.fd = fd, .events = POLLIN},
		    {.fd = bp_interrupt_fd(), .events = POLLIN}};
		ssize_t n;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return bp_fail(self, BP_EIO, "poll: %s",
				       strerror(errno));
		}
		if (bp_interrupted())
			return BP_EINTR;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		tail_feed(self, t, buf, (size_t)n);
	}
	if (t->partial_len)
		tail_push(self, t);
	return 0;
}

static int spawn(struct bp_stage *self, const char *const *argv,
		 const char *dir, int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t actions;
	int err;

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
					 O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
	posix_spawn_file_actions_addchdir_np(&actions, dir);
	err = posix_spawnp(pid, argv[0], &actions, NULL, (char *const *)argv,
			   environ);
	posix_spawn_file_actions_destroy(&actions);
	if (err)
		return bp_fail(self, BP_EINFRA, "cannot run %s in %s: %s",
			       argv[0], dir, strerror(err));
	return 0;
}

/* Runs the command; 0 when it exited 0, else a failure naming its status
 * and quoting its last lines. */
static int run_command(struct bp_stage *self, const char *const *argv,
		       const char *dir, const char *shown)
{
	struct tail t = {.max = 0};
	int fds[2], status, rc;
	bool spawned;
	int64_t tail;
	char *text;
	pid_t pid;

	bp_stage_opt_int(self, "tail", &tail);
	t.max = (size_t)tail;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return bp_fail(self, BP_EIO, "pipe: %s", strerror(errno));
	rc = spawn(self, argv, dir, fds[1], &pid);
	close(fds[1]);
	spawned = rc == 0;
	if (spawned)
		rc = drain(self, fds[0], &t);
	close(fds[0]);
	if (spawned && rc) {
		/* interrupted or poll failed: do not leave the build running */
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		tail_free(&t);
		if (rc == BP_EINTR)
			rc = bp_fail(self, BP_EINTR,
				     "interrupted while `%s` ran", shown);
		return rc;
	}
	while (rc == 0 && waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			rc = bp_fail(self, BP_EIO, "waitpid: %s",
				     strerror(errno));
	}
	if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		text = tail_text(&t);
		if (WIFSIGNALED(status))
			rc = bp_fail(
			    self, BP_EIO,
			    "`%s` in %s was killed by signal %d (%s)%s%s",
			    shown, dir, WTERMSIG(status),
			    strsignal(WTERMSIG(status)),
			    t.count ? "; last lines:" : "", text ? text : "");
		else
			rc = bp_fail(self, BP_EIO,
				     "`%s` in %s exited with status %d%s%s",
				     shown, dir, WEXITSTATUS(status),
				     t.count ? "; last lines:" : "",
				     text ? text : "");
		free(text);
	}
	tail_free(&t);
	return rc;
}

static int build_run(struct bp_stage *self, void *state, struct bp_ctx *ctx)
{
	const char *workspace = bp_ctx_str_or(ctx, BP_KEY_WORKSPACE, ".");
	const char *const *argv;
	const char *directory = NULL, *artifact;
	char *dir = NULL, *kernel = NULL;
	char shown[1024];
	struct stat st;
	size_t count;
	int rc = 0;

	(void)state;
	bp_stage_opt_list(self, "command", &argv, &count);
	bp_stage_opt_str(self, "artifact", &artifact);
	if (bp_stage_opt_is_set(self, "directory"))
		bp_stage_opt_str(self, "directory", &directory);
	dir = resolve(workspace, directory ? directory : ".");
	kernel = dir ? resolve(dir, artifact) : NULL;
	if (!kernel) {
		rc = bp_fail(self, BP_ENOMEM, "out of memory");
		goto free_paths;
	}
	describe_command(shown, sizeof(shown), argv);
	if (bp_stage_dry_run(self)) {
		bp_log(self, BP_LOG_INFO, "would run `%s` in %s, then boot %s",
		       shown, dir, kernel);
	} else {
		bp_log(self, BP_LOG_INFO, "running `%s` in %s", shown, dir);
		rc = run_command(self, argv, dir, shown);
		if (rc)
			goto free_paths;
		if (stat(kernel, &st) != 0 || !S_ISREG(st.st_mode)) {
			rc = bp_fail(self, BP_EIO,
				     "`%s` succeeded but its artifact %s (%s) "
				     "is %s; fix artifact",
				     shown, kernel,
				     bp_stage_opt_origin(self, "artifact"),
				     access(kernel, F_OK) != 0
					 ? "missing"
					 : "not a regular file");
			goto free_paths;
		}
		bp_log(self, BP_LOG_INFO, "built %s", kernel);
	}
	rc = bp_ctx_set_str(ctx, BP_KEY_REQUEST_KERNEL, kernel);
	/* plan mode built nothing: tell patch-qemu the kernel is still to
	 * come, so it does not report it missing */
	if (!rc)
		rc = bp_ctx_set_bool(ctx, BP_KEY_REQUEST_KERNEL_PENDING,
				     bp_stage_dry_run(self));
	if (rc)
		rc = bp_fail(self, rc, "cannot store %s: %s",
			     BP_KEY_REQUEST_KERNEL, bp_ctx_error(ctx));
free_paths:
	free(kernel);
	free(dir);
	return rc;
}

BP_PLUGIN_DEFINE(.name = "build-kernel", .version = "1.0",
		 .summary = "build the kernel with a command, boot what it "
			    "built",
		 .options = options, .needs = requires_keys,
		 .provides = provides_keys, .init = build_init,
		 .run = build_run);
