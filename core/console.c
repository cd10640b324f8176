/* The console sink: guest output beside the log sink, so an embedder (a
 * GUI, a test harness) gets it without the stage touching fd 1. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine_internal.h"

/*
 * How the built-in sink writes fd 1 or 2 without ever waiting for its
 * reader (a terminal that is not read, a FIFO nobody drains): a pipe or
 * terminal is opened a second time with O_NONBLOCK, so the flag does not
 * change the description the shell shares with us; a socket gets
 * MSG_DONTWAIT; a regular file is written as it is. What the kernel's
 * buffer cannot take now is dropped and counted.
 */
struct out {
	bool ready;
	dev_t dev; /* of the file fd 1 or 2 was when opened again */
	ino_t ino;
	int fd;	       /* what is written, fd 1/2 or its non-blocking twin */
	bool sock;     /* send(MSG_DONTWAIT) */
	bool poll_gap; /* no twin: write only what poll says fits */
};

static struct out outs[3];
static pthread_mutex_t outs_lock = PTHREAD_MUTEX_INITIALIZER;

static void out_open(struct out *o, int fd, const struct stat *st)
{
	char path[64];
	int flags = fcntl(fd, F_GETFL);

	if (o->ready && o->fd != fd)
		close(o->fd);
	*o = (struct out){
	    .ready = true, .dev = st->st_dev, .ino = st->st_ino, .fd = fd};
	if (S_ISSOCK(st->st_mode)) {
		o->sock = true;
		return;
	}
	if (S_ISREG(st->st_mode) || S_ISBLK(st->st_mode) ||
	    (flags >= 0 && (flags & O_NONBLOCK)))
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	o->fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (o->fd < 0) {
		o->fd = fd;
		o->poll_gap = true;
	}
}

/* The writer for @fd, reopened when fd 1/2 now names another file. */
static struct out *out_for(int fd)
{
	struct out *o = &outs[fd];
	struct stat st;

	if (fstat(fd, &st) < 0)
		return NULL;
	if (!o->ready || o->dev != st.st_dev || o->ino != st.st_ino)
		out_open(o, fd, &st);
	return o;
}

/* One write that neither waits nor raises SIGPIPE (a reader that went
 * away is a short write, not our death). */
static ssize_t write_once(const struct out *o, const char *p, size_t len)
{
	if (o->sock)
		return send(o->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (o->poll_gap) {
		struct pollfd pf = {.fd = o->fd, .events = POLLOUT};

		if (poll(&pf, 1, 0) != 1 || !(pf.revents & POLLOUT))
			return -1;
		/* a pipe that polls writable takes PIPE_BUF at once */
		if (len > PIPE_BUF)
			len = PIPE_BUF;
	}
	return bp_write_nosigpipe(o->fd, p, len);
}

size_t bp_console_sink_stdio(void *user, enum bp_console_stream stream,
			     const char *source, const char *data, size_t len)
{
	int fd = stream == BP_CONSOLE_ERR ? STDERR_FILENO : STDOUT_FILENO;
	size_t done = 0;
	struct out *o;

	(void)user;
	(void)source;
	pthread_mutex_lock(&outs_lock);
	o = out_for(fd);
	while (o && done < len) {
		ssize_t n = write_once(o, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	pthread_mutex_unlock(&outs_lock);
	return done;
}
size_t bp_console_write(struct bp_stage *self, enum bp_console_stream stream,
			const void *data, size_t len)
{
	struct bp_engine *e;
	size_t took;

	if (!self || !len)
		return len;
	e = self->engine;
	if (e->quiet)
		return len;
	took = e->console(e->console_user, stream, self->name,
			  (const char *)data, len);
	if (took < len)
		e->console_dropped += len - took;
	return took;
}

void bp_engine_set_console_sink(struct bp_engine *e, bp_console_sink_fn sink,
				void *user)
{
	if (!e)
		return;
	e->console = sink ? sink : bp_console_sink_stdio;
	e->console_user = sink ? user : NULL;
}

uint64_t bp_engine_console_dropped(const struct bp_engine *e)
{
	return e ? e->console_dropped : 0;
}
