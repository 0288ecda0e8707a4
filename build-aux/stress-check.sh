#!/bin/bash
# stress-check.sh - prove the suite independent of the machine's speed:
# run "make check" and "make check-valgrind" ROUNDS times in a row while
# stress-ng keeps every core busy. Any failure fails the run.
#
# usage: build-aux/stress-check.sh [BUILDDIR [ROUNDS]]   (make check-stress)
#
# BUILDDIR is a configured build (default: build/, made by setup.sh when
# missing); ROUNDS defaults to 3. stress-ng (Debian package stress-ng) is
# installed when missing, as setup.sh installs the rest. Prints one line per
# run and ends with "N passed, N failed" over all of them.
set -uo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${1:-$srcdir/build}
rounds=${2:-3}
cpus=$(nproc)

if ! command -v stress-ng >/dev/null 2>&1; then
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "stress-check: installing stress-ng"
	$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q stress-ng || exit 1
fi
[ -f "$builddir/Makefile" ] || "$srcdir/build-aux/setup.sh" "$builddir" --enable-werror || exit 1

stress-ng --cpu "$cpus" --timeout 0 --quiet &
stress=$!
trap 'kill "$stress" 2>/dev/null; wait "$stress" 2>/dev/null' EXIT
echo "stress-check: stress-ng --cpu $cpus (pid $stress) keeps every core busy; $rounds rounds"

total_pass=0
total_fail=0
results=()
for round in $(seq 1 "$rounds"); do
	for target in check check-valgrind; do
		log=$(mktemp)
		start=$(date +%s)
		(cd "$builddir" && make -j3 "$target") >"$log" 2>&1
		rc=$?
		read -r p f < <(sh "$srcdir/build-aux/phase-count.sh" "$log" "$rc")
		grep -E '^(FAIL|ERROR|XPASS): ' "$log"
		total_pass=$((total_pass + p))
		total_fail=$((total_fail + f))
		results+=("round $round make $target: $p passed, $f failed, $(($(date +%s) - start)) s")
		echo "${results[-1]}"
		if [ "$f" -eq 0 ]; then
			rm -f "$log"
		else
			# The test logs in BUILDDIR/tests are overwritten by the next run.
			cp -r "$builddir/tests" "$log.tests" 2>/dev/null
			echo "   its output: $log; its test logs: $log.tests"
		fi
	done
done

echo
echo "== stress-check: $rounds rounds under stress-ng --cpu $cpus ($(uname -n), $(date -u +%Y-%m-%dT%H:%MZ))"
printf '   %s\n' "${results[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
