/*
 * The controlling terminal while QEMU runs: raw input so keystrokes reach
 * the guest one by one, and a restore that always happens (normal path,
 * signal paths, and exit).
 */
#ifndef BOOTPIPE_LAUNCH_TERM_H
#define BOOTPIPE_LAUNCH_TERM_H

#include <stdbool.h>

/* Puts @fd (a terminal) in raw input mode, remembering its settings.
 * Returns 0 or -errno. A second call while raw is a no-op. */
int term_raw(int fd);

/* Restores the remembered settings; safe to call any number of times and
 * from a signal handler (async-signal-safe). */
void term_restore(void);

bool term_is_raw(void);

#endif
