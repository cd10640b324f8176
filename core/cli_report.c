/* The --report paths of `run`, `replay` and `test`, checked before
 * anything runs: a bad one found after the boot made a PASS run exit 3. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/error.h>

#include "cli.h"

int cli_report_check(const char *who, const char *format, const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	struct stat st;

	snprintf(dir, sizeof(dir), "%.*s",
		 slash ? (int)(slash == path ? 1 : slash - path) : 1,
		 slash ? path : ".");
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr,
			"%s: --report %s=%s: is a directory; name a file\n",
			who, format, path);
		return BP_OUTCOME_CONFIG;
	}
	if (access(dir, W_OK) != 0) {
		fprintf(stderr, "%s: --report %s=%s: cannot write in %s: %s\n",
			who, format, path, dir, strerror(errno));
		return BP_OUTCOME_CONFIG;
	}
	return 0;
}
