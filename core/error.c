/* Status texts and the outcome table of DESIGN.md §5. */
#include <string.h>

#include <bootpipe/error.h>

const char *bp_strerror(int status)
{
	switch ((enum bp_status)status) {
	case BP_OK:
		return "success";
	case BP_ENOMEM:
		return "out of memory";
	case BP_EINVAL:
		return "invalid argument";
	case BP_ECONFIG:
		return "configuration error";
	case BP_ENOENT:
		return "not found";
	case BP_ETYPE:
		return "wrong type";
	case BP_EIO:
		return "input/output error";
	case BP_EPLUGIN:
		return "plugin error";
	case BP_ENET:
		return "download failed";
	case BP_ECHECKSUM:
		return "checksum mismatch";
	case BP_EINFRA:
		return "infrastructure error";
	case BP_EINTR:
		return "interrupted";
	case BP_ETIMEOUT:
		return "timed out";
	}
	return "unknown status";
}

const char *bp_outcome_name(enum bp_outcome outcome)
{
	switch (outcome) {
	case BP_OUTCOME_PASS:
		return "pass";
	case BP_OUTCOME_FAIL:
		return "fail";
	case BP_OUTCOME_CONFIG:
		return "config";
	case BP_OUTCOME_INFRA:
		return "infra";
	case BP_OUTCOME_TIMEOUT:
		return "timeout";
	case BP_OUTCOME_CRASH:
		return "crash";
	case BP_OUTCOME_NO_VERDICT:
		return "no-verdict";
	case BP_OUTCOME_INTERRUPTED:
		return "interrupted";
	}
	return NULL;
}

int bp_outcome_parse(const char *name, enum bp_outcome *out)
{
	static const enum bp_outcome all[] = {
	    BP_OUTCOME_PASS,	   BP_OUTCOME_FAIL,	   BP_OUTCOME_CONFIG,
	    BP_OUTCOME_INFRA,	   BP_OUTCOME_TIMEOUT,	   BP_OUTCOME_CRASH,
	    BP_OUTCOME_NO_VERDICT, BP_OUTCOME_INTERRUPTED,
	};

	if (!name)
		return BP_EINVAL;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(name, bp_outcome_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return BP_EINVAL;
}

enum bp_outcome bp_outcome_from_status(int status)
{
	switch ((enum bp_status)status) {
	case BP_OK:
		return BP_OUTCOME_PASS;
	case BP_ECONFIG:
	case BP_EINVAL:
	case BP_ENOENT:
	case BP_ETYPE:
		return BP_OUTCOME_CONFIG;
	case BP_ETIMEOUT:
		return BP_OUTCOME_TIMEOUT;
	case BP_EINTR:
		return BP_OUTCOME_INTERRUPTED;
	case BP_ENOMEM:
	case BP_EIO:
	case BP_EPLUGIN:
	case BP_ENET:
	case BP_ECHECKSUM:
	case BP_EINFRA:
		return BP_OUTCOME_INFRA;
	}
	return BP_OUTCOME_INFRA;
}
