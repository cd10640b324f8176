/*
 * Per-engine cancel: a flag and a self-pipe, so a stage waiting in poll()
 * wakes up and stops QEMU cleanly. The signal handlers are one caller; an
 * embedder with its own event loop or a watchdog thread is another.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <unistd.h>

#include "engine_internal.h"

/* Engines a signal cancels. Fixed so the handler never allocates; an
 * engine beyond it is still cancelled by bp_engine_cancel. */
#define MAX_SIGNAL_ENGINES 32

static _Atomic(struct bp_engine *) live[MAX_SIGNAL_ENGINES];
static _Thread_local struct bp_engine *running;

int cancel_init(struct bp_engine *e)
{
	if (pipe2(e->cancel_fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		e->cancel_fds[0] = e->cancel_fds[1] = -1;
		return BP_EIO;
	}
	for (size_t i = 0; i < MAX_SIGNAL_ENGINES; i++) {
		struct bp_engine *none = NULL;

		if (atomic_compare_exchange_strong(&live[i], &none, e))
			break;
	}
	/* a signal that came before this engine existed still counts */
	if (signal_received())
		bp_engine_cancel(e);
	return 0;
}

void cancel_release(struct bp_engine *e)
{
	for (size_t i = 0; i < MAX_SIGNAL_ENGINES; i++) {
		struct bp_engine *self = e;

		if (atomic_compare_exchange_strong(&live[i], &self, NULL))
			break;
	}
	if (running == e)
		running = NULL;
	for (int i = 0; i < 2; i++)
		if (e->cancel_fds[i] >= 0)
			close(e->cancel_fds[i]);
}

void cancel_set_running(struct bp_engine *e)
{
	running = e;
}

void cancel_all_engines(void)
{
	for (size_t i = 0; i < MAX_SIGNAL_ENGINES; i++) {
		struct bp_engine *e = atomic_load(&live[i]);

		if (e)
			bp_engine_cancel(e);
	}
}

void bp_engine_cancel(struct bp_engine *e)
{
	int saved = errno;
	char byte = 1;

	if (!e)
		return;
	e->cancelled = 1;
	if (e->cancel_fds[1] >= 0 && write(e->cancel_fds[1], &byte, 1) < 0) {
		/* full pipe: already readable */
	}
	errno = saved;
}

bool bp_engine_cancelled(const struct bp_engine *e)
{
	return e && e->cancelled;
}

bool bp_stage_cancelled(const struct bp_stage *self)
{
	return self && self->engine->cancelled;
}

int bp_stage_cancel_fd(const struct bp_stage *self)
{
	return self ? self->engine->cancel_fds[0] : -1;
}

/* The per-thread forms older stages use: the engine running on this
 * thread, else the process-wide signal flag. */
bool bp_interrupted(void)
{
	return (running && running->cancelled) || signal_received();
}

int bp_interrupt_fd(void)
{
	return running ? running->cancel_fds[0] : signal_fd();
}
