#!/usr/bin/env bash
# Runs the unit, pipeline-case and integration suites of BUILD under
# valgrind memcheck: ctest -T memcheck wraps each test, and valgrind
# follows the test scripts into every bootpipe and test tool they start
# (not into bash, python, QEMU, the fake QEMU, whose timing the launch
# tests depend on, or system tools). Any invalid access or
# definite/indirect leak makes valgrind exit 99, which fails the test.
#   memcheck.sh BUILD [ctest args...]
set -u
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
skip='*/fake-qemu,/bin/*,/usr/bin/*,/usr/sbin/*,/usr/local/bin/*,*/qemu-system-*,*/python3*,*/bash,*/sh'
opts="-q --error-exitcode=99 --leak-check=full"
opts="$opts --errors-for-leak-kinds=definite,indirect"
opts="$opts --show-leak-kinds=definite,indirect --track-fds=no"
opts="$opts --trace-children=yes --trace-children-skip=$skip"
opts="$opts --suppressions=$here/bootpipe.supp --num-callers=30"
# valgrind-per-process: one log per traced process, joined per test
cmake -S "$here/../.." -B "$build" -DMEMORYCHECK_TYPE=Valgrind \
	"-DMEMORYCHECK_COMMAND=$here/valgrind-per-process" \
	"-DMEMORYCHECK_COMMAND_OPTIONS=$opts" >/dev/null || exit 1
cd "$build" || exit 1
rm -f Testing/Temporary/MemoryChecker.*.log Testing/Temporary/MemoryChecker.*.log.pid*
# plugins stay mapped so leak reports can name their frames; PCRE2 runs
# without JIT, whose generated code memcheck cannot follow; MEMCHECK tells
# the test scripts what valgrind changes (sdk-test.sh: a failed spawn)
MEMCHECK=1 BOOTPIPE_NO_DLCLOSE=1 BOOTPIPE_NO_JIT=1 ctest -T memcheck --output-on-failure --timeout 1800 \
	-R '^(unit|pipelines|integration)/' "$@"
status=$?
# ctest lists defects per test; a run with any is a failure too.
log=$(ls -t Testing/Temporary/MemoryChecker.*.log 2>/dev/null | head -1)
defects=$(grep -laE 'lost in loss record|Invalid (read|write|free)|uninitialised' \
	Testing/Temporary/MemoryChecker.*.log 2>/dev/null | wc -l)
echo "memcheck: ctest status $status, $defects test logs with defects"
[ "$status" = 0 ] && [ "$defects" = 0 ]
