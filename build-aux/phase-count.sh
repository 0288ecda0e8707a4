#!/bin/sh
# phase-count.sh - how many tests one phase of check.sh passed and failed
#
# usage: phase-count.sh LOG STATUS
#
# LOG is everything "make TARGET" printed, STATUS its exit status. Prints
# "PASSED FAILED". A phase's own "N passed, N failed" line is believed only
# as far as the log bears it out: automake prints one "FAIL:", "ERROR:" or
# "XPASS:" line per bad result, and a phase that stops early (a test
# program that crashes, valgrind that finds a leak, a build that breaks)
# may print those lines and never reach its count. So the failures are the
# larger of the count and those lines, and a phase that failed with neither
# counts as one failure: a failed phase can never add "0 failed".
set -u

log=$1
status=$2

line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
lines_pass=$(grep -c -E '^PASS: ' "$log")
lines_fail=$(grep -c -E '^(FAIL|ERROR|XPASS): ' "$log")

if [ -n "$line" ]; then
	pass=${line%% passed*}
	fail=${line#*, }
	fail=${fail%% failed*}
else
	pass=$lines_pass
	fail=0
fi
[ "$lines_fail" -gt "$fail" ] && fail=$lines_fail
[ "$status" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
echo "$pass $fail"
