/* RFC 3339 timestamps (rfc3339.h). */
#include <stdio.h>
#include <time.h>

#include "rfc3339.h"

void rfc3339_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char base[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06dZ", base,
		 (int)(ts.tv_nsec / 1000 % 1000000));
}
