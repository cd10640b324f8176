/* Unit tests for the TOML reader: the real config shapes, every value kind,
 * the redefinition rules and exact error positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <bootpipe/error.h>
#include <bootpipe/toml.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct bp_toml_doc *parse_ok(const char *text)
{
	struct bp_toml_doc *doc = NULL;
	char err[256];
	int rc = bp_toml_parse_buf(text, strlen(text), "t.toml", &doc, err,
				   sizeof(err));

	if (rc)
		fail_msg("unexpected parse failure: %s", err);
	assert_non_null(doc);
	return doc;
}

/* Asserts that @text is rejected with exactly @msg. */
static void parse_err(const char *text, const char *msg)
{
	struct bp_toml_doc *doc = (struct bp_toml_doc *)1;
	char err[256];
	int rc = bp_toml_parse_buf(text, strlen(text), "t.toml", &doc, err,
				   sizeof(err));

	assert_int_equal(rc, BP_ECONFIG);
	assert_null(doc);
	assert_string_equal(err, msg);
}

static const char axvisor_vm[] =
    "[base]\n"
    "id = 1\n"
    "name = \"linux-qemu\"\n"
    "vm_type = 1\n"
    "cpu_num = 1\n"
    "phys_cpu_ids = [0]\n"
    "[kernel]\n"
    "entry_point = 0x8020_0000\n"
    "image_location = \"fs\"\n"
    "kernel_path = \"/guest/linux/linux-qemu\"\n"
    "kernel_load_addr = 0x8020_0000\n"
    "dtb_path = \"/guest/linux/linux-qemu.dtb\"\n"
    "memory_regions = [\n"
    "    [0x8000_0000, 0x1000_0000, 0x7, 1], # System RAM\n"
    "]\n"
    "cmdline = \"earlycon=sbi console=ttyS0\"\n"
    "[devices]\n"
    "passthrough_devices = [[\"/\"]]\n"
    "emu_devices = [\n"
    "    # [\"plic\", 0x0c00_0000, 0x60_0000, 0, 0x30, [2]],\n"
    "    [\"plic\", 0x0c00_0000, 0x60_0000, 0, 0x30, [2]],\n"
    "]\n";

static void test_axvisor_vm_config(void **state)
{
	struct bp_toml_doc *doc = parse_ok(axvisor_vm);
	const struct bp_toml_node *root = bp_toml_root(doc), *n, *plic;
	const char *s;
	int64_t i;

	(void)state;
	assert_int_equal(bp_toml_len(root), 3);
	assert_string_equal(bp_toml_key_at(root, 0), "base");
	assert_string_equal(bp_toml_key_at(root, 1), "kernel");
	assert_string_equal(bp_toml_key_at(root, 2), "devices");
	assert_int_equal(bp_toml_get_int(root, "base.id", &i), 0);
	assert_int_equal(i, 1);
	assert_int_equal(bp_toml_get_str(root, "base.name", &s), 0);
	assert_string_equal(s, "linux-qemu");
	assert_int_equal(bp_toml_get_int(root, "kernel.entry_point", &i), 0);
	assert_int_equal(i, 0x80200000);
	assert_int_equal(bp_toml_get_str(root, "kernel.kernel_path", &s), 0);
	assert_string_equal(s, "/guest/linux/linux-qemu");

	n = bp_toml_get(root, "kernel.memory_regions");
	assert_int_equal(bp_toml_type(n), BP_TOML_ARRAY);
	assert_int_equal(bp_toml_len(n), 1);
	n = bp_toml_at(n, 0);
	assert_int_equal(bp_toml_len(n), 4);
	assert_true(bp_toml_as_int(bp_toml_at(n, 0), &i));
	assert_int_equal(i, 0x80000000);
	assert_true(bp_toml_as_int(bp_toml_at(n, 2), &i));
	assert_int_equal(i, 7);
	assert_int_equal(bp_toml_line(n), 14);
	assert_int_equal(bp_toml_column(n), 5);

	n = bp_toml_get(root, "devices.passthrough_devices");
	assert_true(bp_toml_as_str(bp_toml_at(bp_toml_at(n, 0), 0), &s, NULL));
	assert_string_equal(s, "/");

	/* The commented-out row is not an element. */
	n = bp_toml_get(root, "devices.emu_devices");
	assert_int_equal(bp_toml_len(n), 1);
	plic = bp_toml_at(n, 0);
	assert_int_equal(bp_toml_len(plic), 6);
	assert_true(bp_toml_as_str(bp_toml_at(plic, 0), &s, NULL));
	assert_string_equal(s, "plic");
	assert_true(bp_toml_as_int(bp_toml_at(plic, 1), &i));
	assert_int_equal(i, 0x0c000000);
	assert_true(bp_toml_as_int(bp_toml_at(bp_toml_at(plic, 5), 0), &i));
	assert_int_equal(i, 2);
	assert_int_equal(bp_toml_line(plic), 21);
	assert_int_equal(bp_toml_column(plic), 5);
	bp_toml_free(doc);
}

