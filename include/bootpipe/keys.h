/* Well-known context keys, so that a typo is a compile error. */
#ifndef BOOTPIPE_KEYS_H
#define BOOTPIPE_KEYS_H

/* engine */
#define BP_KEY_WORKSPACE "workspace"	     /* str */
#define BP_KEY_PIPELINE_NAME "pipeline.name" /* str */
#define BP_KEY_RUN_DRY_RUN "run.dry_run"     /* bool */
#define BP_KEY_ARCH "arch" /* str, ${arch}: the pipeline's arch, if known */
/* str, set by `bootpipe replay`: launch matches this saved console log
 * instead of starting QEMU */
#define BP_KEY_RUN_REPLAY_LOG "run.replay_log"
/* bool, set by `bootpipe check` (in plan mode): each stage checks only the
 * files and settings it reads, with no kernel, rootfs or QEMU needed, and
 * a stage with nothing of the kind returns at once */
#define BP_KEY_RUN_CHECK "run.check"

/* resolve-request */
#define BP_KEY_REQUEST_ARCH "request.arch"		 /* str */
#define BP_KEY_REQUEST_TARGET "request.target"		 /* str */
#define BP_KEY_REQUEST_PACKAGE_DIR "request.package_dir" /* str */
#define BP_KEY_REQUEST_KERNEL "request.kernel"		 /* str */
#define BP_KEY_REQUEST_VMCONFIGS "request.vmconfigs"	 /* list, absolute */
#define BP_KEY_REQUEST_QEMU_CONFIG "request.qemu_config" /* str */
#define BP_KEY_REQUEST_ROOTFS "request.rootfs"		 /* str, explicit */
/* str: the registry version request.rootfs pins (rootfs = alpine:0.0.8) */
#define BP_KEY_REQUEST_ROOTFS_VERSION "request.rootfs_version"
#define BP_KEY_REQUEST_STORE "request.store" /* str, image store */
#define BP_KEY_REQUEST_DEBUG "request.debug" /* bool */
#define BP_KEY_REQUEST_SMP "request.smp"     /* int */
/* str: where request.arch came from: default, option, state or kernel
 * (the ELF header of request.kernel) */
#define BP_KEY_REQUEST_ARCH_SOURCE "request.arch_source"
/* bool, set by a stage that builds request.kernel during the run: in plan
 * mode nothing is built, so patch-qemu accepts that kernel missing */
#define BP_KEY_REQUEST_KERNEL_PENDING "request.kernel_pending"
/* str: whose QEMU rules apply, axvisor (replace disk0), arceos or starry
 * (axbuild's EnsureDiskBootNet); from the flow option or --flow */
#define BP_KEY_REQUEST_FLOW "request.flow"
/* int: max_cpu_num of axbuild's build config (resolve-request
 * build_config); the arceos flow makes it -smp unless request.smp is set */
#define BP_KEY_REQUEST_MAX_CPU_NUM "request.max_cpu_num"

/* fetch-rootfs */
#define BP_KEY_ROOTFS_MANAGED_PATH "rootfs.managed_path" /* str */
/* Every other -drive of the QEMU template whose file is a managed image
 * (under <workspace>/tmp/axbuild/rootfs, local_storage or the store; the
 * root drive rootfs.path replaces is not one): the file= values as the
 * template has them, expanded and unescaped, and in the same order the
 * store file each one was ensured as. Set only when there is one.
 * patch-qemu rewrites each ref to its file, with snapshot=on. */
#define BP_KEY_ROOTFS_MANAGED_REFS "rootfs.managed_refs"   /* list */
#define BP_KEY_ROOTFS_MANAGED_FILES "rootfs.managed_files" /* list */
/* UEFI firmware fetch-rootfs fetched into the firmware cache (QEMU config
 * uefi = true, no firmware in the distribution; store/firmware.h): the
 * code image, and the variable store template patch-qemu copies per run.
 * In plan mode, where they will be. */
#define BP_KEY_FIRMWARE_CODE "firmware.code" /* str */
#define BP_KEY_FIRMWARE_VARS "firmware.vars" /* str */

/* infer-rootfs */
#define BP_KEY_ROOTFS_PATH "rootfs.path"     /* str */
#define BP_KEY_ROOTFS_SOURCE "rootfs.source" /* explicit|vmconfig|managed */

/* patch-qemu */
#define BP_KEY_QEMU_ARGV "qemu.argv"			 /* list */
#define BP_KEY_QEMU_SUCCESS_REGEX "qemu.success_regex"	 /* list */
#define BP_KEY_QEMU_FAIL_REGEX "qemu.fail_regex"	 /* list */
#define BP_KEY_QEMU_SHELL_PREFIX "qemu.shell_prefix"	 /* str */
#define BP_KEY_QEMU_SHELL_INIT_CMD "qemu.shell_init_cmd" /* str */
#define BP_KEY_QEMU_TIMEOUT "qemu.timeout"		 /* int, seconds */
#define BP_KEY_QEMU_ACCEL "qemu.accel"			 /* kvm|tcg */
/* bool: KVM was chosen by accel = auto, so launch may retry once under
 * TCG with qemu.argv_tcg when QEMU dies at start with a KVM error */
#define BP_KEY_QEMU_ACCEL_AUTO "qemu.accel_auto"
#define BP_KEY_QEMU_ARGV_TCG "qemu.argv_tcg" /* list */
/* str: the per-run working copy of a managed image written under
 * rootfs_write = persist (a managed image itself is never written) */
#define BP_KEY_ROOTFS_WORKING_COPY "rootfs.working_copy"

/* launch */
#define BP_KEY_RUN_OUTCOME "run.outcome"	 /* str, bp_outcome_name */
#define BP_KEY_RUN_CONSOLE_LOG "run.console_log" /* str */
#define BP_KEY_RUN_ATTEMPTS "run.attempts"	 /* int */
#define BP_KEY_RUN_FLAKY "run.flaky"		 /* bool */
#define BP_KEY_RUN_VERDICT "run.verdict"	 /* str, why: pattern, line */
#define BP_KEY_RUN_ATTEMPT_OUTCOMES "run.attempt_outcomes" /* list */
/* int 0..255: the status of the command the launch option exec typed */
#define BP_KEY_RUN_EXEC_STATUS "run.exec_status"

#endif
