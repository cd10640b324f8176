/* The launch stage's console matcher: verdict order, line numbers, partial
 * lines, chunking, ANSI escapes, bounded memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "matcher.h"
#include "pattern.h"

#define AXVISOR_SUCCESS "(?m)^guest test pass!\\s*$"

static struct matcher *make(const char *const *fail, const char *const *succ)
{
	struct matcher *m = matcher_new();
	char err[512];

	assert_non_null(m);
	for (; fail && *fail; fail++)
		assert_int_equal(
		    matcher_add(m, MATCHER_FAIL, *fail, err, sizeof(err)), 0);
	for (; succ && *succ; succ++)
		assert_int_equal(
		    matcher_add(m, MATCHER_SUCCESS, *succ, err, sizeof(err)),
		    0);
	return m;
}

static struct matcher *axvisor(void)
{
	static const char *const fail[] = {"(?i)\\bpanic(?:ked)?\\b",
					   "(?i)kernel panic",
					   "(?i)login incorrect", NULL};
	static const char *const succ[] = {AXVISOR_SUCCESS, NULL};

	return make(fail, succ);
}

static void feed_str(struct matcher *m, const char *s)
{
	matcher_feed(m, s, strlen(s));
}

static void test_fail_wins_on_one_line(void **unused)
{
	static const char *const fail[] = {"(?i)kernel panic", NULL};
	static const char *const succ[] = {"~ #", NULL};
	struct matcher *m = make(fail, succ);
	const struct matcher_hit *hit;

	(void)unused;
	/* success is listed first in the stream of patterns and in the line;
	 * the fail pattern still wins */
	feed_str(m, "boot\n~ # echo Kernel panic\nmore\n");
	hit = matcher_verdict(m);
	assert_non_null(hit);
	assert_int_equal(hit->kind, MATCHER_FAIL);
	assert_int_equal(hit->line, 2);
	assert_string_equal(hit->pattern, "(?i)kernel panic");
	assert_string_equal(hit->excerpt, "~ # echo Kernel panic");
	matcher_free(m);

	/* the same on a line without its newline yet */
	m = make(fail, succ);
	feed_str(m, "boot\n~ # echo Kernel panic");
	hit = matcher_verdict(m);
	assert_non_null(hit);
	assert_int_equal(hit->kind, MATCHER_FAIL);
	assert_true(hit->partial);
	matcher_free(m);
}

static void test_first_line_wins(void **unused)
{
	struct matcher *m = axvisor();
	const struct matcher_hit *hit;

	(void)unused;
	feed_str(m, "a\nguest test pass!\r\nKernel panic - not syncing\n");
	hit = matcher_verdict(m);
	assert_non_null(hit);
	assert_int_equal(hit->kind, MATCHER_SUCCESS);
	assert_int_equal(hit->line, 2);
	assert_string_equal(hit->excerpt, "guest test pass!");
	/* the verdict stands whatever follows */
	feed_str(m, "panic\n");
	assert_int_equal(matcher_verdict(m)->kind, MATCHER_SUCCESS);
	matcher_free(m);
}

static void test_success_without_newline(void **unused)
{
	static const char *const succ[] = {"~ #", NULL};
	struct matcher *m = make(NULL, succ);
	const struct matcher_hit *hit;

	(void)unused;
	assert_false(matcher_feed(m, "Welcome\nlogin ok\n~ ", 19));
	assert_true(matcher_feed(m, "# ", 2));
	hit = matcher_verdict(m);
	assert_non_null(hit);
	assert_int_equal(hit->line, 3);
	assert_true(hit->partial);
	matcher_free(m);
}

static void test_success_split_across_reads(void **unused)
{
	struct matcher *m = axvisor();
	const struct matcher_hit *hit;

	(void)unused;
	assert_false(matcher_feed(m, "x\ny\nguest te", 12));
	assert_false(matcher_feed(m, "st pa", 5));
	/* "guest test pass!" with nothing after it already satisfies `$` */
	assert_true(matcher_feed(m, "ss!\r\nz\n", 7));
	hit = matcher_verdict(m);
	assert_int_equal(hit->kind, MATCHER_SUCCESS);
	assert_int_equal(hit->line, 3);
	matcher_free(m);
}

