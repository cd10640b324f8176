/*
 * Console patterns (success_regex, fail_regex) compiled in one place, so
 * the check at config time (patch-qemu) and the matcher at run time
 * (launch) can never disagree on what a pattern means or how a bad one
 * is reported.
 */
#ifndef BP_COMMON_PATTERN_H
#define BP_COMMON_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

/*
 * Compiles @pattern with PCRE2 and the options console patterns use, plus
 * @extra (launch adds PCRE2_MULTILINE to search many lines at once). NULL
 * with "\"PATTERN\": MESSAGE at offset N" in @err when it does not
 * compile; free the result with pcre2_code_free.
 */
pcre2_code *pattern_compile(const char *pattern, uint32_t extra, char *err,
			    size_t errlen);

/* pattern_compile as a check: 0, or BP_ECONFIG with the message in @err. */
int pattern_check(const char *pattern, char *err, size_t errlen);

#endif
