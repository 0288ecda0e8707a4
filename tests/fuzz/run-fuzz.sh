#!/bin/sh
# run-fuzz.sh - run the libFuzzer harnesses for make fuzz and make fuzz-smoke
#
# usage: run-fuzz.sh MODE SECONDS RUNS MERGE NAME...
#   MODE     smoke: replay each seed and regression input one by one, then
#            fuzz; fuzz: fuzz only (the seeds are the starting corpus)
#   SECONDS  how long to fuzz each harness (-max_total_time)
#   RUNS     stop a harness after this many executions (-runs; -1: no limit)
#   MERGE    1: merge what fuzzing found into the source tree's corpus
# The make rules set FUZZ_SRCDIR (tests/fuzz in the sources), FUZZ_BINDIR
# (where the harnesses are) and FUZZ_WORKDIR (scratch space; each harness
# fuzzes a copy of its corpus there, so the source tree is only written
# with MERGE=1). Prints one TAP-like line per harness and a final
# "N passed, N failed"; exits 1 when any harness found anything.
set -u

mode=$1 seconds=$2 runs=$3 merge=$4
shift 4

# Hangs are findings too; a parser that needs this long for one input hangs.
timeout=25
rss=2048
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

passed=0 failed=0 n=0
for name in "$@"; do
	n=$((n + 1))
	bin=$FUZZ_BINDIR/fuzz-$name
	seeds=$FUZZ_SRCDIR/corpus/$name
	regress=$FUZZ_SRCDIR/regress/$name
	work=$FUZZ_WORKDIR/$name
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	cp "$seeds"/* "$work/corpus/"
	# The options in "$@" (the for loop above took its list already).
	set -- -rss_limit_mb=$rss -timeout=$timeout -artifact_prefix="$work/artifacts/"
	[ -f "$FUZZ_SRCDIR/$name.dict" ] && set -- "$@" -dict="$FUZZ_SRCDIR/$name.dict"
	inputs=$(find "$seeds" -type f | wc -l)
	[ -d "$regress" ] && inputs=$((inputs + $(find "$regress" -type f | wc -l)))
	problem=

	if [ "$mode" = smoke ]; then
		# Each input alone (not only as part of a corpus): the exact bytes
		# that once failed must pass now.
		log=$work/replay.log
		if ! "$bin" "$@" "$seeds"/* >"$log" 2>&1; then
			problem="replaying its seeds failed"
		elif [ -d "$regress" ] && ! "$bin" "$@" "$regress"/* >>"$log" 2>&1; then
			problem="replaying its regression inputs failed"
		fi
	fi
	if [ -z "$problem" ]; then
		log=$work/fuzz.log
		dirs="$work/corpus"
		[ -d "$regress" ] && dirs="$dirs $regress"
		# shellcheck disable=SC2086 # $dirs: two plain paths at most
		if ! "$bin" "$@" -max_total_time="$seconds" -runs="$runs" -print_final_stats=1 $dirs >"$log" 2>&1; then
			problem="fuzzing found a problem"
		elif [ -n "$(ls "$work/artifacts")" ]; then
			problem="fuzzing left inputs in $work/artifacts"
		fi
	fi

	if [ -n "$problem" ]; then
		failed=$((failed + 1))
		echo "not ok $n - $name: $problem (log: $log)"
		# The sanitizer's or the harness's report, for CI's log.
		grep -E -A40 '^==[0-9]+==ERROR|runtime error|^fuzz-[a-z]+: |deadly signal|Test unit written' "$log" |
			head -n 80 | sed 's/^/# /'
		find "$work/artifacts" -type f | sed 's/^/# artifact: /'
		continue
	fi
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log")
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
	cov=$(echo "$done_line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$done_line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$done_line" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
	passed=$((passed + 1))
	replayed=
	[ "$mode" = smoke ] && replayed="$inputs inputs replayed, "
	echo "ok $n - $name: $replayed${execs:-?} executions in ${secs:-?} s, cov: ${cov:-?} ft: ${ft:-?} corpus: ${corp:-?}, no findings"
	if [ "$merge" = 1 ]; then
		if "$bin" -merge=1 -rss_limit_mb=$rss -timeout=$timeout "$seeds" "$work/corpus" >"$work/merge.log" 2>&1; then
			echo "# $name: merged into $seeds"
		else
			echo "# $name: merging into $seeds failed (log: $work/merge.log)"
		fi
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
