/*
 * --debug runs: QEMU starts halted and waits for GDB, so the clocks that
 * would end the run do not run, and the user gets a GDB command line that
 * works for the guest's arch as it is.
 */
#ifndef BOOTPIPE_LAUNCH_DEBUG_H
#define BOOTPIPE_LAUNCH_DEBUG_H

#include <stddef.h>

/* The port of QEMU's GDB stub in @argv (-gdb tcp:HOST:PORT, or -s for
 * 1234), -1 when there is none. */
int debug_gdb_port(const char *const *argv);

/*
 * The GDB command that attaches to @port, in @buf: `gdb` when @guest_arch
 * is @host_arch (or unknown), else `gdb-multiarch`; with `-ex 'file ELF'`
 * when @elf (may be NULL) is an ELF file, so symbols are loaded. Shell
 * quoted, ready to paste. Returns 0, or -1 when it does not fit.
 */
int debug_gdb_command(const char *host_arch, const char *guest_arch,
		      const char *elf, int port, char *buf, size_t len);

#endif
