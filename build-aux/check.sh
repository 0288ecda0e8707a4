#!/bin/bash
# check.sh - the README's second command: set up, build, and run every test:
#   make check              (warnings are errors)
#   make check-valgrind     (fails on any valgrind error or definite leak)
#   make check              in an AddressSanitizer + UndefinedBehaviorSanitizer build
#   make fuzz-smoke         in a clang libFuzzer build (seeds, regressions, a short fuzz)
#   make lint               (cppcheck)
#   make distcheck
#   make bench              (must run; its figures are not judged here)
# The output ends with the total "N passed, N failed" line, which counts
# every failure of every phase: a build or a benchmark that fails counts as
# one failure, a test phase that stops before its count as at least one.
set -uo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${BUILDDIR:-$srcdir/build}
sanitizedir=${SANITIZEDIR:-$srcdir/build-sanitize}
fuzzdir=${FUZZDIR:-$srcdir/build-fuzz}
summary=()
total_pass=0
total_fail=0
status=0

# A step that is not a test run (a build, the benchmarks): one failure when it fails.
step() {
	local name=$1
	shift
	if "$@"; then
		return 0
	fi
	status=1
	total_fail=$((total_fail + 1))
	summary+=("$name: FAILED")
	return 1
}

finish() {
	echo
	echo "== summary"
	printf '   %s\n' "${summary[@]}"
	echo "$total_pass passed, $total_fail failed"
	exit $status
}

step "build" "$srcdir/build-aux/setup.sh" "$builddir" --enable-werror --enable-tests || finish

# Runs "make TARGET" in DIR and adds what it passed and failed to the total
# (build-aux/phase-count.sh: a phase that fails never adds "0 failed").
phase() {
	local name=$1 dir=$2 target=$3 log rc p f
	log=$(mktemp)
	echo "== $name: make $target"
	# Tests mostly wait (for ports, printers, timeouts): three at a time fill two cores.
	(cd "$dir" && make -j3 "$target" DISTCHECK_CONFIGURE_FLAGS=--enable-werror) 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	read -r p f < <(sh "$srcdir/build-aux/phase-count.sh" "$log" "$rc")
	rm -f "$log"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
		status=1
		summary+=("$name: FAILED (exit status $rc): $p passed, $f failed")
	else
		summary+=("$name: $p passed, $f failed")
	fi
}

phase "tests" "$builddir" check
phase "valgrind" "$builddir" check-valgrind
if step "sanitizer build" "$srcdir/build-aux/setup.sh" "$sanitizedir" --enable-werror --enable-tests --enable-sanitizers; then
	phase "sanitizers" "$sanitizedir" check
fi
if step "fuzz build" "$srcdir/build-aux/setup.sh" "$fuzzdir" CC=clang --enable-fuzzing --enable-werror; then
	phase "fuzz" "$fuzzdir" fuzz-smoke
fi
step "lint" sh -c 'cd "$1" && make -s lint' sh "$builddir" && summary+=("lint: cppcheck found nothing")
phase "distcheck" "$builddir" distcheck

# The benchmarks print figures, judged by people, not here; they must run.
echo "== bench: make bench"
step "bench" sh -c 'cd "$1" && make -s bench' sh "$builddir" && summary+=("bench: ran (figures above)")
finish