static void test_no_match_in_middle_of_line(void **unused)
{
	struct matcher *m = axvisor();

	(void)unused;
	/* `^` anchors at the line start, also when searched as a block */
	feed_str(m, "say guest test pass!\nguest test pass! not\n");
	assert_null(matcher_verdict(m));
	assert_int_equal(matcher_lines(m), 2);
	matcher_free(m);
}

static void test_ansi_escapes(void **unused)
{
	struct matcher *m = axvisor();
	const struct matcher_hit *hit;

	(void)unused;
	feed_str(m, "\x1b[1;34m[INFO]\x1b[0m booting\n"
		    "\x1b[32mguest test pass!\x1b[0m\r\n");
	hit = matcher_verdict(m);
	assert_non_null(hit);
	assert_int_equal(hit->kind, MATCHER_SUCCESS);
	assert_int_equal(hit->line, 2);
	assert_true(hit->stripped);
	assert_string_equal(hit->excerpt, "guest test pass!");
	matcher_free(m);

	/* a coloured fail word beats a plain success on the same line */
	m = axvisor();
	feed_str(m, "guest test pass! \x1b[31mker\x1b[0mnel panic\n");
	hit = matcher_verdict(m);
	assert_non_null(hit);
	assert_int_equal(hit->kind, MATCHER_FAIL);
	matcher_free(m);

	/* and in a partial line */
	m = axvisor();
	feed_str(m, "\x1b[32mguest test pass!\x1b[0m");
	hit = matcher_verdict(m);
	assert_non_null(hit);
	assert_true(hit->partial);
	matcher_free(m);
}

static void test_line_only_patterns(void **unused)
{
	static const char *const fail[] = {"(?<!no )panic", "\\Aboom", NULL};
	struct matcher *m = make(fail, NULL);
	const struct matcher_hit *hit;

	(void)unused;
	feed_str(m, "no panic here\nall fine\nboom at start\n");
	hit = matcher_verdict(m);
	assert_non_null(hit);
	assert_int_equal(hit->line, 3);
	assert_int_equal(hit->index, 1);
	matcher_free(m);
}

/* Every split of the same text into two reads gives the same verdict. */
static void test_chunking_invariance(void **unused)
{
	static const char text[] =
	    "[ 0.1] boot\r\n\x1b[0mx\n\nlogin: root\n~ # echo "
	    "hi\nguest test pass! \nok\nKernel panic\n";
	static const char *const fail[] = {"(?i)kernel panic", NULL};
	static const char *const succ[] = {AXVISOR_SUCCESS, "^ok$", NULL};
	size_t len = sizeof(text) - 1;

	(void)unused;
	for (size_t cut = 0; cut <= len; cut++) {
		struct matcher *m = make(fail, succ);
		const struct matcher_hit *hit;

		matcher_feed(m, text, cut);
		matcher_feed(m, text + cut, len - cut);
		matcher_finish(m);
		hit = matcher_verdict(m);
		assert_non_null(hit);
		assert_int_equal(hit->kind, MATCHER_SUCCESS);
		assert_int_equal(hit->index, 0);
		assert_int_equal(hit->line, 6);
		matcher_free(m);
	}
}

static long max_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void test_bounded_memory_on_long_line(void **unused)
{
	static const char *const fail[] = {"(?i)kernel panic", "^xyz", NULL};
	struct matcher *m = make(fail, NULL);
	char chunk[4096];
	long before;
	const struct matcher_hit *hit;

	(void)unused;
	memset(chunk, 'x', sizeof(chunk));
	before = max_rss_kb();
	/* a 10 MB line in 4 KiB reads: the carried line stays capped */
	for (int i = 0; i < 10 * 256; i++)
		assert_false(matcher_feed(m, chunk, sizeof(chunk)));
	/* the kept tail now begins with "xyz", which is not the start of
	 * the line: the cut line is matched with `^` disabled */
	{
		char *tail = malloc(MATCHER_LINE_CAP / 2);

		assert_non_null(tail);
		memset(tail, 'a', MATCHER_LINE_CAP / 2);
		memcpy(tail, "xyz", 3);
		assert_false(matcher_feed(m, tail, MATCHER_LINE_CAP / 2));
		free(tail);
	}
	assert_true(matcher_feed(m, " kernel panic\n", 14));
	hit = matcher_verdict(m);
	assert_int_equal(hit->line, 1);
	assert_int_equal(hit->index, 0);
	assert_true(strlen(hit->excerpt) < MATCHER_EXCERPT_MAX + 8);
	assert_true(max_rss_kb() - before < 2048);
	matcher_free(m);
}

