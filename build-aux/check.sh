#!/bin/bash
# check.sh - the README's second command: set up, build, and run every test:
#   make check              (warnings are errors)
#   make check-valgrind     (fails on any valgrind error or definite leak)
#   make check              in an AddressSanitizer + UndefinedBehaviorSanitizer build
#   make fuzz-smoke         in a clang libFuzzer build (seeds, regressions, a short fuzz)
#   make distcheck
#   make bench              (must run; its figures are not judged here)
# The output ends with the total "N passed, N failed" line.
set -uo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${BUILDDIR:-$srcdir/build}
sanitizedir=${SANITIZEDIR:-$srcdir/build-sanitize}
fuzzdir=${FUZZDIR:-$srcdir/build-fuzz}
summary=()
total_pass=0
total_fail=0
status=0

"$srcdir/build-aux/setup.sh" "$builddir" --enable-werror || exit 1

# Runs "make TARGET" in DIR and keeps its "N passed, N failed" line.
phase() {
	local name=$1 dir=$2 target=$3 log line p f
	log=$(mktemp)
	echo "== $name: make $target"
	# Tests mostly wait (for ports, printers, timeouts): three at a time fill two cores.
	(cd "$dir" && make -j3 "$target" DISTCHECK_CONFIGURE_FLAGS=--enable-werror) 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	rm -f "$log"
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed*}
	[ -n "$line" ] || { p=0; f=0; }
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
		status=1
		summary+=("$name: FAILED (${line:-no test count})")
	else
		summary+=("$name: $line")
	fi
}

phase "tests" "$builddir" check
phase "valgrind" "$builddir" check-valgrind
"$srcdir/build-aux/setup.sh" "$sanitizedir" --enable-werror --enable-sanitizers || status=1
phase "sanitizers" "$sanitizedir" check
"$srcdir/build-aux/setup.sh" "$fuzzdir" CC=clang --enable-fuzzing --enable-werror || status=1
phase "fuzz" "$fuzzdir" fuzz-smoke
phase "distcheck" "$builddir" distcheck

# The benchmarks print figures, judged by people, not here; they must run.
echo "== bench: make bench"
if (cd "$builddir" && make -s bench); then
	summary+=("bench: ran (figures above)")
else
	status=1
	summary+=("bench: FAILED")
fi

echo
echo "== summary"
printf '   %s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
exit $status