static void test_ostool_qemu_config(void **state)
{
	static const char text[] =
	    "args = [\"-nographic\", \"-cpu\", \"cortex-a72\",\n"
	    "        \"-machine\", \"virt,virtualization=on,gic-version=3\","
	    " \"-smp\", \"4\",\n"
	    "        \"-append\", \"root=/dev/vda rw init=/bin/sh\", "
	    "\"-m\", \"8g\"]\n"
	    "fail_regex = ['(?i)\\bpanic(?:ked)?\\b']\n"
	    "success_regex = [\"(?m)^guest test pass!\\\\s*$\"]\n"
	    "shell_init_cmd = \"pwd && echo 'guest test pass!'\"\n"
	    "to_bin = true\n"
	    "uefi = false\n"
	    "timeout = 180\n";
	struct bp_toml_doc *doc = parse_ok(text);
	const struct bp_toml_node *root = bp_toml_root(doc), *args;
	const char *s;
	bool b;

	(void)state;
	args = bp_toml_get(root, "args");
	assert_int_equal(bp_toml_len(args), 11);
	assert_true(bp_toml_as_str(bp_toml_at(args, 5), &s, NULL));
	assert_string_equal(s, "-smp");
	assert_true(bp_toml_as_str(bp_toml_at(args, 4), &s, NULL));
	assert_string_equal(s, "virt,virtualization=on,gic-version=3");
	assert_true(bp_toml_as_str(
	    bp_toml_at(bp_toml_get(root, "fail_regex"), 0), &s, NULL));
	assert_string_equal(s, "(?i)\\bpanic(?:ked)?\\b");
	assert_true(bp_toml_as_str(
	    bp_toml_at(bp_toml_get(root, "success_regex"), 0), &s, NULL));
	assert_string_equal(s, "(?m)^guest test pass!\\s*$");
	assert_int_equal(bp_toml_get_bool(root, "to_bin", &b), 0);
	assert_true(b);
	assert_int_equal(bp_toml_get_bool(root, "uefi", &b), 0);
	assert_false(b);
	assert_int_equal(bp_toml_get_str(root, "shell_prefix", &s), BP_ENOENT);
	assert_int_equal(bp_toml_get_str(root, "timeout", &s), BP_ETYPE);
	bp_toml_free(doc);
}

static void test_strings(void **state)
{
	static const char text[] =
	    "a = \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\U0001F600\"\n"
	    "b = 'C:\\path\\no\\escape'\n"
	    "c = \"\"\"\n"
	    "line one\n"
	    "line two \\\n"
	    "      continued\"\"\"\n"
	    "d = '''\n"
	    "raw \\n ''quoted'' '''\n"
	    "e = \"\"\"five quotes\"\"\"\"\"\n"
	    "f = \"nul\\u0000byte\"\n";
	struct bp_toml_doc *doc = parse_ok(text);
	const struct bp_toml_node *root = bp_toml_root(doc);
	const char *s;
	size_t len;

	(void)state;
	assert_int_equal(bp_toml_get_str(root, "a", &s), 0);
	assert_string_equal(s, "tab\there \"q\" \\ \xc3\xa9 \xf0\x9f\x98\x80");
	assert_int_equal(bp_toml_get_str(root, "b", &s), 0);
	assert_string_equal(s, "C:\\path\\no\\escape");
	assert_int_equal(bp_toml_get_str(root, "c", &s), 0);
	assert_string_equal(s, "line one\nline two continued");
	assert_int_equal(bp_toml_get_str(root, "d", &s), 0);
	assert_string_equal(s, "raw \\n ''quoted'' ");
	assert_int_equal(bp_toml_get_str(root, "e", &s), 0);
	assert_string_equal(s, "five quotes\"\"");
	assert_true(bp_toml_as_str(bp_toml_get(root, "f"), &s, &len));
	assert_int_equal(len, 8);
	assert_memory_equal(s, "nul\0byte", 8);
	/* Nodes after a multi-line string keep exact positions. */
	assert_int_equal(bp_toml_line(bp_toml_get(root, "d")), 7);
	assert_int_equal(bp_toml_column(bp_toml_get(root, "d")), 5);
	assert_int_equal(bp_toml_line(bp_toml_get(root, "e")), 9);
	bp_toml_free(doc);
}