static void test_long_line_in_one_read(void **unused)
{
	static const char *const succ[] = {"done$", NULL};
	struct matcher *m = make(NULL, succ);
	size_t n = 10u << 20;
	char *big = malloc(n + 8);

	(void)unused;
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big + n, "done\nx\n", 7);
	assert_true(matcher_feed(m, big, n + 7));
	assert_int_equal(matcher_verdict(m)->line, 1);
	free(big);
	matcher_free(m);
}

/* Feeds @s one byte per call, as a console that writes a byte at a time. */
static void feed_bytes(struct matcher *m, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		matcher_feed(m, s + i, 1);
}

/* A long line that arrives one byte per read costs work in proportion to
 * its length: it is never rescanned whole per byte. */
static void test_byte_at_a_time_is_linear(void **unused)
{
	static const size_t sizes[] = {64u * 1024u, 200u * 1024u};

	(void)unused;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct matcher *m = axvisor();
		size_t n = sizes[k];
		size_t npats = matcher_count(m, MATCHER_FAIL) +
			       matcher_count(m, MATCHER_SUCCESS);
		char *line = malloc(n);

		assert_non_null(line);
		memset(line, 'x', n);
		feed_bytes(m, line, n);
		assert_false(matcher_feed(m, "\n", 1));
		/* rescanning per byte would be n * n / 2 per pattern */
		assert_true(matcher_scanned(m) < 4 * n * npats);
		assert_int_equal(matcher_lines(m), 1);
		free(line);
		matcher_free(m);
	}
}

/* The newest bytes of a long unterminated line are matched by
 * matcher_flush() (the supervisor calls it when output pauses), with fail
 * patterns still first; matcher_finish() matches them too. */
static void test_prompt_after_long_line(void **unused)
{
	static const char *const fail[] = {"(?i)kernel panic", NULL};
	static const char *const succ[] = {"~ #", NULL};
	char line[8192];
	struct matcher *m = make(fail, succ);
	const struct matcher_hit *hit;

	(void)unused;
	memset(line, '=', sizeof(line));
	feed_bytes(m, line, sizeof(line));
	assert_false(matcher_pending(m) && matcher_flush(m));
	feed_bytes(m, "~ # ", 4);
	assert_true(matcher_pending(m));
	assert_true(matcher_flush(m));
	hit = matcher_verdict(m);
	assert_int_equal(hit->kind, MATCHER_SUCCESS);
	assert_true(hit->partial);
	assert_int_equal(hit->line, 1);
	assert_false(matcher_pending(m));

	matcher_reset(m);
	feed_bytes(m, line, sizeof(line));
	feed_bytes(m, "~ # Kernel panic", 16);
	assert_true(matcher_flush(m));
	assert_int_equal(matcher_verdict(m)->kind, MATCHER_FAIL);

	matcher_reset(m);
	feed_bytes(m, line, sizeof(line));
	feed_bytes(m, "~ # ", 4);
	assert_true(matcher_finish(m));
	assert_int_equal(matcher_verdict(m)->kind, MATCHER_SUCCESS);
	assert_int_equal(matcher_lines(m), 1);
	matcher_free(m);
}

static void test_reset(void **unused)
{
	struct matcher *m = axvisor();

	(void)unused;
	feed_str(m, "a\npanic\n");
	assert_non_null(matcher_verdict(m));
	matcher_reset(m);
	assert_null(matcher_verdict(m));
	feed_str(m, "guest test pass!\n");
	assert_int_equal(matcher_verdict(m)->kind, MATCHER_SUCCESS);
	assert_int_equal(matcher_verdict(m)->line, 1);
	matcher_free(m);
}

static void test_bad_pattern(void **unused)
{
	struct matcher *m = matcher_new();
	char err[512];

	(void)unused;
	assert_int_equal(
	    matcher_add(m, MATCHER_FAIL, "(?i)kernel (panic", err, sizeof(err)),
	    -3 /* BP_ECONFIG */);
	assert_non_null(strstr(err, "\"(?i)kernel (panic\""));
	assert_non_null(strstr(err, "at offset 17"));
	assert_int_equal(matcher_count(m, MATCHER_FAIL), 0);
	matcher_free(m);
}

/* What patch-qemu refuses at load time, launch refuses the same way, and
 * what one accepts the other does too. */
