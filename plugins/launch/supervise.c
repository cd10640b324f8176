/*
 * One QEMU attempt, supervised: start, tee, match, type the shell command,
 * time out, stop. Every path out of supervise_run has reaped QEMU and
 * killed its whole process group.
 */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/util.h>

#include "term.h"

#define CHUNK (64 * 1024)
#define STDERR_TAIL 4096
#define INPUT_MAX 4096
#define PART_FLUSH_MS 10
#define STOP_KEY '\035' /* Ctrl-], as telnet's and virsh console's */

enum state { RUNNING, DRAINING, STOPPING };

struct child {
	pid_t pid;
	int out;   /* QEMU's stdout, ours to read */
	int err;   /* QEMU's stderr */
	int in;	   /* QEMU's stdin, ours to write */
	int pidfd; /* readable when QEMU exits; -1 without pidfd_open */
};

struct run {
	struct bp_stage *self;
	const struct supervise_opts *o;
	struct supervise_result *res;
	struct child c;
	struct literal_watch *prompt;
	enum state state;
	bool decided; /* res->outcome holds a verdict, timeout or interrupt */
	bool by_matcher; /* ... a verdict of the matcher's */
	bool child_done; /* reaped */
	bool killed;	 /* SIGKILL sent */
	bool log_failed;
	int64_t log_written; /* bytes in the log, for log_max */
	char log_last;	     /* the last byte written, '\n' before any */
	/* last_output is -1 until the first console byte: idle_timeout
	 * starts there (a silent firmware phase is the timeout's business) */
	int64_t start, last_output, drain_end, kill_at, shell_at, done_at;
	int64_t flush_at; /* when to match the unterminated line, -1: never */
	bool shell_sent;
	char tail[STDERR_TAIL];
	size_t tail_len;
	uint64_t stderr_total; /* bytes seen on stderr: is the tail all? */
	uint64_t stdout_total; /* bytes seen on stdout (the guest console) */
	char input[INPUT_MAX];
	size_t input_len;
	bool stdin_open;
	bool ctrl_a; /* the last key was Ctrl-A: x after it stops */
	bool kept;   /* keep_running: the verdict is in, the guest up */
	struct term_modes modes; /* what the guest did to our terminal */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = bp_write_nosigpipe(fd, buf, len);

