# Sourced by the tests that serve a work directory $W over HTTP: at exit
# the server ($server_pid, once started) is stopped and $W removed, or
# kept and named when a check failed. fail MSG says which case or step
# ($case_name, else $step) failed.
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	wait 2>/dev/null
	if [ "${failed:-0}" = 0 ]; then rm -rf "$W"; else echo "kept $W"; fi
}
trap cleanup EXIT
fail() {
	failed=1
	echo "FAIL [${case_name:-${step:-}}]: $*" >&2
	exit 1
}
