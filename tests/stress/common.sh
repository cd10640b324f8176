# Shared by the stress scripts: BUILD (default build) holds a built demo;
# demo_copy DIR makes a private copy of its workspace, DIR/workspace (its
# guests/ and registry/ are links to the build's share/bootpipe/demo).
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" && pwd) || exit 1
BOOTPIPE=$BUILD/bin/bootpipe
DEMO=$BUILD/share/bootpipe/pipelines/demo-aarch64.ini
[ -x "$BOOTPIPE" ] && [ -f "$DEMO" ] && [ -d "$BUILD/demo/workspace" ] || {
	echo "no built demo in $BUILD (make build first)" >&2
	exit 1
}

demo_copy() {
	rm -rf "$1"
	mkdir -p "$1"
	cp -a "$BUILD/demo/workspace" "$1"/
}

# qemu_pids TEXT: live QEMU processes whose command line holds TEXT
qemu_pids() {
	local d cmd
	for d in /proc/[0-9]*; do
		cmd=$({ tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null) || continue
		case $cmd in
		*qemu-system-*"$1"*) echo "${d#/proc/}" ;;
		esac
	done
}
