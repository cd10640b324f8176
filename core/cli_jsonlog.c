/*
 * --log-format json: every line bootpipe writes to stderr is one JSON
 * object. The engine's sink already writes JSON; everything else (the
 * CLI's own messages, a plugin's or QEMU's stray line) reaches stderr as
 * text, so stderr becomes a pipe a thread reads: JSON lines pass through,
 * others are wrapped. The last line is the end line with the outcome, the
 * exit code and the reason.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "rfc3339.h"

#define LINE_MAX_BYTES 65536

static int real_stderr = -1;
static pthread_t reader;
static bool running;
static char last_error[1024];
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;

/* A JSON string of @len bytes; bytes that are not UTF-8 become '?'. */
static json_t *text(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	char *copy;

	if (j)
		return j;
	copy = malloc(len + 1);
	if (!copy)
		return NULL;
	for (size_t i = 0; i < len; i++)
		copy[i] = (unsigned char)s[i] < 0x80 && s[i] ? s[i] : '?';
	j = json_stringn(copy, len);
	free(copy);
	return j;
}

static void write_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

static void emit(int fd, json_t *o)
{
	char *line =
	    o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	size_t len;

	if (!line)
		return;
	len = strlen(line);
	line[len++] = '\n'; /* json_dumps' NUL becomes the newline */
	write_all(fd, line, len);
	free(line);
}

static json_t *record(const char *level, const char *stage, const char *message,
		      size_t len)
{
	char when[RFC3339_SIZE];

	rfc3339_now(when, sizeof(when));
	return json_pack("{s:s, s:s, s:o, s:o}", "time", when, "level", level,
			 "stage", stage ? json_string(stage) : json_null(),
			 "message", text(message, len));
}

/* One line that is not JSON already: "bootpipe: ..." is the CLI's error,
 * "[stage] ..." a stage's text line, anything else is passed on as info. */
static void wrap(const char *line, size_t len)
{
	const char *level = "info", *close;
	char stage[64] = "";
	json_t *o;

	if (len >= 10 && memcmp(line, "bootpipe: ", 10) == 0) {
		level = "error";
		line += 10;
		len -= 10;
		pthread_mutex_lock(&last_lock);
		snprintf(last_error, sizeof(last_error), "%.*s", (int)len,
			 line);
		pthread_mutex_unlock(&last_lock);
	} else if (len > 2 && line[0] == '[' &&
		   (close = memchr(line, ']', len < 64 ? len : 64)) &&
		   close[1] == ' ') {
		snprintf(stage, sizeof(stage), "%.*s", (int)(close - line - 1),
			 line + 1);
		len -= (size_t)(close + 2 - line);
		line = close + 2;
	} else if ((len >= 6 && memcmp(line, "usage:", 6) == 0) ||
		   (len >= 13 && memcmp(line, "run `bootpipe", 13) == 0)) {
		level = "error";
	}
	o = record(level, stage[0] ? stage : NULL, line, len);
	emit(real_stderr, o);
	json_decref(o);
}

static void pass_line(const char *line, size_t len)
{
	json_t *o;

	if (len == 0)
		return;
	if (line[0] == '{' && line[len - 1] == '}') {
		json_error_t err;

		o = json_loadb(line, len, 0, &err);
		if (o && json_is_object(o)) {
			json_t *level = json_object_get(o, "level");
			json_t *msg = json_object_get(o, "message");

			if (json_is_string(level) && json_is_string(msg) &&
			    strcmp(json_string_value(level), "error") == 0) {
				pthread_mutex_lock(&last_lock);
				snprintf(last_error, sizeof(last_error), "%s",
					 json_string_value(msg));
				pthread_mutex_unlock(&last_lock);
			}
			/* as written: one line, the writer's key order */
			write_all(real_stderr, line, len);
			write_all(real_stderr, "\n", 1);
			json_decref(o);
			return;
		}
		json_decref(o);
	}
	wrap(line, len);
}

static void *read_lines(void *arg)
{
	int fd = (int)(long)arg;
	char *buf = malloc(LINE_MAX_BYTES);
	size_t have = 0;
	ssize_t n;

	if (!buf)
		return NULL;
	for (;;) {
		n = read(fd, buf + have, LINE_MAX_BYTES - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		for (char *nl; (nl = memchr(buf, '\n', have));) {
			size_t len = (size_t)(nl - buf);

			pass_line(buf, len);
			have -= len + 1;
			memmove(buf, nl + 1, have);
		}
		if (have == LINE_MAX_BYTES) { /* a line too long: cut it */
			pass_line(buf, have);
			have = 0;
		}
	}
	pass_line(buf, have);
	free(buf);
	close(fd);
	return NULL;
}

int cli_jsonlog_start(void)
{
	int fds[2];

	fflush(stderr);
	if (pipe(fds) != 0)
		return -1;
	real_stderr = dup(STDERR_FILENO);
	if (real_stderr < 0 || dup2(fds[1], STDERR_FILENO) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	/* the read end stays out of QEMU and every other child */
	if (pthread_create(&reader, NULL, read_lines, (void *)(long)fds[0])) {
		dup2(real_stderr, STDERR_FILENO);
		close(fds[0]);
		return -1;
	}
	running = true;
	return 0;
}

static void drain(void)
{
	if (!running)
		return;
	running = false;
	fflush(stderr);
	/* the pipe's last write end closes: the reader sees EOF */
	dup2(real_stderr, STDERR_FILENO);
	pthread_join(reader, NULL);
}

void cli_jsonlog_end(int exit_code, const char *outcome, const char *message,
		     const char *reason)
{
	json_t *o;

	if (!running)
		return;
	drain();
	pthread_mutex_lock(&last_lock);
	if (!reason || !reason[0])
		reason = last_error;
	o = record(exit_code == 0 ? "info" : "error", NULL, message,
		   strlen(message));
	if (o) {
		json_object_set_new(o, "outcome", json_string(outcome));
		json_object_set_new(o, "exit_code", json_integer(exit_code));
		json_object_set_new(o, "reason", text(reason, strlen(reason)));
	}
	pthread_mutex_unlock(&last_lock);
	emit(STDERR_FILENO, o);
	json_decref(o);
}

void cli_jsonlog_stop(void)
{
	drain();
}
