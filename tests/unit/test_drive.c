/* QEMU option lists: parse, print, round trip, ",," escapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "drive.h"

static char *round_trip(const char *text)
{
	struct drive_spec d;
	char *out = NULL;

	assert_int_equal(drive_spec_parse(text, &d), 0);
	assert_int_equal(drive_spec_print(&d, &out), 0);
	drive_spec_free(&d);
	return out;
}

static void parses_keys_in_any_order(void **state)
{
	struct drive_spec d;

	(void)state;
	assert_int_equal(drive_spec_parse("file=/a.img,format=raw,id=disk0,"
					  "if=none",
					  &d),
			 0);
	assert_int_equal(d.n, 4);
	assert_string_equal(drive_spec_get(&d, "id"), "disk0");
	assert_string_equal(drive_spec_get(&d, "file"), "/a.img");
	assert_null(drive_spec_get(&d, "snapshot"));
	drive_spec_free(&d);
}

static void double_comma_is_a_literal_comma(void **state)
{
	struct drive_spec d;
	char *out = NULL;

	(void)state;
	assert_int_equal(drive_spec_parse("id=disk0,file=/x/a,,b.img,"
					  "format=raw",
					  &d),
			 0);
	assert_int_equal(d.n, 3);
	assert_string_equal(drive_spec_get(&d, "file"), "/x/a,b.img");
	assert_int_equal(drive_spec_set(&d, "file", "/new,,/c,d.img"), 0);
	assert_int_equal(drive_spec_print(&d, &out), 0);
	assert_string_equal(out, "id=disk0,file=/new,,,,/c,,d.img,format=raw");
	free(out);
	drive_spec_free(&d);
}

static void bare_words_and_driver_names_survive(void **state)
{
	struct drive_spec d;
	char *out;

	(void)state;
	assert_int_equal(drive_spec_parse("virtio-blk-device,drive=disk0", &d),
			 0);
	assert_int_equal(d.n, 2);
	assert_null(d.opts[0].value);
	assert_string_equal(d.opts[0].key, "virtio-blk-device");
	assert_string_equal(drive_spec_get(&d, "drive"), "disk0");
	drive_spec_free(&d);
	out = round_trip("if=pflash,format=raw,readonly,file=/f.fd");
	assert_string_equal(out, "if=pflash,format=raw,readonly,file=/f.fd");
	free(out);
}

static void round_trip_keeps_text(void **state)
{
	const char *cases[] = {
	    "id=disk0,if=none,format=raw,file=/w/tmp/rootfs.img",
	    "id=disk0,file=a,,b,cache=unsafe,aio=threads",
	    "user,id=net0,hostfwd=tcp::5555-:22",
	    "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = round_trip(cases[i]);

		assert_string_equal(out, cases[i]);
		free(out);
	}
}

static void set_appends_and_unset_removes(void **state)
{
	struct drive_spec d;
	char *out;

	(void)state;
	assert_int_equal(drive_spec_parse("id=disk0,snapshot=on,if=none", &d),
			 0);
	assert_int_equal(drive_spec_set(&d, "file", "/r.img"), 0);
	drive_spec_unset(&d, "snapshot");
	assert_false(drive_spec_has(&d, "snapshot"));
	assert_int_equal(drive_spec_print(&d, &out), 0);
	assert_string_equal(out, "id=disk0,if=none,file=/r.img");
	free(out);
	drive_spec_free(&d);
	out = drive_escape("a,b");
	assert_string_equal(out, "a,,b");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_keys_in_any_order),
	    cmocka_unit_test(double_comma_is_a_literal_comma),
	    cmocka_unit_test(bare_words_and_driver_names_survive),
	    cmocka_unit_test(round_trip_keeps_text),
	    cmocka_unit_test(set_appends_and_unset_removes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