static void test_check_agrees_with_matcher(void **unused)
{
	static const char *const patterns[] = {
	    "(?i)kernel (panic",
	    "a{2,1}",
	    "[z-a]",
	    "\\",
	    "(?<x>a)(?<x>b)",
	    "^Hello, world!$",
	    "(?m)^PASS\\s*$",
	    "(?i)panic|oops",
	};
	char check_err[512], add_err[512];

	(void)unused;
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		struct matcher *m = matcher_new();
		int check, add;

		check_err[0] = add_err[0] = '\0';
		check =
		    pattern_check(patterns[i], check_err, sizeof(check_err));
		add = matcher_add(m, MATCHER_SUCCESS, patterns[i], add_err,
				  sizeof(add_err));
		assert_int_equal(check, add);
		assert_string_equal(check_err, add_err);
		matcher_free(m);
	}
}

static void test_verdict_names_whole_line(void **unused)
{
	struct matcher *m = axvisor();
	const struct matcher_hit *hit;

	(void)unused;
	assert_true(matcher_feed(m, "boot\n[ 1.5] Kernel panic", 24));
	assert_false(matcher_verdict_complete(m));
	assert_string_equal(matcher_verdict(m)->excerpt, "[ 1.5] Kernel panic");
	assert_true(matcher_feed(m, " - not syncing", 14));
	assert_false(matcher_verdict_complete(m));
	assert_true(matcher_feed(m, ": VFS\r\nnext line\n", 18));
	assert_true(matcher_verdict_complete(m));
	hit = matcher_verdict(m);
	assert_int_equal(hit->line, 2);
	assert_string_equal(hit->excerpt,
			    "[ 1.5] Kernel panic - not syncing: VFS");
	/* the line after it is not part of it */
	matcher_feed(m, "more\n", 5);
	assert_string_equal(hit->excerpt,
			    "[ 1.5] Kernel panic - not syncing: VFS");
	matcher_free(m);

	/* the end of the stream ends the line too */
	m = axvisor();
	feed_str(m, "Kernel panic");
	feed_str(m, " - at the end");
	assert_false(matcher_verdict_complete(m));
	matcher_finish(m);
	assert_true(matcher_verdict_complete(m));
	assert_string_equal(matcher_verdict(m)->excerpt,
			    "Kernel panic - at the end");
	matcher_free(m);
}

static void test_echo_is_skipped(void **unused)
{
	static const char *const succ[] = {"guest test pass!", NULL};
	static const char *const fail[] = {"(?i)\\bpanic(?:ked)?\\b", NULL};
	struct matcher *m = make(fail, succ);
	const struct matcher_hit *hit;

	(void)unused;
	feed_str(m, "boot\n~ # ");
	assert_int_equal(
	    matcher_expect_echo(m, "grep -c panic x; echo 'guest test pass!'"),
	    0);
	/* arriving a piece at a time, with the supervisor's flushes: a
	 * half-echoed command gives no verdict */
	feed_str(m, "grep -c pan");
	assert_false(matcher_flush(m));
	feed_str(m, "ic x; echo 'guest te");
	assert_false(matcher_flush(m));
	/* line editing colours and carriage returns do not hide it */
	feed_str(m, "st pass!'\r\x1b[K\r\n0\r\nguest test pass!\r\n");
	hit = matcher_verdict(m);
	assert_non_null(hit);
	assert_int_equal(hit->kind, MATCHER_SUCCESS);
	assert_int_equal(hit->line, 4);
	assert_int_equal(matcher_echo_skipped(m), 1);
	matcher_free(m);

	/* without the echo rule the echo line decides: the rule is what the
	 * test above checks */
	m = make(fail, succ);
	feed_str(m, "boot\n~ # grep -c panic x; echo 'guest test pass!'\r\n");
	assert_non_null(matcher_verdict(m));
	assert_int_equal(matcher_verdict(m)->kind, MATCHER_FAIL);
	matcher_free(m);

	/* only the first echo: the same text later is guest output */
	m = make(NULL, succ);
	matcher_expect_echo(m, "echo 'guest test pass!'");
	feed_str(m, "~ # echo 'guest test pass!'\r\n");
	assert_null(matcher_verdict(m));
	feed_str(m, "x echo 'guest test pass!'\n");
	assert_non_null(matcher_verdict(m));
	assert_int_equal(matcher_verdict(m)->line, 2);
	matcher_free(m);

	/* lines before the echo (a kernel message) are matched */
	m = make(fail, succ);
	matcher_expect_echo(m, "true");
	feed_str(m, "[ 3.1] kernel panic here\n~ # true\n");
	assert_non_null(matcher_verdict(m));
	assert_int_equal(matcher_verdict(m)->line, 1);
	matcher_free(m);
}

