#!/bin/sh
# test-check.sh - check.sh's count of a phase (build-aux/phase-count.sh):
# every failure of every phase reaches the total, also when a phase stops
# before it prints its own "N passed, N failed" line.
set -u

. "$(dirname "$0")/tap.sh"

count=${PARCLASS_SRCDIR:-$(dirname "$0")/..}/build-aux/phase-count.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME STATUS EXPECTED < LOG
expect() {
	cat >"$tmp/log"
	got=$(sh "$count" "$tmp/log" "$2")
	if [ "$got" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		line "expected \"$3\", got \"$got\"" | diag
	fi
}

echo "1..7"

expect "a clean phase adds its own count" 0 "310 0" <<'LOG'
PASS: tests/test-sim 1 - sim::a
PASS: tests/test-sim 2 - sim::b
310 passed, 0 failed
LOG

expect "a phase with failures adds its own count" 2 "308 2" <<'LOG'
FAIL: tests/test-sim 1 - sim::a
ERROR: tests/test-sim - exited with status 1
308 passed, 2 failed
LOG

# What CI saw: the valgrind phase stopped with 1 FAIL and 3 ERROR and no count.
expect "a phase that stops before its count adds every FAIL and ERROR line" 2 "2 4" <<'LOG'
PASS: tests/test-model 1 - model::a
PASS: tests/test-model 2 - model::b
FAIL: tests/test-sim 40 - sim::time_triggered_fault_powers_the_printer_off_and_on
ERROR: tests/test-sim - exited with status 1
ERROR: tests/test-device - missing test plan
ERROR: tests/test-port - exited with status 99
make[1]: *** [Makefile:1234: check-TESTS] Error 2
LOG

expect "an unexpected pass is a failure" 2 "1 1" <<'LOG'
PASS: tests/test-model 1 - model::a
XPASS: tests/test-model 2 - model::b
LOG

expect "a count that leaves out failures the log shows is not believed" 2 "5 3" <<'LOG'
FAIL: tests/test-sim 1 - sim::a
FAIL: tests/test-sim 2 - sim::b
FAIL: tests/test-sim 3 - sim::c
5 passed, 0 failed
LOG

expect "a phase that fails with no test result at all counts one failure" 2 "0 1" <<'LOG'
lib/port.c:12:1: error: expected ';' before '}' token
make: *** [Makefile:900: all] Error 2
LOG

expect "a phase that fails after a clean count still counts one failure" 2 "310 1" <<'LOG'
310 passed, 0 failed
make: *** [Makefile:950: distcheck] Error 1
LOG

exit $failed