static void test_numbers(void **state)
{
	static const char text[] = "dec = -1_000\n"
				   "max = 9223372036854775807\n"
				   "min = -9223372036854775808\n"
				   "hex = 0xDEAD_beef\n"
				   "oct = 0o755\n"
				   "bin = 0b1101\n"
				   "pi = 3.141_5\n"
				   "exp = -2E-2\n"
				   "big = 6.626e-34\n"
				   "pinf = +inf\n"
				   "ninf = -inf\n"
				   "nan = nan\n"
				   "zero = -0.0\n";
	struct bp_toml_doc *doc = parse_ok(text);
	const struct bp_toml_node *root = bp_toml_root(doc);
	int64_t i;
	double d;

	(void)state;
	assert_int_equal(bp_toml_get_int(root, "dec", &i), 0);
	assert_int_equal(i, -1000);
	assert_int_equal(bp_toml_get_int(root, "max", &i), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(bp_toml_get_int(root, "min", &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(bp_toml_get_int(root, "hex", &i), 0);
	assert_int_equal(i, 0xdeadbeef);
	assert_int_equal(bp_toml_get_int(root, "oct", &i), 0);
	assert_int_equal(i, 0755);
	assert_int_equal(bp_toml_get_int(root, "bin", &i), 0);
	assert_int_equal(i, 13);
	assert_int_equal(bp_toml_get_float(root, "pi", &d), 0);
	assert_true(d == 3.1415);
	assert_int_equal(bp_toml_get_float(root, "exp", &d), 0);
	assert_true(d == -0.02);
	assert_int_equal(bp_toml_get_float(root, "big", &d), 0);
	assert_true(d == 6.626e-34);
	assert_int_equal(bp_toml_get_float(root, "pinf", &d), 0);
	assert_true(isinf(d) && d > 0);
	assert_int_equal(bp_toml_get_float(root, "ninf", &d), 0);
	assert_true(isinf(d) && d < 0);
	assert_int_equal(bp_toml_get_float(root, "nan", &d), 0);
	assert_true(isnan(d));
	assert_int_equal(bp_toml_get_float(root, "zero", &d), 0);
	assert_true(d == 0 && signbit(d));
	/* Integers are not floats and the other way round. */
	assert_int_equal(bp_toml_get_float(root, "dec", &d), BP_ETYPE);
	assert_int_equal(bp_toml_get_int(root, "pi", &i), BP_ETYPE);
	bp_toml_free(doc);
}

static void test_datetimes(void **state)
{
	static const char text[] = "odt = 1979-05-27 07:32:00.5-07:00\n"
				   "utc = 1979-05-27t07:32:00z\n"
				   "ldt = 1979-05-27T07:32:00\n"
				   "ld = 2024-02-29\n"
				   "lt = 23:59:60.999\n";
	struct bp_toml_doc *doc = parse_ok(text);
	const struct bp_toml_node *root = bp_toml_root(doc), *n;
	const char *s;

	(void)state;
	n = bp_toml_get(root, "odt");
	assert_int_equal(bp_toml_type(n), BP_TOML_DATETIME);
	assert_true(bp_toml_as_str(n, &s, NULL));
	assert_string_equal(s, "1979-05-27T07:32:00.5-07:00");
	n = bp_toml_get(root, "utc");
	assert_true(bp_toml_as_str(n, &s, NULL));
	assert_string_equal(s, "1979-05-27T07:32:00Z");
	n = bp_toml_get(root, "ldt");
	assert_int_equal(bp_toml_type(n), BP_TOML_DATETIME_LOCAL);
	n = bp_toml_get(root, "ld");
	assert_int_equal(bp_toml_type(n), BP_TOML_DATE_LOCAL);
	assert_true(bp_toml_as_str(n, &s, NULL));
	assert_string_equal(s, "2024-02-29");
	n = bp_toml_get(root, "lt");
	assert_int_equal(bp_toml_type(n), BP_TOML_TIME_LOCAL);
	assert_string_equal(bp_toml_type_name(bp_toml_type(n)), "time-local");
	/* A datetime is not a string for the typed lookup. */
	assert_int_equal(bp_toml_get_str(root, "ld", &s), BP_ETYPE);
	bp_toml_free(doc);
}

static void test_tables_and_keys(void **state)
{
	static const char text[] = "top = 1\n"
				   "site.\"google.com\" = true\n"
				   "a . b . c = 2\n"
				   "inline = { x = 1, y.z = 'w' }\n"
				   "[fruit]\n"
				   "apple.color = \"red\"\n"
				   "[fruit.apple.texture]\n"
				   "smooth = true\n"
				   "[[products]]\n"
				   "name = \"Hammer\"\n"
				   "[[products]]\n"
				   "[[products]]\n"
				   "name = \"Nail\"\n"
				   "[[products.parts]]\n"
				   "n = 1\n"
				   "[x.y.z]\n"
				   "[x]\n"
				   "k = 3\n";
	struct bp_toml_doc *doc = parse_ok(text);
	const struct bp_toml_node *root = bp_toml_root(doc), *n;
	const char *s;
	int64_t i;
	bool b;

	(void)state;
	assert_int_equal(bp_toml_len(bp_toml_get(root, "site")), 1);
	assert_string_equal(bp_toml_key_at(bp_toml_get(root, "site"), 0),
			    "google.com");
	assert_true(bp_toml_as_bool(
	    bp_toml_value_at(bp_toml_get(root, "site"), 0), &b));
	assert_int_equal(bp_toml_get_int(root, "a.b.c", &i), 0);
	assert_int_equal(i, 2);
	assert_int_equal(bp_toml_get_str(root, "inline.y.z", &s), 0);
	assert_string_equal(s, "w");
	assert_int_equal(bp_toml_get_str(root, "fruit.apple.color", &s), 0);
	assert_int_equal(
	    bp_toml_get_bool(root, "fruit.apple.texture.smooth", &b), 0);
	n = bp_toml_get(root, "products");
	assert_int_equal(bp_toml_type(n), BP_TOML_ARRAY);
	assert_int_equal(bp_toml_len(n), 3);
	assert_int_equal(bp_toml_len(bp_toml_at(n, 1)), 0);
	assert_int_equal(bp_toml_line(bp_toml_at(n, 2)), 12);
	assert_int_equal(bp_toml_get_str(bp_toml_at(n, 2), "name", &s), 0);
	assert_string_equal(s, "Nail");
	assert_int_equal(bp_toml_len(bp_toml_get(bp_toml_at(n, 2), "parts")),
			 1);
	assert_int_equal(bp_toml_get_int(root, "x.k", &i), 0);
	assert_int_equal(bp_toml_get_int(root, "x.y", &i), BP_ETYPE);
	/* Dotted lookups: absent parts, scalars in the middle, empty parts. */
	assert_null(bp_toml_get(root, "top.x"));
	assert_null(bp_toml_get(root, "a..b"));
	assert_null(bp_toml_get(root, "nope"));
	assert_null(bp_toml_get(NULL, "top"));
	assert_null(bp_toml_key_at(root, 99));
	assert_null(bp_toml_at(root, 0));
	bp_toml_free(doc);
}

/* A table big enough to use the hash index, looked up key by key. */
static void test_large_table(void **state)
{
	size_t cap = 64 * 1024, len = 0;
	char *text = malloc(cap), err[256], key[32];
	struct bp_toml_doc *doc;
	int64_t v;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < 2000; i++)
		len += (size_t)snprintf(text + len, cap - len, "k%d = %d\n", i,
					i * 3);
	assert_int_equal(
	    bp_toml_parse_buf(text, len, "big", &doc, err, sizeof(err)), 0);
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(bp_toml_get_int(bp_toml_root(doc), key, &v),
				 0);
		assert_int_equal(v, i * 3);
	}
	assert_int_equal(bp_toml_len(bp_toml_root(doc)), 2000);
	bp_toml_free(doc);
	/* ... and a duplicate is found through the index too. */
	len += (size_t)snprintf(text + len, cap - len, "k1234 = 0\n");
	assert_int_equal(
	    bp_toml_parse_buf(text, len, "big", &doc, err, sizeof(err)),
	    BP_ECONFIG);
	assert_string_equal(err, "big:2001:1: duplicate key 'k1234' (first "
				 "defined at 1235:9)");
	free(text);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	parse_err("a = 1\nb = \n", "t.toml:2:5: expected a value, found end "
				   "of line");
	parse_err("a = 1\nb 2\n", "t.toml:2:3: expected '=' after key 'b', "
				  "found '2'");
	parse_err("x = [1, 2\ny = 3\n",
		  "t.toml:2:1: expected ',' or ']' after an array element, "
		  "found 'y'");
	parse_err("x = [1,,2]", "t.toml:1:8: expected a value, found ','");
	parse_err("s = \"abc\n", "t.toml:1:9: expected closing \" of the "
				 "string opened at column 5");
	parse_err("s = \"\\q\"", "t.toml:1:6: invalid escape sequence '\\q'; "
				 "expected one of \\b \\t \\n \\f \\r \\\" "
				 "\\\\ \\uXXXX \\UXXXXXXXX");
	parse_err("s = \"\\uD800\"", "t.toml:1:6: escape '\\u' is not a "
				     "Unicode scalar value (U+D800)");
	parse_err("t = {a = 1,}", "t.toml:1:12: expected a key, found '}'");
	parse_err("t = {a = 1\n}", "t.toml:1:11: expected ',' or '}' in an "
				   "inline table, found end of line");
	parse_err("a = 1 b = 2", "t.toml:1:7: expected end of line after the "
				 "value, found 'b'");
	parse_err("[tbl\n", "t.toml:1:5: expected ']' to close the table "
			    "header, found end of line");
	parse_err("[[aot]\n", "t.toml:1:6: expected ']]' to close the table "
			      "header, found ']'");
	parse_err("a = \"\"\"\nno end", "t.toml:2:7: expected closing \"\"\" "
					"of the multi-line string opened "
					"at 1:5");
	parse_err("a = 1 # bell\x07\n", "t.toml:1:13: control character "
					"U+0007 in comment");
	parse_err("a = 'x\x7fy'", "t.toml:1:7: control character U+007F in "
				  "string");
	parse_err("a = 1\r\n\rb = 2", "t.toml:2:1: carriage return not "
				      "followed by a line feed");
}

static void test_number_errors(void **state)
{
	(void)state;
	parse_err("n = 9223372036854775808",
		  "t.toml:1:5: integer does not fit in 64 bits");
	parse_err("n = -9223372036854775809",
		  "t.toml:1:5: integer does not fit in 64 bits");
	parse_err("n = 0x8000_0000_0000_0000",
		  "t.toml:1:5: integer does not fit in 64 bits");
	parse_err("n = 1__0", "t.toml:1:6: '_' in a number must be between "
			      "two digits");
	parse_err("n = 0x_1", "t.toml:1:7: '_' in a number must be between "
			      "two digits");
	parse_err("n = 007", "t.toml:1:5: leading zeros are not allowed in a "
			     "number");
	parse_err("n = 1.", "t.toml:1:7: expected a digit after '.'");
	parse_err("n = 1e999", "t.toml:1:5: float does not fit in a double");
	parse_err("n = 0xg", "t.toml:1:7: expected hexadecimal digits after "
			     "'0x'");
	parse_err("d = 2023-02-29", "t.toml:1:5: date 2023-02-29 does not "
				    "exist");
	parse_err("d = 24:00:00", "t.toml:1:5: time 24:00:00 is out of range");
	parse_err("d = 1979-05-27T07:32", "t.toml:1:16: expected a time as "
					  "HH:MM:SS");
}

static void test_redefinitions(void **state)
{
	(void)state;
	parse_err("a = 1\na = 2", "t.toml:2:1: duplicate key 'a' (first "
				  "defined at 1:5)");
	parse_err("[a]\nx = 1\n[a]\n", "t.toml:3:1: table [a] is already "
				       "defined at 1:1");
	parse_err("[fruit]\napple.color = 'red'\n[fruit.apple]\n",
		  "t.toml:3:1: table [fruit.apple] is already defined at 2:1 "
		  "by dotted keys");
	parse_err("a = {x = 1}\n[a]\n", "t.toml:2:1: table [a] is already "
					"defined at 1:5 as an inline table");
	parse_err("a = {x = 1}\na.y = 2\n",
		  "t.toml:2:1: cannot add keys under 'a': it is already "
		  "defined as a table at 1:5");
	parse_err("a = {x = 1}\n[a.b]\n",
		  "t.toml:2:2: cannot define a table under 'a': it is an "
		  "inline table defined at 1:5");
	parse_err("a = [1]\n[[a]]\n", "t.toml:2:1: cannot append to [[a]]: "
				      "it is already defined at 1:5 as an "
				      "array");
	parse_err("[[a]]\n[a]\n", "t.toml:2:1: table [a] is already defined "
				  "at 1:1 as a value");
	parse_err("[a.b]\nc = 1\n[a]\nb.d = 2\n",
		  "t.toml:4:1: cannot add keys under 'b': it is already "
		  "defined as a table at 1:1");
	parse_err("a.b = 1\na.b.c = 2\n", "t.toml:2:3: cannot add keys under "
					  "'a.b': it is already defined as "
					  "integer at 1:7");
}

static void test_hostile_input(void **state)
{
	char deep[600], err[256];
	struct bp_toml_doc *doc;
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(deep, sizeof(deep), "a = ");
	for (int i = 0; i < 200; i++)
		deep[n++] = '[';
	assert_int_equal(
	    bp_toml_parse_buf(deep, n, "t.toml", &doc, err, sizeof(err)),
	    BP_ECONFIG);
	assert_string_equal(err, "t.toml:1:133: nesting deeper than 128 "
				 "levels");
	/* Overlong encoding, surrogate, and a truncated sequence. */
	parse_err("a = \"\xc0\xaf\"", "t.toml:1:6: invalid UTF-8 byte 0xc0");
	parse_err("a = \"\xed\xa0\x80\"", "t.toml:1:6: invalid UTF-8 byte "
					  "0xed");
	parse_err("a = \"\xe2\x82", "t.toml:1:6: invalid UTF-8 byte 0xe2");
	assert_int_equal(bp_toml_parse_buf("a = \"x\0\"", 8, "t.toml", &doc,
					   err, sizeof(err)),
			 BP_ECONFIG);
	assert_string_equal(err, "t.toml:1:7: control character U+0000 in "
				 "string");
	/* An empty document and a BOM are fine. */
	doc = parse_ok("");
	assert_int_equal(bp_toml_len(bp_toml_root(doc)), 0);
	bp_toml_free(doc);
	doc = parse_ok("\xef\xbb\xbf"
		       "a = 1");
	assert_int_equal(bp_toml_column(bp_toml_get(bp_toml_root(doc), "a")),
			 5);
	bp_toml_free(doc);
}

static void test_parse_file(void **state)
{
	char path[] = "/tmp/bp-toml-XXXXXX", err[512], want[600];
	struct bp_toml_doc *doc;
	const char *s;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(axvisor_vm, f);
	fputs("oops\n", f);
	fclose(f);
	assert_int_equal(bp_toml_parse_file(path, &doc, err, sizeof(err)),
			 BP_ECONFIG);
	snprintf(want, sizeof(want),
		 "%s:23:5: expected '=' after key 'oops', found end of line",
		 path);
	assert_string_equal(err, want);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(axvisor_vm, f);
	fclose(f);
	assert_int_equal(bp_toml_parse_file(path, &doc, err, sizeof(err)), 0);
	assert_int_equal(
	    bp_toml_get_str(bp_toml_root(doc), "kernel.dtb_path", &s), 0);
	assert_string_equal(s, "/guest/linux/linux-qemu.dtb");
	bp_toml_free(doc);
	unlink(path);
	assert_int_equal(bp_toml_parse_file(path, &doc, err, sizeof(err)),
			 BP_EIO);
	snprintf(want, sizeof(want),
		 "cannot open TOML file %s: No such file or directory", path);
	assert_string_equal(err, want);
	assert_null(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_axvisor_vm_config),
	    cmocka_unit_test(test_ostool_qemu_config),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_datetimes),
	    cmocka_unit_test(test_tables_and_keys),
	    cmocka_unit_test(test_large_table),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_number_errors),
	    cmocka_unit_test(test_redefinitions),
	    cmocka_unit_test(test_hostile_input),
	    cmocka_unit_test(test_parse_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
