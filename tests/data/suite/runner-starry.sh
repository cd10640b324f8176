#!/bin/sh
set -u
failed=0
total=3
step=0
step=$((step + 1))
now=$(date +%s 2>/dev/null || printf unknown)
printf '%s: step=%s/%s epoch=%s command=%s\n' 'STARRY_GROUPED_TEST_BEGIN' "$step" "$total" "$now" 'echo hi'
if sh -c 'echo hi'; then
	now=$(date +%s 2>/dev/null || printf unknown)
	printf '%s: step=%s/%s epoch=%s status=0 command=%s\n' 'STARRY_GROUPED_TEST_PASSED' "$step" "$total" "$now" 'echo hi'
else
	status=$?
	now=$(date +%s 2>/dev/null || printf unknown)
	printf '%s: step=%s/%s epoch=%s status=%s command=%s\n' 'STARRY_GROUPED_TEST_FAILED' "$step" "$total" "$now" "$status" 'echo hi'
	failed=1
fi
step=$((step + 1))
now=$(date +%s 2>/dev/null || printf unknown)
printf '%s: step=%s/%s epoch=%s command=%s\n' 'STARRY_GROUPED_TEST_BEGIN' "$step" "$total" "$now" 'inline-command:67afa5b7'
if sh -c 'a
b'; then
	now=$(date +%s 2>/dev/null || printf unknown)
	printf '%s: step=%s/%s epoch=%s status=0 command=%s\n' 'STARRY_GROUPED_TEST_PASSED' "$step" "$total" "$now" 'inline-command:67afa5b7'
else
	status=$?
	now=$(date +%s 2>/dev/null || printf unknown)
	printf '%s: step=%s/%s epoch=%s status=%s command=%s\n' 'STARRY_GROUPED_TEST_FAILED' "$step" "$total" "$now" "$status" 'inline-command:67afa5b7'
	failed=1
fi
step=$((step + 1))
now=$(date +%s 2>/dev/null || printf unknown)
printf '%s: step=%s/%s epoch=%s command=%s\n' 'STARRY_GROUPED_TEST_BEGIN' "$step" "$total" "$now" 'test it'\''s'
if sh -c 'test it'\''s'; then
	now=$(date +%s 2>/dev/null || printf unknown)
	printf '%s: step=%s/%s epoch=%s status=0 command=%s\n' 'STARRY_GROUPED_TEST_PASSED' "$step" "$total" "$now" 'test it'\''s'
else
	status=$?
	now=$(date +%s 2>/dev/null || printf unknown)
	printf '%s: step=%s/%s epoch=%s status=%s command=%s\n' 'STARRY_GROUPED_TEST_FAILED' "$step" "$total" "$now" "$status" 'test it'\''s'
	failed=1
fi
if [ "$failed" -eq 0 ]; then
	printf '%s\n' 'STARRY_GROUPED_TESTS_PASSED'
	exit 0
fi
printf '%s\n' 'STARRY_GROUPED_TESTS_FAILED'
exit 1
