#!/bin/sh
# summary.sh - count the results of automake .trs files: "N passed, N failed"
# usage: summary.sh FILE.trs...
pass=0
fail=0
skip=0
for trs in "$@"; do
	[ -f "$trs" ] || continue
	p=$(grep -c '^:test-result: PASS' "$trs")
	f=$(grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' "$trs")
	s=$(grep -c -E '^:test-result: (SKIP|XFAIL)' "$trs")
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
done
[ "$skip" -gt 0 ] && echo "$skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
