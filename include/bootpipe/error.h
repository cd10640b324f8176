/* Status codes returned by every bootpipe action, and run outcomes. */
#ifndef BOOTPIPE_ERROR_H
#define BOOTPIPE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Actions return 0 or one of these negative values. Numbers are never
 * reused; new ones are appended.
 */
enum bp_status {
	BP_OK = 0,
	BP_ENOMEM = -1,	   /* out of memory */
	BP_EINVAL = -2,	   /* invalid argument (caller's mistake) */
	BP_ECONFIG = -3,   /* bad pipeline file, option, command line or TOML */
	BP_ENOENT = -4,	   /* no such key, file or entry */
	BP_ETYPE = -5,	   /* value has another type than asked for */
	BP_EIO = -6,	   /* file system or process I/O failed */
	BP_EPLUGIN = -7,   /* a plugin could not be loaded */
	BP_ENET = -8,	   /* a download failed */
	BP_ECHECKSUM = -9, /* bytes do not match their checksum: a download,
			      a changed store image, a failed verify */
	BP_EINFRA = -10,   /* the host lacks something: QEMU, KVM, firmware */
	BP_EINTR = -11,	   /* interrupted by SIGINT or SIGTERM */
	BP_ETIMEOUT = -12, /* a deadline passed */
};

/* Short English text for a status; never NULL. */
const char *bp_strerror(int status);

/* The outcome of a run; the numeric value is the CLI's exit code. */
enum bp_outcome {
	BP_OUTCOME_PASS = 0,
	BP_OUTCOME_FAIL = 1,
	BP_OUTCOME_CONFIG = 2,
	BP_OUTCOME_INFRA = 3,
	BP_OUTCOME_TIMEOUT = 4,
	BP_OUTCOME_CRASH = 5,
	BP_OUTCOME_NO_VERDICT = 6,
	BP_OUTCOME_INTERRUPTED = 130,
};

/* "pass", "fail", "config", "infra", "timeout", "crash", "no-verdict",
 * "interrupted"; NULL for a value outside the enum. */
const char *bp_outcome_name(enum bp_outcome outcome);

/* Parses an outcome name; returns 0 or BP_EINVAL. */
int bp_outcome_parse(const char *name, enum bp_outcome *out);

/* The outcome a stage failing with @status leads to (config, infra,
 * timeout or interrupted). */
enum bp_outcome bp_outcome_from_status(int status);

#ifdef __cplusplus
}
#endif
#endif