/* A typed line wider than the guest's terminal comes back wrapped: as
 * busybox's line editing prints it (a line break), and as a terminal that
 * wraps by itself does (a space the next character overwrites, then CR). */
static void test_wrapped_echo_is_skipped(void **unused)
{
	static const char *const succ[] = {"guest test pass!", NULL};
	static const char *const fail[] = {"(?i)\\bpanic(?:ked)?\\b", NULL};
	static const char typed[] =
	    "false && echo 'guest test pass!' "
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "000000 panic; echo done-$((6*7)); poweroff -f";
	/* the prompt, a cursor query, 76 columns of the line, the wrap */
	static const char wrapped[] =
	    "~ # \x1b[6nfalse && echo 'guest test pass!' "
	    "0000000000000000000000000000000000000000000\r\r\n"
	    "000000000000000000000000000 panic; echo done-$((6*7)); "
	    "poweroff -f\r\n";
	const char *styles[] = {
	    wrapped,
	    "~ # false && echo 'guest test pass!' "
	    "0000000000000000000000000000000000000000000 \r"
	    "000000000000000000000000000 panic; echo done-$((6*7)); "
	    "poweroff -f\r\n",
	};
	struct matcher *m;

	(void)unused;
	for (size_t k = 0; k < 2; k++) {
		m = make(fail, succ);
		feed_str(m, "boot\n");
		assert_int_equal(matcher_expect_echo(m, typed), 0);
		feed_str(m, styles[k]);
		assert_null(matcher_verdict(m));
		assert_false(matcher_flush(m));
		assert_int_equal(matcher_echo_skipped(m), 1);
		feed_str(m, "done-42\r\nguest test pass!\r\n");
		assert_non_null(matcher_verdict(m));
		assert_int_equal(matcher_verdict(m)->kind, MATCHER_SUCCESS);
		assert_int_equal(matcher_verdict(m)->line, k ? 4 : 5);
		matcher_free(m);
	}

	/* a byte at a time, flushed after each: no verdict from either half */
	m = make(fail, succ);
	matcher_expect_echo(m, typed);
	for (const char *p = wrapped; *p; p++) {
		matcher_feed(m, p, 1);
		assert_false(matcher_flush(m));
	}
	assert_int_equal(matcher_echo_skipped(m), 1);
	assert_false(matcher_finish(m));
	matcher_free(m);

	/* a real space where the line wraps is still the text's */
	m = make(fail, succ);
	matcher_expect_echo(m, "echo aaa bbb panic");
	feed_str(m, "~ # echo aaa \r\r\nbbb panic\r\n");
	assert_int_equal(matcher_echo_skipped(m), 1);
	feed_str(m, "aaa bbb panic\r\n");
	assert_non_null(matcher_verdict(m));
	assert_int_equal(matcher_verdict(m)->line, 3);
	matcher_free(m);
}

/* A second, longer echo needs more room to hold its wrapped lines than
 * the first one did. */
static void test_longer_second_echo(void **unused)
{
	static const char *const succ[] = {"guest test pass!", NULL};
	struct matcher *m = make(NULL, succ);
	char typed[4001];
	char wrapped[4 + 4000 + 50 * 3 + 1];
	size_t n = 0;

	(void)unused;
	memset(typed, 'x', sizeof(typed) - 1);
	typed[sizeof(typed) - 1] = '\0';
	/* the short echo holds a line, so the buffer exists */
	matcher_expect_echo(m, "run it");
	feed_str(m, "~ # run\r\n");
	feed_str(m, "~ # run it\r\n");
	assert_int_equal(matcher_echo_skipped(m), 1);
	assert_int_equal(matcher_expect_echo(m, typed), 0);
	/* the long one comes back wrapped at 80 columns */
	memcpy(wrapped, "~ # ", 4);
	n = 4;
	for (size_t off = 0; off < sizeof(typed) - 1; off += 80) {
		memcpy(wrapped + n, typed + off, 80);
		memcpy(wrapped + n + 80, "\r\r\n", 3);
		n += 83;
	}
	wrapped[n] = '\0';
	feed_str(m, wrapped);
	assert_int_equal(matcher_echo_skipped(m), 2);
	feed_str(m, "guest test pass!\r\n");
	assert_non_null(matcher_verdict(m));
	matcher_free(m);
}

