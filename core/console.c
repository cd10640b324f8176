/* The console sink: guest output beside the log sink, so an embedder (a
 * GUI, a test harness) gets it without the stage touching fd 1. */
#include <errno.h>
#include <unistd.h>

#include "engine_internal.h"

size_t bp_console_sink_stdio(void *user, enum bp_console_stream stream,
			     const char *source, const char *data, size_t len)
{
	int fd = stream == BP_CONSOLE_ERR ? STDERR_FILENO : STDOUT_FILENO;
	size_t done = 0;

	(void)user;
	(void)source;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
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
