/*
 * The controlling terminal while QEMU runs: raw input so keystrokes reach
 * the guest one by one, and a restore that always happens (normal path,
 * signal paths, and exit).
 */
#ifndef BOOTPIPE_LAUNCH_TERM_H
#define BOOTPIPE_LAUNCH_TERM_H

#include <stdbool.h>
#include <stddef.h>

/* Puts @fd (a terminal) in raw input mode, remembering its settings.
 * Returns 0 or -errno. A second call while raw is a no-op. */
int term_raw(int fd);

/* Restores the remembered settings; safe to call any number of times and
 * from a signal handler (async-signal-safe). */
void term_restore(void);

bool term_is_raw(void);

/*
 * What a guest's output did to the terminal that shows it, so it can be
 * undone at the end: SeaBIOS turns line wrap off, Linux hides the cursor
 * or leaves colours on, full-screen programs switch to the alternate
 * screen. Fed the console bytes as they are echoed, in any chunks.
 */
struct term_modes {
	int state;	 /* of the escape-sequence scanner */
	char params[32]; /* of the CSI being read, cut when longer */
	size_t plen;
	bool wrap_off;
	bool cursor_hidden;
	bool alt_screen;
	bool attributes; /* an SGR other than a reset is in effect */
};

void term_modes_track(struct term_modes *m, const char *buf, size_t n);

/* The escape sequences that restore what was changed into @buf (NUL
 * terminated, "" when nothing was); returns their length. */
size_t term_modes_reset(const struct term_modes *m, char *buf, size_t len);

#endif
