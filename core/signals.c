/* SIGINT/SIGTERM: a flag and a self-pipe, so stages waiting in poll() wake
 * up and stop QEMU cleanly. A second signal is not caught. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/engine.h>
#include <bootpipe/plugin.h>

static volatile sig_atomic_t interrupted;
static int pipe_fds[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	char byte = 1;
	struct sigaction dfl;

	interrupted = sig;
	if (pipe_fds[1] >= 0 && write(pipe_fds[1], &byte, 1) < 0) {
		/* full pipe: already readable */
	}
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
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		return BP_EIO;
	/* Past a file size limit (ulimit -f) a write fails with EFBIG and
	 * the stage reports it and cleans up, instead of SIGXFSZ killing
	 * the run with its temporary files left behind. */
	signal(SIGXFSZ, SIG_IGN);
	return 0;
}

bool bp_interrupted(void)
{
	return interrupted != 0;
}

int bp_interrupt_fd(void)
{
	return pipe_fds[0];
}
