/* The GDB stub of a --debug run: its port and the command that attaches. */
#include "debug.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/plugin.h>

static int parse_port(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || (*end && *end != ',') || v <= 0 || v > 65535)
		return -1;
	return (int)v;
}

int debug_gdb_port(const char *const *argv)
{
	int port = -1;

	for (size_t i = 1; argv[i]; i++) {
		const char *a = argv[i];

		if (a[0] == '-' && a[1] == '-')
			a++;
		if (!strcmp(a, "-s")) {
			port = 1234;
		} else if (!strcmp(a, "-gdb") && argv[i + 1]) {
			const char *v = argv[++i], *colon;

			/* tcp:HOST:PORT or tcp::PORT; a unix socket or
			 * device has no port to name */
			if (strncmp(v, "tcp:", 4))
				continue;
			colon = strrchr(v + 4, ':');
			port = parse_port(colon ? colon + 1 : v + 4);
		}
	}
	return port;
}

static bool is_elf(const char *path)
{
	unsigned char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool yes;

	if (fd < 0)
		return false;
	yes = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	      !memcmp(magic, "\177ELF", 4);
	close(fd);
	return yes;
}

int debug_gdb_command(const char *host_arch, const char *guest_arch,
		      const char *elf, int port, char *buf, size_t len)
{
	bool native = !guest_arch || !*guest_arch ||
		      (host_arch && !strcmp(host_arch, guest_arch));
	char file[4200], target[64];
	const char *args[5];
	size_t n = 0;
	char *cmd;
	int w;

	args[n++] = native ? "gdb" : "gdb-multiarch";
	if (elf && is_elf(elf)) {
		w = snprintf(file, sizeof(file), "file %s", elf);
		if (w < 0 || (size_t)w >= sizeof(file))
			return -1;
		args[n++] = "-ex";
		args[n++] = file;
	}
	snprintf(target, sizeof(target), "target remote :%d", port);
	args[n++] = "-ex";
	args[n++] = target;
	cmd = bp_shell_join(args, n);
	if (!cmd)
		return -1;
	w = snprintf(buf, len, "%s", cmd);
	free(cmd);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}
