/*
 * Raw terminal mode for forwarding stdin to QEMU. Input is raw (no line
 * editing, no echo, no signals: Ctrl-C goes to the guest as QEMU's own
 * -nographic does; QEMU's Ctrl-A x still quits), output processing stays on
 * so bootpipe's log lines keep their carriage returns. The saved settings
 * are restored on every path; an atexit handler covers exit() from
 * anywhere (glibc runs it at dlclose too, so unloading the plugin is safe).
 */
#include "term.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>

static struct termios saved;
static volatile sig_atomic_t raw_fd = -1;
static bool atexit_done;

static void restore_at_exit(void)
{
	term_restore();
}

int term_raw(int fd)
{
	struct termios t;

	if (raw_fd >= 0)
		return 0;
	if (tcgetattr(fd, &saved) < 0)
		return -errno;
	t = saved;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
				 IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (!atexit_done && atexit(restore_at_exit) == 0)
		atexit_done = true;
	if (tcsetattr(fd, TCSAFLUSH, &t) < 0)
		return -errno;
	raw_fd = fd;
	return 0;
}

void term_restore(void)
{
	int fd = raw_fd;
	int e = errno; /* kept for callers on signal paths */

	if (fd < 0)
		return;
	/* tcsetattr is async-signal-safe */

	tcsetattr(fd, TCSAFLUSH, &saved);
	raw_fd = -1;
	errno = e;
}

bool term_is_raw(void)
{
	return raw_fd >= 0;
}
