/*
 * A stand-in for qemu-system-* in the launch tests: it runs a script given
 * as arguments, one command per argument, and ignores arguments that start
 * with '-' (so a real QEMU command line can be passed through). Commands:
 *
 *   print:TEXT      TEXT and a newline on stdout (escapes: \n \r \t \e \\ \xHH)
 *   write:TEXT      TEXT without a newline
 *   stderr:TEXT     TEXT and a newline on stderr
 *   sleep:MS        wait MS milliseconds
 *   readline        read one line from stdin, print "echo: LINE"
 *   exit:N          exit with status N (the script's end exits 0)
 *   signal:N        kill itself with signal N
 *   hang            sleep until killed
 *   ignore-term     ignore SIGTERM from now on (tests the SIGKILL grace)
 *   flood:BYTES     print BYTES bytes of short lines
 *   longline:BYTES  print one line of BYTES 'x' without its newline
 *   pidfile:FILE    write our pid to FILE
 *   child:FILE      fork a child that sleeps for ever, its pid in FILE
 *   counter:FILE    add one to the number in FILE (the attempt number)
 *   @K:COMMAND      run COMMAND only when the counter is K
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long attempt;

static void put(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			exit(120);
		}
		s += w;
		n -= (size_t)w;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unescapes @s into a new buffer; *len gets its length. */
static char *unescape(const char *s, size_t *len)
{
	char *out = malloc(strlen(s) + 1);
	size_t o = 0;

	if (!out)
		exit(121);
	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			out[o++] = *s;
			continue;
		}
		switch (*++s) {
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'e':
			out[o++] = 0x1b;
			break;
		case 'x':
			if (hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
				out[o++] =
				    (char)(hexval(s[1]) * 16 + hexval(s[2]));
				s += 2;
				break;
			}
			out[o++] = 'x';
			break;
		default:
			out[o++] = *s;
		}
	}
	*len = o;
	return out;
}

static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end) {
		fprintf(stderr, "fake-qemu: bad number \"%s\"\n", s);
		exit(122);
	}
	return v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void write_file(const char *path, long value)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%ld\n", value) < 0 || fclose(f) != 0) {
		fprintf(stderr, "fake-qemu: cannot write %s\n", path);
		exit(123);
	}
}

static void counter(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = 0;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 0;
		fclose(f);
	}
	attempt = n + 1;
	write_file(path, attempt);
}

static void readline_echo(void)
{
	char line[4096];
	size_t n = 0;

	while (n < sizeof(line) - 1) {
		ssize_t r = read(STDIN_FILENO, line + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || line[n] == '\n')
			break;
		n++;
	}
	put(STDOUT_FILENO, "echo: ", 6);
	put(STDOUT_FILENO, line, n);
	put(STDOUT_FILENO, "\n", 1);
}

static void flood(long bytes)
{
	char line[128];
	long done = 0, i = 0;

	while (done < bytes) {
		int n = snprintf(line, sizeof(line),
				 "[%10ld] flood line with some text\n", i++);

		put(STDOUT_FILENO, line, (size_t)n);
		done += n;
	}
}

static void longline(long bytes)
{
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	while (bytes > 0) {
		size_t n =
		    bytes < (long)sizeof(buf) ? (size_t)bytes : sizeof(buf);

		put(STDOUT_FILENO, buf, n);
		bytes -= (long)n;
	}
}

static void command(const char *cmd)
{
	const char *arg = strchr(cmd, ':');
	size_t name_len = arg ? (size_t)(arg - cmd) : strlen(cmd);
	char *text;
	size_t len;

	arg = arg ? arg + 1 : "";
#define IS(name) (strlen(name) == name_len && !strncmp(cmd, name, name_len))
	if (cmd[0] == '@') {
		char *end;
		long k = strtol(cmd + 1, &end, 10);

		if (*end != ':') {
			fprintf(stderr, "fake-qemu: bad command \"%s\"\n", cmd);
			exit(122);
		}
		if (k == attempt)
			command(end + 1);
	} else if (IS("print") || IS("write") || IS("stderr")) {
		text = unescape(arg, &len);
		put(IS("stderr") ? STDERR_FILENO : STDOUT_FILENO, text, len);
		if (!IS("write"))
			put(IS("stderr") ? STDERR_FILENO : STDOUT_FILENO, "\n",
			    1);
		free(text);
	} else if (IS("sleep")) {
		sleep_ms(number(arg));
	} else if (IS("readline")) {
		readline_echo();
	} else if (IS("exit")) {
		exit((int)number(arg));
	} else if (IS("signal")) {
		signal((int)number(arg), SIG_DFL);
		raise((int)number(arg));
	} else if (IS("hang")) {
		for (;;)
			pause();
	} else if (IS("ignore-term")) {
		signal(SIGTERM, SIG_IGN);
	} else if (IS("flood")) {
		flood(number(arg));
	} else if (IS("longline")) {
		longline(number(arg));
	} else if (IS("pidfile")) {
		write_file(arg, (long)getpid());
	} else if (IS("child")) {
		pid_t pid = fork();

		if (pid == 0) {
			for (;;)
				pause();
		}
		write_file(arg, (long)pid);
	} else if (IS("counter")) {
		counter(arg);
	} else {
		fprintf(stderr, "fake-qemu: unknown command \"%s\"\n", cmd);
		exit(122);
	}
#undef IS
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			command(argv[i]);
	return 0;
}
