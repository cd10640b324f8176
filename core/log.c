/* Logging through the engine's sink, the two built-in sinks, and the
 * progress display for long transfers. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine_internal.h"
#include "rfc3339.h"
#include "utf8.h"

/* Seconds between progress lines when no bar can be drawn. */
#define PROGRESS_LINE_INTERVAL 5.0
#define PROGRESS_BAR_INTERVAL 0.1

const char *bp_log_level_name(enum bp_log_level level)
{
	switch (level) {
	case BP_LOG_ERROR:
		return "error";
	case BP_LOG_WARN:
		return "warn";
	case BP_LOG_INFO:
		return "info";
	case BP_LOG_DEBUG:
		return "debug";
	}
	return "unknown";
}

double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool use_colour(void)
{
	const char *no = getenv("NO_COLOR");

	return bp_term_escapes(STDERR_FILENO) && !(no && no[0]);
}

void bp_log_sink_text(void *user, enum bp_log_level level, const char *source,
		      const char *message)
{
	static const char *const colour[] = {"\033[1;31m", "\033[33m", "",
					     "\033[2m"};
	static const char *const word[] = {"error: ", "warning: ", "", ""};
	unsigned i = level <= BP_LOG_DEBUG ? (unsigned)level : BP_LOG_DEBUG;
	bool c = use_colour() && colour[i][0];

	(void)user;
	fprintf(stderr, "%s[%s] %s%s%s\n", c ? colour[i] : "", source, word[i],
		message, c ? "\033[0m" : "");
}

/* One object per line: time (RFC 3339, UTC, microseconds), level, stage
 * (null for the engine itself), message. */
void bp_log_sink_json(void *user, enum bp_log_level level, const char *source,
		      const char *message)
{
	char when[RFC3339_SIZE];
	json_t *o;
	char *line;

	(void)user;
	rfc3339_now(when, sizeof(when));
	o = json_pack("{s:s, s:s, s:o, s:o}", "time", when, "level",
		      bp_log_level_name(level), "stage",
		      source && strcmp(source, "bootpipe") != 0
			  ? json_text(source)
			  : json_null(),
		      "message", json_text(message));
	if (!o)
		return;
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line) {
		fprintf(stderr, "%s\n", line);
		free(line);
	}
	json_decref(o);
}

void engine_vlog(struct bp_engine *engine, enum bp_log_level level,
		 const char *source, const char *fmt, va_list ap)
{
	struct strbuf sb;

	if (level > engine->log_level)
		return;
	strbuf_init(&sb);
	strbuf_vaddf(&sb, fmt, ap);
	if (!sb.oom)
		engine->sink(engine->sink_user, level, source, sb.buf);
	strbuf_release(&sb);
}

void bp_engine_log(struct bp_engine *engine, enum bp_log_level level,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	engine_vlog(engine, level, "bootpipe", fmt, ap);
	va_end(ap);
}

void bp_log(struct bp_stage *self, enum bp_log_level level, const char *fmt,
	    ...)
{
	va_list ap;

	if (!self)
		return;
	if (self->progress.drawn && isatty(STDERR_FILENO))
		fputc('\n', stderr);
	self->progress.drawn = false;
	va_start(ap, fmt);
	engine_vlog(self->engine, level, self->name, fmt, ap);
	va_end(ap);
}

static void human_bytes(char *buf, size_t len, double bytes)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

static void progress_json(struct bp_stage *self, const char *what,
			  uint64_t done, uint64_t total, double rate)
{
	char when[RFC3339_SIZE];
	json_t *o;
	char *line;

	rfc3339_now(when, sizeof(when));
	o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:f}", "time", when,
		      "level", "info", "stage", self->name, "message",
		      json_text(what), "event", "progress", "done",
		      (json_int_t)done, "total", (json_int_t)total, "rate",
		      rate);
	line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	if (line)
		fprintf(stderr, "%s\n", line);
	free(line);
	json_decref(o);
}

void bp_progress(struct bp_stage *self, const char *what, uint64_t done,
		 uint64_t total)
{
	struct progress_state *p;
	char d[32], t[32], rbytes[32], r[48], eta[32] = "";
	/* a bar needs \033[K; a dumb terminal gets lines, as a file does */
	bool tty = bp_term_escapes(STDERR_FILENO);
	double now = monotonic_seconds();
	double rate;
	bool finished = total && done >= total;

	if (!self)
		return;
	p = &self->progress;
	if (p->started == 0) {
		p->started = now;
		p->last_draw = 0;
	}
	if (!finished && now - p->last_draw < (tty && !self->engine->log_json
						   ? PROGRESS_BAR_INTERVAL
						   : PROGRESS_LINE_INTERVAL))
		return;
	p->last_draw = now;
	rate = now > p->started ? (double)done / (now - p->started) : 0;
	if (self->engine->log_json) {
		progress_json(self, what, done, total, rate);
		return;
	}
	human_bytes(d, sizeof(d), (double)done);
	human_bytes(t, sizeof(t), (double)total);
	/* a rate measured over a few milliseconds says nothing */
	r[0] = '\0';
	if (now - p->started > 0.2) {
		human_bytes(rbytes, sizeof(rbytes), rate);
		snprintf(r, sizeof(r), "  %s/s", rbytes);
	}
	if (total && rate > 0 && !finished)
		snprintf(eta, sizeof(eta), "  ETA %.0fs",
			 (double)(total - done) / rate);
	if (tty) {
		int width = 24;
		int fill =
		    total ? (int)((double)done * width / (double)total) : 0;

		fprintf(stderr, "\r[%s] %s [%.*s%*s] %s / %s%s%s\033[K",
			self->name, what, fill, "########################",
			width - fill, "", d, total ? t : "?", r, eta);
		p->drawn = true;
		if (finished)
			bp_progress_end(self);
	} else {
		fprintf(stderr, "[%s] %s: %s / %s%s%s\n", self->name, what, d,
			total ? t : "?", r, eta);
	}
}

void bp_progress_end(struct bp_stage *self)
{
	if (!self)
		return;
	if (self->progress.drawn)
		fputc('\n', stderr);
	memset(&self->progress, 0, sizeof(self->progress));
}
