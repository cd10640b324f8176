/* Text repair for the JSON and XML reports: what any byte string becomes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "utf8.h"

static char *xml_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	xml_text(f, s);
	fclose(f);
	return buf;
}

static void test_xml_markup_and_controls(void **state)
{
	char *x = xml_of("<a href=\"x\">&</a>\r\n\ttab\x01\x7f");

	(void)state;
	assert_string_equal(x, "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;\n"
			       "\ttab??");
	free(x);
}

/* Valid UTF-8 is kept whole (a guest's messages are often not ASCII);
 * invalid bytes, overlong forms and surrogates become U+FFFD. */
static void test_xml_utf8(void **state)
{
	char *x = xml_of("caf\xc3\xa9 \xe2\x9c\x93 \xff \xc0\xaf \xed\xa0\x80 "
			 "\xf0\x9f\x98\x80");

	(void)state;
	assert_string_equal(x, "caf\xc3\xa9 \xe2\x9c\x93 \xef\xbf\xbd "
			       "\xef\xbf\xbd\xef\xbf\xbd "
			       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
			       "\xf0\x9f\x98\x80");
	free(x);
	x = xml_of(NULL);
	assert_string_equal(x, "");
	free(x);
}

static void test_json_text_repairs(void **state)
{
	json_t *j = json_text("ok \xc3\xa9 \xff!");

	(void)state;
	assert_non_null(j);
	assert_string_equal(json_string_value(j), "ok \xc3\xa9 \xef\xbf\xbd!");
	json_decref(j);
	j = json_text(NULL);
	assert_true(json_is_null(j));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_xml_markup_and_controls),
	    cmocka_unit_test(test_xml_utf8),
	    cmocka_unit_test(test_json_text_repairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
