/* UTF-8 repair for JSON and XML output: jansson refuses invalid UTF-8,
 * XML readers refuse it and most control characters, and a path or a
 * guest's console line may hold any bytes. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "strbuf.h"
#include "utf8.h"

/* Length of the valid UTF-8 sequence at @s (1-4), or 0 when invalid. */
static size_t sequence_length(const unsigned char *s)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

json_t *json_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct strbuf sb;
	json_t *j;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	strbuf_init(&sb);
	while (*p) {
		size_t n = sequence_length(p);

		if (n) {
			strbuf_add(&sb, (const char *)p, n);
			p += n;
		} else {
			strbuf_adds(&sb, "\xef\xbf\xbd"); /* U+FFFD */
			p++;
		}
	}
	j = json_string(sb.buf ? sb.buf : "");
	strbuf_release(&sb);
	return j;
}

void xml_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (p && *p) {
		size_t n = sequence_length(p);

		switch (*p) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\n':
		case '\t':
			fputc(*p, f);
			break;
		case '\r':
			break;
		default:
			if (!n)
				fputs("\xef\xbf\xbd", f); /* U+FFFD */
			else if (*p < 0x20 || *p == 0x7f)
				fputc('?', f);
			else
				fwrite(p, 1, n, f);
		}
		p += n ? n : 1;
	}
}
