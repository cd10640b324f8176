if [ "${AXBUILD_GROUPED_AUTORUN_DONE:-0}" = "1" ]; then
	return 0 2>/dev/null || exit 0
fi
export AXBUILD_GROUPED_AUTORUN_DONE=1

if [ -x '/usr/bin/starry-run-case-tests' ]; then
	'/usr/bin/starry-run-case-tests'
fi