/* A line that could begin a wrapped echo waits for the next one; when it
 * is not the echo it is matched, with its own line number. */
static void test_held_line_is_matched(void **unused)
{
	static const char *const fail[] = {"oops", NULL};
	struct matcher *m = make(fail, NULL);

	(void)unused;
	matcher_expect_echo(m, "run it");
	feed_str(m, "oops r\n");
	assert_null(matcher_verdict(m));
	feed_str(m, "x\n");
	assert_non_null(matcher_verdict(m));
	assert_int_equal(matcher_verdict(m)->line, 1);
	assert_string_equal(matcher_verdict(m)->excerpt, "oops r");
	matcher_free(m);

	/* the echo on the next line: the held line was not part of it */
	m = make(fail, NULL);
	matcher_expect_echo(m, "run it");
	feed_str(m, "oops r\n~ # run it\r\n");
	assert_non_null(matcher_verdict(m));
	assert_int_equal(matcher_verdict(m)->line, 1);
	matcher_free(m);

	/* or the stream ends */
	m = make(fail, NULL);
	matcher_expect_echo(m, "run it");
	feed_str(m, "oops r\n");
	assert_true(matcher_finish(m));
	assert_int_equal(matcher_verdict(m)->line, 1);
	matcher_free(m);
}

static void test_guest_without_echo(void **unused)
{
	static const char *const succ[] = {"~ # $", NULL};
	struct matcher *m = make(NULL, succ);
	char line[32];

	(void)unused;
	matcher_expect_echo(m, "run-the-tests");
	/* no echo: prompts are not matched until MATCHER_ECHO_LINES lines
	 * have gone by without it */
	for (int i = 1; i < MATCHER_ECHO_LINES; i++) {
		snprintf(line, sizeof(line), "out %d\n", i);
		feed_str(m, line);
	}
	feed_str(m, "~ # ");
	assert_false(matcher_flush(m));
	/* ended, that line is the last one the echo was awaited in, and is
	 * matched whole as any line */
	feed_str(m, "\n~ # ");
	assert_true(matcher_flush(m));
	assert_int_equal(matcher_verdict(m)->line, MATCHER_ECHO_LINES);
	assert_int_equal(matcher_echo_skipped(m), 0);
	/* a reset forgets the awaited echo */
	matcher_reset(m);
	feed_str(m, "~ # ");
	assert_true(matcher_flush(m));
	matcher_free(m);
}

static void test_literal_watch(void **unused)
{
	struct literal_watch *w = literal_watch_new("~ #");

	(void)unused;
	assert_false(literal_watch_feed(w, "abc ~", 5));
	assert_false(literal_watch_feed(w, " ", 1));
	assert_true(literal_watch_feed(w, "# ", 2));
	literal_watch_reset(w);
	assert_false(literal_watch_feed(w, "~", 1));
	assert_false(literal_watch_feed(w, " x#", 3));
	assert_true(literal_watch_feed(w, "zz ~ # ", 7));
	literal_watch_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fail_wins_on_one_line),
	    cmocka_unit_test(test_first_line_wins),
	    cmocka_unit_test(test_success_without_newline),
	    cmocka_unit_test(test_success_split_across_reads),
	    cmocka_unit_test(test_no_match_in_middle_of_line),
	    cmocka_unit_test(test_ansi_escapes),
	    cmocka_unit_test(test_line_only_patterns),
	    cmocka_unit_test(test_chunking_invariance),
	    cmocka_unit_test(test_bounded_memory_on_long_line),
	    cmocka_unit_test(test_long_line_in_one_read),
	    cmocka_unit_test(test_byte_at_a_time_is_linear),
	    cmocka_unit_test(test_prompt_after_long_line),
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_bad_pattern),
	    cmocka_unit_test(test_check_agrees_with_matcher),
	    cmocka_unit_test(test_verdict_names_whole_line),
	    cmocka_unit_test(test_echo_is_skipped),
	    cmocka_unit_test(test_wrapped_echo_is_skipped),
	    cmocka_unit_test(test_longer_second_echo),
	    cmocka_unit_test(test_held_line_is_matched),
	    cmocka_unit_test(test_guest_without_echo),
	    cmocka_unit_test(test_literal_watch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