		if (n < 0) {
			if (errno == EAGAIN) {
				struct pollfd p = {.fd = fd, .events = POLLOUT};

				poll(&p, 1, 100);
				continue;
			}
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void move_fd(int from, int to)
{
	if (from == to)
		fcntl(to, F_SETFD, 0); /* dup2 would keep FD_CLOEXEC */
	else
		dup2(from, to);
}

/*
 * fork + exec rather than posix_spawn: the child must ask for
 * PR_SET_PDEATHSIG so that QEMU dies with bootpipe even when bootpipe is
 * SIGKILLed, and posix_spawn has no hook for that. The child calls only
 * async-signal-safe functions before exec. Note that the death signal is
 * tied to the thread that forks: an embedder must not run the engine in a
 * thread that ends while QEMU should live.
 */
static int spawn(const char *const *argv, struct child *c, char *why,
		 size_t whylen)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
	int status[2] = {-1, -1};
	pid_t parent = getpid(), pid;
	int child_errno = 0;
	ssize_t n;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    pipe2(in, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot create pipes for QEMU: %s",
			 strerror(errno));
		goto close_pipes;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "cannot fork for QEMU: %s",
			 strerror(errno));
		goto close_pipes;
	}
	if (pid == 0) {
		sigset_t none;
		int e;

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGXFSZ, SIG_DFL); /* ignored by bootpipe, not QEMU */
		move_fd(in[0], STDIN_FILENO);
		move_fd(out[1], STDOUT_FILENO);
		move_fd(err[1], STDERR_FILENO);
		/* posix_spawnp semantics: a name is searched in PATH */
		execvp(argv[0], (char *const *)argv);
		e = errno;
		if (write(status[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	setpgid(pid, pid); /* both sides, so the group exists before kill */
	close(out[1]);
	close(err[1]);
	close(in[0]);
	close(status[1]);
	do {
		n = read(status[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	close(status[0]);
	if (n == (ssize_t)sizeof(child_errno)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		snprintf(why, whylen, "cannot start QEMU \"%s\": %s", argv[0],
			 strerror(child_errno));
		close(out[0]);
		close(err[0]);
		close(in[1]);
		return BP_EINFRA;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	c->pid = pid;
	c->out = out[0];
	c->err = err[0];
	c->in = in[1];
#ifdef SYS_pidfd_open
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	c->pidfd = -1;
#endif
	return 0;

close_pipes:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
		if (in[i] >= 0)
			close(in[i]);
		if (status[i] >= 0)
			close(status[i]);
	}
	return BP_EIO;
}

static void format_seconds(int64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%lld s", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%.3g s", (double)ms / 1000.0);
}

void supervise_describe_hit(const struct matcher_hit *hit, char *buf,
			    size_t len)
{
	snprintf(buf, len, "%s pattern \"%s\" matched line %llu%s: \"%s\"",
		 hit->kind == MATCHER_FAIL ? "fail" : "success", hit->pattern,
		 (unsigned long long)hit->line,
		 hit->stripped ? " (ANSI escapes removed)" : "", hit->excerpt);
}

static void decide(struct run *r, enum bp_outcome outcome)
{
	r->decided = true;
	r->res->outcome = outcome;
}

static void begin_stop(struct run *r, int64_t now)
{
	if (r->state == STOPPING)
		return;
	r->state = STOPPING;
	r->kill_at = now + r->o->stop_grace_ms;
	if (!r->child_done)
		kill(-r->c.pid, SIGTERM);
}

static void keep_tail(struct run *r, const char *buf, size_t n)
{
	r->stderr_total += n;
	if (n >= STDERR_TAIL) {
		memcpy(r->tail, buf + n - STDERR_TAIL, STDERR_TAIL);
		r->tail_len = STDERR_TAIL;
		return;
	}
	if (r->tail_len + n > STDERR_TAIL) {
		size_t drop = r->tail_len + n - STDERR_TAIL;

		memmove(r->tail, r->tail + drop, r->tail_len - drop);
		r->tail_len -= drop;
	}
	memcpy(r->tail + r->tail_len, buf, n);
	r->tail_len += n;
}

/* The matcher has a verdict: it decides the run, which drains a while. */
static void take_verdict(struct run *r, int64_t now)
{
	const struct matcher_hit *hit = matcher_verdict(r->o->matcher);

	supervise_describe_hit(hit, r->res->reason, sizeof(r->res->reason));
	decide(r,
	       hit->kind == MATCHER_FAIL ? BP_OUTCOME_FAIL : BP_OUTCOME_PASS);
	r->by_matcher = true;
	if (r->o->keep_running && !r->child_done) {
		/* the user stops it, or the guest does */
		r->kept = true;
		bp_log(r->self, BP_LOG_INFO,
		       "%s: %s; the guest keeps running (keep_running)%s",
		       bp_outcome_name(r->res->outcome), r->res->reason,
		       r->o->forward_stdin ? ": Ctrl-] to stop" : "");
		return;
	}
	if (!r->child_done) {
		r->state = DRAINING;
		r->drain_end = now + r->o->drain_ms;
	}
}

/* A long unterminated line that grows in small pieces is matched by the
 * matcher only now and then (never per byte); its newest bytes are matched
 * here at most PART_FLUSH_MS after they arrived, so a prompt after a long
 * progress line still gives its verdict promptly. */
static void flush_part(struct run *r, int64_t now)
{
	if (r->flush_at < 0 || now < r->flush_at)
		return;
	r->flush_at = -1;
	if (r->state == RUNNING && !r->decided && matcher_flush(r->o->matcher))
		take_verdict(r, now);
}

/* Writes what fits under log_max; the rest is only counted, so a flooding
 * guest cannot fill the disk. The matcher still sees every byte. */
static void log_console(struct run *r, const char *buf, size_t n)
{
	const struct supervise_opts *o = r->o;
	size_t keep = n;

	if (o->log_fd < 0 || r->log_failed)
		return;
	if (o->log_max > 0) {
		int64_t room = o->log_max - r->log_written;

		if ((int64_t)keep > room)
			keep = room > 0 ? (size_t)room : 0;
		if (keep < n && !r->res->log_dropped)
			bp_log(r->self, BP_LOG_WARN,
			       "console log reached console_log_max (%lld "
			       "MiB): later output is matched but not written",
			       (long long)(o->log_max >> 20));
		r->res->log_dropped += n - keep;
	}
	if (!keep)
		return;
	if (write_all(o->log_fd, buf, keep)) {
		r->log_failed = true;
		bp_log(r->self, BP_LOG_WARN, "cannot write the console log: %s",
		       strerror(errno));
		return;
	}
	r->log_written += (int64_t)keep;
	r->log_last = buf[keep - 1];
}

/* Once, at the end: says in the log itself that it is cut short. */
static void log_marker(struct run *r)
{
	char line[160];
	int len, rc;

	if (r->o->log_fd < 0 || r->log_failed || !r->res->log_dropped)
		return;
	len = snprintf(line, sizeof(line),
		       "%s[bootpipe: console log truncated after %lld MiB; "
		       "%llu bytes dropped]\n",
		       r->log_last == '\n' ? "" : "\n",
		       (long long)(r->o->log_max >> 20),
		       (unsigned long long)r->res->log_dropped);
	rc = write_all(r->o->log_fd, line, (size_t)len);
	if (rc < 0)
		bp_log(r->self, BP_LOG_WARN,
		       "cannot write the console log's truncation line: %s",
		       strerror(-rc));
}

static void console(struct run *r, const char *buf, size_t n, bool is_err,
		    int64_t now)
{
	const struct supervise_opts *o = r->o;

	r->last_output = now;
	if (!is_err)
		r->res->console_seen = true;
	if (o->restore_terminal && !is_err)
		term_modes_track(&r->modes, buf, n);
	/* the host's console sink never waits for a reader that does not
	 * read: what it did not take is gone from the screen, not from the
	 * log or the matcher */
	if (o->echo)
		r->res->echo_dropped +=
		    n - bp_console_write(
			    r->self, is_err ? BP_CONSOLE_ERR : BP_CONSOLE_OUT,
			    buf, n);
	log_console(r, buf, n);
	if (is_err)
		keep_tail(r, buf, n);
	else
		r->stdout_total += n;
	if (r->state == RUNNING && !r->decided) {
		if (matcher_feed(o->matcher, buf, n))
			take_verdict(r, now);
		else if (r->flush_at < 0 && matcher_pending(o->matcher))
			r->flush_at = now + PART_FLUSH_MS;
	} else if (r->by_matcher && !matcher_verdict_complete(o->matcher)) {
		/* the rest of the verdict's line, so the reason names it all */
		matcher_feed(o->matcher, buf, n);
	}
	if (r->prompt && r->shell_at < 0 &&
	    literal_watch_feed(r->prompt, buf, n))
		r->shell_at = now + o->shell_delay_ms;
}

/* Reads what a pipe has now; closes it at EOF. */
static void drain_pipe(struct run *r, int *fd, bool is_err)
{
	static char buf[CHUNK];

	for (int i = 0; i < 16 && *fd >= 0; i++) {
		ssize_t n = read(*fd, buf, sizeof(buf));

		if (n > 0) {
			console(r, buf, (size_t)n, is_err, now_ms());
			if ((size_t)n < sizeof(buf))
				return;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close(*fd);
		*fd = -1;
	}
}

static void queue_input(struct run *r, const char *buf, size_t n)
{
	if (n > sizeof(r->input) - r->input_len)
		n = sizeof(r->input) - r->input_len;
	memcpy(r->input + r->input_len, buf, n);
	r->input_len += n;
}

static void flush_input(struct run *r)
{
	ssize_t n;

	if (r->c.in < 0 || !r->input_len)
		return;
	n = bp_write_nosigpipe(r->c.in, r->input, r->input_len);
	if (n < 0) {
		if (errno == EAGAIN)
			return;
		/* QEMU closed its stdin: nothing more can be typed */
		close(r->c.in);
		r->c.in = -1;
		r->input_len = 0;
		return;
	}
	memmove(r->input, r->input + n, r->input_len - (size_t)n);
	r->input_len -= (size_t)n;
}

/* The user's stop key: the run ends "interrupted", or, once a verdict
 * is in (keep_running), with that verdict. */
static void user_stop(struct run *r, const char *key)
{
	int64_t now = now_ms();

	if (!r->decided) {
		snprintf(r->res->reason, sizeof(r->res->reason),
			 "stopped by the user (%s); QEMU stopped", key);
		decide(r, BP_OUTCOME_INTERRUPTED);
	}
	r->stdin_open = false;
	begin_stop(r, now);
}

/* Keys go to the guest, except Ctrl-] and Ctrl-A x (QEMU's own quit
 * key, which would end the run as no-verdict), which stop the run. */
static void forward_stdin(struct run *r)
{
	char buf[512];
	size_t room = sizeof(r->input) - r->input_len, from = 0;
	ssize_t n =
	    read(STDIN_FILENO, buf, room < sizeof(buf) ? room : sizeof(buf));

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		r->stdin_open = false;
	for (ssize_t i = 0; i < n; i++) {
		char c = buf[i];

		if (c == STOP_KEY) {
			queue_input(r, buf + from, (size_t)i - from);
			user_stop(r, "Ctrl-]");
			return;
		}
		if (r->ctrl_a) {
			r->ctrl_a = false;
			if (c == 'x' || c == 'X') {
				user_stop(r, "Ctrl-A x");
				return;
			}
			/* held back, it goes now with its key (Ctrl-A c,
			 * Ctrl-A h: QEMU's monitor and help) */
			queue_input(r, "\001", 1);
		}
		if (c == '\001') {
			queue_input(r, buf + from, (size_t)i - from);
			from = (size_t)i + 1;
			r->ctrl_a = true;
		}
	}
	if (n > 0)
		queue_input(r, buf + from, (size_t)n - from);
}

static void reap(struct run *r, int64_t now)
{
	int st;
	pid_t w;

	/* the group goes first, while QEMU is a zombie and its pid (the
	 * group id) cannot be reused: helpers it left must not survive */
	kill(-r->c.pid, SIGKILL);
	do {
		w = waitpid(r->c.pid, &st, 0);
	} while (w < 0 && errno == EINTR);
	r->child_done = true;
	r->done_at = now;
	r->res->exited = w == r->c.pid;
	r->res->wait_status = st;
}

static bool child_exited(struct run *r)
{
	siginfo_t info = {0};

	/* peek without reaping, so reap() can still kill the group safely */
	if (waitid(P_PID, (id_t)r->c.pid, &info, WEXITED | WNOHANG | WNOWAIT) <
	    0)
		return errno == ECHILD;
	return info.si_pid == r->c.pid;
}

/* The drain ends at drain_ms, or sooner once the verdict's line is whole
 * and the console has been quiet for drain_quiet_ms: a guest that has
 * said all it will say is not waited for. */
static int64_t drain_done_at(const struct run *r)
{
	const struct supervise_opts *o = r->o;
	int64_t quiet;

	if (r->by_matcher && !matcher_verdict_complete(o->matcher))
		return r->drain_end;
	quiet = r->last_output + o->drain_quiet_ms;
	return quiet < r->drain_end ? quiet : r->drain_end;
}

static int timeout_ms(const struct run *r, int64_t now)
{
	int64_t t = 1000, d;
	const struct supervise_opts *o = r->o;

	if (r->state == RUNNING && !r->child_done) {
		if (o->timeout_ms > 0) {
			d = r->start + o->timeout_ms - now;
			t = d < t ? d : t;
		}
		if (o->idle_timeout_ms > 0 && r->last_output >= 0) {
			d = r->last_output + o->idle_timeout_ms - now;
			t = d < t ? d : t;
		}
	}
	if (r->state == DRAINING) {
		d = drain_done_at(r);
		t = d - now < t ? d - now : t;
	}
	if (r->state == STOPPING && !r->killed)
		t = r->kill_at - now < t ? r->kill_at - now : t;
	if (r->shell_at >= 0 && !r->shell_sent)
		t = r->shell_at - now < t ? r->shell_at - now : t;
	if (r->flush_at >= 0)
		t = r->flush_at - now < t ? r->flush_at - now : t;
	if (r->c.pidfd < 0 && !r->child_done)
		t = t < 50 ? t : 50;
	if (r->child_done)
		t = t < 20 ? t : 20;
	return t < 0 ? 0 : (int)t;
}

static void check_timers(struct run *r, int64_t now)
{
	const struct supervise_opts *o = r->o;
	char secs[32];

	if (r->state == RUNNING && !r->child_done && !r->decided) {
		if (o->timeout_ms > 0 && now - r->start >= o->timeout_ms) {
			format_seconds(o->timeout_ms, secs, sizeof(secs));
			snprintf(r->res->reason, sizeof(r->res->reason),
				 "no verdict within the %s timeout", secs);
			decide(r, BP_OUTCOME_TIMEOUT);
			begin_stop(r, now);
		} else if (o->idle_timeout_ms > 0 && r->last_output >= 0 &&
			   now - r->last_output >= o->idle_timeout_ms) {
			format_seconds(o->idle_timeout_ms, secs, sizeof(secs));
			snprintf(r->res->reason, sizeof(r->res->reason),
				 "no console output for %s (idle_timeout)",
				 secs);
			decide(r, BP_OUTCOME_TIMEOUT);
			begin_stop(r, now);
		}
	}
	if (r->state == DRAINING && now >= drain_done_at(r))
		begin_stop(r, now);
	if (r->state == STOPPING && !r->killed && now >= r->kill_at &&
	    !r->child_done) {
		kill(-r->c.pid, SIGKILL);
		r->killed = true;
	}
	if (r->shell_at >= 0 && !r->shell_sent && now >= r->shell_at) {
		r->shell_sent = true;
		if (r->state == RUNNING) {
			bp_log(r->self, BP_LOG_INFO,
			       "prompt \"%s\" seen, typing \"%s\"",
			       o->shell_prefix, o->shell_init_cmd);
			queue_input(r, o->shell_init_cmd,
				    strlen(o->shell_init_cmd));
			queue_input(r, "\n", 1);
			/* the guest's echo of it is not guest output */
			if (matcher_expect_echo(o->matcher, o->shell_init_cmd))
				bp_log(r->self, BP_LOG_WARN,
				       "out of memory: the echo of the typed "
				       "command will be matched");
		}
	}
}

/* The stderr tail as one line: newlines become " | ". */
static void tail_text(const struct run *r, char *buf, size_t len)
{
	size_t start = 0, o = 0, n = r->tail_len;

	while (n && (r->tail[n - 1] == '\n' || r->tail[n - 1] == '\r'))
		n--;
	if (n > 1000)
		start = n - 1000;
	for (size_t i = start; i < n && o + 4 < len; i++) {
		char c = r->tail[i];

		if (c == '\n') {
			memcpy(buf + o, " | ", 3);
			o += 3;
		} else if (c != '\r') {
			buf[o++] = c;
		}
	}
	buf[o] = '\0';
}

/*
 * QEMU exited 1 having printed nothing but its own error lines on
 * stderr ("NAME:
 * ...", NAME its argv[0]) and none about KVM: the command line is wrong,
 * which is a config outcome, not a crash. A guest's output, a signal or
 * a KVM failure (the host's business) is not this.
 */
static bool refused_argv(const struct run *r)
{
	const char *name = strrchr(r->o->argv[0], '/');
	const char *p = r->tail, *end = r->tail + r->tail_len;
	size_t len;

	name = name ? name + 1 : r->o->argv[0];
	len = strlen(name);
	if (!WIFEXITED(r->res->wait_status) ||
	    WEXITSTATUS(r->res->wait_status) != 1 || !r->tail_len ||
	    r->stderr_total > r->tail_len || r->stdout_total)
		return false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if (eol > p && !(eol == p + 1 && *p == '\r')) {
			if ((size_t)(eol - p) <= len + 1 ||
			    memcmp(p, name, len) || p[len] != ':')
				return false;
			for (const char *q = p; q + 3 <= eol; q++)
				if (!strncasecmp(q, "kvm", 3))
					return false;
		}
		p = eol + 1;
	}
	return true;
}

static void decide_by_exit(struct run *r)
{
	struct supervise_result *res = r->res;
	int st = res->wait_status;
	char tail[1100];

	tail_text(r, tail, sizeof(tail));
	if (!res->exited) {
		snprintf(res->reason, sizeof(res->reason),
			 "lost track of QEMU (pid %d)", (int)r->c.pid);
		decide(r, BP_OUTCOME_CRASH);
	} else if (WIFSIGNALED(st)) {
		snprintf(res->reason, sizeof(res->reason),
			 "QEMU was killed by signal %d (%s)%s%s", WTERMSIG(st),
			 strsignal(WTERMSIG(st)), *tail ? "; stderr: " : "",
			 tail);
		decide(r, BP_OUTCOME_CRASH);
	} else if (refused_argv(r)) {
		snprintf(res->reason, sizeof(res->reason),
			 "QEMU refused its command line (exit status %d): %s",
			 WEXITSTATUS(st), tail);
		decide(r, BP_OUTCOME_CONFIG);
	} else if (WEXITSTATUS(st) != 0) {
		snprintf(res->reason, sizeof(res->reason),
			 "QEMU exited with status %d without a verdict%s%s",
			 WEXITSTATUS(st), *tail ? "; stderr: " : "", tail);
		decide(r, BP_OUTCOME_CRASH);
	} else if (matcher_count(r->o->matcher, MATCHER_SUCCESS) &&
		   r->o->require_success) {
		snprintf(res->reason, sizeof(res->reason),
			 "QEMU exited 0 but none of the %zu success patterns "
			 "matched",
			 matcher_count(r->o->matcher, MATCHER_SUCCESS));
		decide(r, BP_OUTCOME_NO_VERDICT);
	} else {
		snprintf(res->reason, sizeof(res->reason),
			 "QEMU exited 0 and no success pattern is required");
		decide(r, BP_OUTCOME_PASS);
	}
}

static void loop(struct run *r)
{
	struct child *c = &r->c;
	const struct supervise_opts *o = r->o;
	int intr = bp_interrupt_fd();

	for (;;) {
		struct pollfd p[6];
		int np = 0, i_out = -1, i_err = -1, i_intr = -1, i_pid = -1,
		    i_tty = -1, i_in = -1;
		int64_t now = now_ms();

		flush_part(r, now);
		check_timers(r, now);
		flush_input(r);
		if (r->child_done && c->out < 0 && c->err < 0)
			break;
		/* helpers outside the group may hold the pipes open */
		if (r->child_done &&
		    now - r->done_at >= (o->drain_ms > 100 ? o->drain_ms : 100))
			break;
		if (c->out >= 0) {
			i_out = np;
			p[np++] =
			    (struct pollfd){.fd = c->out, .events = POLLIN};
		}
		if (c->err >= 0) {
			i_err = np;
			p[np++] =
			    (struct pollfd){.fd = c->err, .events = POLLIN};
		}
		if (intr >= 0 && !bp_interrupted()) {
			i_intr = np;
			p[np++] = (struct pollfd){.fd = intr, .events = POLLIN};
		}
		if (c->pidfd >= 0 && !r->child_done) {
			i_pid = np;
			p[np++] =
			    (struct pollfd){.fd = c->pidfd, .events = POLLIN};
		}
		if (o->forward_stdin && r->stdin_open && r->state == RUNNING &&
		    r->input_len < sizeof(r->input)) {
			i_tty = np;
			p[np++] = (struct pollfd){.fd = STDIN_FILENO,
						  .events = POLLIN};
		}
		if (c->in >= 0 && r->input_len) {
			i_in = np;
			p[np++] =
			    (struct pollfd){.fd = c->in, .events = POLLOUT};
		}
		if (poll(p, (nfds_t)np, timeout_ms(r, now)) < 0 &&
		    errno != EINTR) {
			bp_log(r->self, BP_LOG_ERROR, "poll failed: %s",
			       strerror(errno));
			begin_stop(r, now);
		}
		now = now_ms();
		if (bp_interrupted() &&
		    r->res->outcome != BP_OUTCOME_INTERRUPTED) {
			snprintf(r->res->reason, sizeof(r->res->reason),
				 "interrupted; QEMU stopped");
			decide(r, BP_OUTCOME_INTERRUPTED);
			begin_stop(r, now);
			term_restore();
		}
		if (i_out >= 0 && p[i_out].revents)
			drain_pipe(r, &c->out, false);
		if (i_err >= 0 && p[i_err].revents)
			drain_pipe(r, &c->err, true);
		if (i_tty >= 0 && p[i_tty].revents)
			forward_stdin(r);
		(void)i_intr;
		(void)i_in;
		if (!r->child_done && ((i_pid >= 0 && p[i_pid].revents) ||
				       (c->pidfd < 0 && child_exited(r)))) {
			/* read what it wrote before dying, then reap */
			drain_pipe(r, &c->out, false);
			drain_pipe(r, &c->err, true);
			reap(r, now);
		}
	}
}

int supervise_run(struct bp_stage *self, const struct supervise_opts *o,
		  struct supervise_result *res)
{
	struct run r = {
	    .self = self,
	    .o = o,
	    .res = res,
	    .c = {.pid = -1, .out = -1, .err = -1, .in = -1, .pidfd = -1},
	    .shell_at = -1,
	    .flush_at = -1,
	    .stdin_open = true,
	    .log_last = '\n',
	};
	int rc;

	memset(res, 0, sizeof(*res));
	res->outcome = BP_OUTCOME_INFRA;
	if (o->shell_prefix && *o->shell_prefix && o->shell_init_cmd) {
		r.prompt = literal_watch_new(o->shell_prefix);
		if (!r.prompt) {
			snprintf(res->reason, sizeof(res->reason),
				 "out of memory");
			return BP_ENOMEM;
		}
	}
	rc = spawn(o->argv, &r.c, res->reason, sizeof(res->reason));
	if (rc == BP_EINFRA) {
		res->outcome = BP_OUTCOME_INFRA;
		rc = 0;
		goto free_prompt;
	}
	if (rc < 0)
		goto free_prompt;
	r.start = now_ms();
	r.last_output = -1;
	if (o->forward_stdin && term_raw(STDIN_FILENO) < 0)
		bp_log(self, BP_LOG_WARN,
		       "cannot put the terminal in raw mode");
	if (o->forward_stdin)
		bp_log(self, BP_LOG_INFO,
		       "Ctrl-] to stop, keys go to the guest (Ctrl-A x stops "
		       "too)");
	loop(&r);
	term_restore();
	if (o->restore_terminal) {
		char seq[64];
		size_t n = term_modes_reset(&r.modes, seq, sizeof(seq));

		if (n)
			bp_console_write(self, BP_CONSOLE_OUT, seq, n);
	}
	log_marker(&r);
	if (res->echo_dropped)
		bp_log(self, BP_LOG_WARN,
		       "%llu console bytes were not shown: the terminal or "
		       "stdout did not keep up (the console log has them)",
		       (unsigned long long)res->echo_dropped);
	if (r.by_matcher) {
		/* the verdict's line as far as it arrived */
		matcher_finish(o->matcher);
		supervise_describe_hit(matcher_verdict(o->matcher), res->reason,
				       sizeof(res->reason));
	}
	if (!r.decided) {
		matcher_finish(o->matcher);
		if (matcher_verdict(o->matcher)) {
			const struct matcher_hit *hit =
			    matcher_verdict(o->matcher);

			supervise_describe_hit(hit, res->reason,
					       sizeof(res->reason));
			decide(&r, hit->kind == MATCHER_FAIL ? BP_OUTCOME_FAIL
							     : BP_OUTCOME_PASS);
		} else {
			decide_by_exit(&r);
		}
	}
	if (r.c.out >= 0)
		close(r.c.out);
	if (r.c.err >= 0)
		close(r.c.err);
	if (r.c.in >= 0)
		close(r.c.in);
	if (r.c.pidfd >= 0)
		close(r.c.pidfd);
free_prompt:
	literal_watch_free(r.prompt);
	return rc;
}
