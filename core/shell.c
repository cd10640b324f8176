/* Shell quoting, so a logged or planned command can be pasted as is. */
#include <stdlib.h>
#include <string.h>

#include <bootpipe/plugin.h>

#include "strbuf.h"

static void add_quoted(struct strbuf *sb, const char *arg)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789_@%+=:,./-";

	if (arg[0] && strspn(arg, safe) == strlen(arg)) {
		strbuf_adds(sb, arg);
		return;
	}
	strbuf_addch(sb, '\'');
	for (const char *p = arg; *p; p++) {
		if (*p == '\'')
			strbuf_adds(sb, "'\\''");
		else
			strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '\'');
}

char *bp_shell_join(const char *const *argv, size_t count)
{
	struct strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < count; i++) {
		if (i)
			strbuf_addch(&sb, ' ');
		add_quoted(&sb, argv[i] ? argv[i] : "");
	}
	return strbuf_detach(&sb);
}
