#!/bin/sh
# run-test.sh - run one Criterion test program for automake's TAP driver
#
# usage: run-test.sh PROGRAM
#
# The program gets the umockdev preload library (after a sanitizer runtime
# when it has one: ASan must come first), loses raw I/O port access when run
# as root (so that libieee1284 can never fall back to real I/O ports), and
# prints TAP on standard output. With PARCLASS_TEST_TOOL=valgrind every
# process of the test (the simulator it starts included) runs under valgrind,
# and the test fails when any valgrind log is not empty: Criterion ignores
# its workers' exit status, so the logs are the only reliable signal.
set -u

prog=$1
shift

# The preload configure found (UMOCKDEV_PRELOAD), as the simulator uses it.
preload=${UMOCKDEV_PRELOAD:-libumockdev-preload.so.0}
asan=$(ldd "$prog" 2>/dev/null | awk '/libasan\.so/ { print $3; exit }')
if [ -n "$asan" ]; then
	preload="$asan:$preload"
	# The emulated process and libieee1284 leak nothing of ours, but
	# umockdev's preload keeps per-fd state until exit.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:abort_on_error=0"
	LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}print_suppressions=0:suppressions=${PARCLASS_SRCDIR:-.}/tests/lsan.supp"
	UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"
	export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
fi

# Criterion's timeout is the guard against a hung test, never a speed
# target: generous, five times so under valgrind on a busy machine.
timeout=120
[ "${PARCLASS_TEST_TOOL:-}" = valgrind ] && timeout=600
set -- "$prog" --tap=- --timeout=$timeout "$@"

# test-cli checks that parclass-sim drops the capability itself: it must have it.
nocaps=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && [ "${prog##*/}" != test-cli ]; then
	nocaps="setpriv --bounding-set=-sys_rawio --inh-caps=-sys_rawio --"
fi

case "${PARCLASS_TEST_TOOL:-}" in
valgrind)
	logdir=$(mktemp -d "${TMPDIR:-/tmp}/parclass-vg.XXXXXX") || exit 99
	# Our own programs are checked; the system's tools (sh, nm, sleep...) are
	# not. The simulator is checked where it is what the test is about;
	# elsewhere it only serves, and checking it again costs minutes.
	skip='/usr/*,/bin/*,/sbin/*'
	case "${prog##*/}" in
	test-sim|test-peripheral|test-cli) ;;
	*) skip="$skip,*/parclass-sim" ;;
	esac
	LD_PRELOAD=$preload $nocaps "${VALGRIND:-valgrind}" --quiet --error-exitcode=99 \
		--trace-children=yes --child-silent-after-fork=no \
		--trace-children-skip="$skip" \
		--leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
		--suppressions="${PARCLASS_SRCDIR:-.}/tests/valgrind.supp" --gen-suppressions=all \
		--log-file="$logdir/vg.%p.log" "$@"
	rc=$?
	bad=0
	for log in "$logdir"/vg.*.log; do
		# Errors and leaks are "==PID==" lines; "--PID--" notes (such as a
		# syscall valgrind does not know, which GLib then works around) are not.
		grep -q '^==[0-9]*==' "$log" 2>/dev/null || continue
		bad=1
		echo "valgrind reported errors in $log:" >&2
		cat "$log" >&2
	done
	rm -rf "$logdir"
	if [ $bad = 1 ]; then
		echo "not ok - valgrind: errors or definite leaks (see the log)"
		exit 1
	fi
	exit $rc
	;;
*)
	LD_PRELOAD=$preload exec $nocaps "$@"
	;;
esac
