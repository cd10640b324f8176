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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

enum { T_TEXT, T_ESC, T_CSI };

/* A private mode set (h) or reset (l): ?7 wrap, ?25 cursor, ?47 / ?1047 /
 * ?1049 the alternate screen. */
static void private_mode(struct term_modes *m, bool set)
{
	const char *p = m->params + 1;

	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (v == 7)
			m->wrap_off = !set;
		else if (v == 25)
			m->cursor_hidden = !set;
		else if (v == 47 || v == 1047 || v == 1049)
			m->alt_screen = set;
		p = *end == ';' ? end + 1 : end;
	}
}

static void csi_end(struct term_modes *m, char final)
{
	m->params[m->plen] = '\0';
	if (m->params[0] == '?' && (final == 'h' || final == 'l'))
		private_mode(m, final == 'h');
	else if (final == 'm')
		/* "ESC [ m" and "ESC [ 0 m" reset; anything else may not */
		m->attributes =
		    !(m->plen == 0 || (m->plen == 1 && m->params[0] == '0'));
}

void term_modes_track(struct term_modes *m, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		switch (m->state) {
		case T_TEXT:
			if (c == 0x1b)
				m->state = T_ESC;
			break;
		case T_ESC:
			m->state = c == '[' ? T_CSI : T_TEXT;
			m->plen = 0;
			if (c == 'c') /* RIS: the terminal resets itself */
				*m = (struct term_modes){0};
			break;
		default:
			if (c >= 0x40 && c <= 0x7e) {
				csi_end(m, (char)c);
				m->state = T_TEXT;
			} else if (m->plen + 1 < sizeof(m->params)) {
				m->params[m->plen++] = (char)c;
			}
		}
	}
}

size_t term_modes_reset(const struct term_modes *m, char *buf, size_t len)
{
	int n = snprintf(
	    buf, len, "%s%s%s%s", m->alt_screen ? "\033[?1049l" : "",
	    m->attributes ? "\033[0m" : "", m->wrap_off ? "\033[?7h" : "",
	    m->cursor_hidden ? "\033[?25h" : "");

	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}
