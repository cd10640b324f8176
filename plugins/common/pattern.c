/* Console patterns (pattern.h). */
#include "pattern.h"

#include <stdio.h>

#include <bootpipe/error.h>

pcre2_code *pattern_compile(const char *pattern, uint32_t extra, char *err,
			    size_t errlen)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE offset;
	pcre2_code *re;
	int code;

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, extra,
			   &code, &offset, NULL);
	if (re)
		return re;
	if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", code);
	snprintf(err, errlen, "\"%s\": %s at offset %zu", pattern,
		 (const char *)msg, (size_t)offset);
	return NULL;
}

int pattern_check(const char *pattern, char *err, size_t errlen)
{
	/* PCRE2_MULTILINE accepts the same syntax, so one compile says it */
	pcre2_code *re = pattern_compile(pattern, 0, err, errlen);

	if (!re)
		return BP_ECONFIG;
	pcre2_code_free(re);
	return 0;
}
