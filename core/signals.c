/*
 * SIGINT, SIGTERM, SIGHUP (terminal closed) and SIGQUIT all mean "stop
 * cleanly": each cancels every live engine (bp_engine_cancel), so the
 * running stage stops QEMU, restores the terminal and removes its
 * temporary files. A second signal is not caught.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "engine_internal.h"

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static volatile sig_atomic_t received;
static int pipe_fds[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	char byte = 1;
	struct sigaction dfl;

	received = sig;
	if (pipe_fds[1] >= 0 && write(pipe_fds[1], &byte, 1) < 0) {
		/* full pipe: already readable */
	}
	cancel_all_engines();
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	errno = saved;
}

int bp_install_signal_handlers(void)
{
	struct sigaction sa;

	if (pipe_fds[0] < 0 && pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return BP_EIO;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]);
	     i++) {
		sigaddset(&sa.sa_mask, stop_signals[i]);
	}
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]);
	     i++) {
		if (sigaction(stop_signals[i], &sa, NULL) < 0)
			return BP_EIO;
	}
	/* Past a file size limit (ulimit -f) a write fails with EFBIG and
	 * the stage reports it and cleans up, instead of SIGXFSZ killing
	 * the run with its temporary files left behind. */
	signal(SIGXFSZ, SIG_IGN);
	return 0;
}

bool signal_received(void)
{
	return received != 0;
}

int signal_fd(void)
{
	return pipe_fds[0];
}
