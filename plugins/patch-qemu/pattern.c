/* PCRE2 syntax check of the success and fail patterns. */
#include "pattern.h"

#include <stdio.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <bootpipe/error.h>

int pattern_check(const char *pattern, char *err, size_t errlen)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE offset;
	pcre2_code *re;
	int code;

	/* the options launch compiles with; its PCRE2_MULTILINE twin
	 * accepts the same syntax */
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code,
			   &offset, NULL);
	if (re) {
		pcre2_code_free(re);
		return 0;
	}
	if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", code);
	snprintf(err, errlen, "\"%s\": %s at offset %zu", pattern,
		 (const char *)msg, (size_t)offset);
	return BP_ECONFIG;
}
