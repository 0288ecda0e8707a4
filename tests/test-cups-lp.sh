#!/bin/sh
# test-cups-lp.sh - Debian's cups-filters "parallel" backend beside the
# parclass backend, under a real cupsd, on one virtual printer
#
# What it proves (one TAP line each):
#   1. a private cupsd starts (as root it runs backends as User lp);
#   2. lpinfo -v lists the printer through both backends:
#      "direct parclass:/dev/parport0" and "direct parallel:/dev/lp0", the
#      latter with the make and model of the device ID that the parallel
#      backend reads through /dev/parport0, as on a real system;
#   3. a raw queue on parallel:/dev/lp0: a binary job completes and the
#      printer received exactly its bytes, in one lp session;
#   4. a raw queue on parclass:/dev/parport0 on the same printer: the same;
#   5. one job submitted to each queue at once: every .prn file the printer
#      recorded holds one whole job, and both jobs are there.
#
# How: parclass-sim --serve --record with tests/cups/laser-lp.model (the lp
# driver bound to parport0); cupsd is the installed one in a temporary tree
# (tests/cupsd.sh) whose ServerBin/backend has two generated wrappers, one
# for the built parclass backend and one for the unmodified
# /usr/lib/cups/backend/parallel, that put the simulator's ports in their
# environment (cupsd drops LD_PRELOAD).
#
# Environment (exported by the test harness): PARCLASS_SIM, PARCLASS_SRCDIR,
# PARCLASS_BUILDDIR. Needs cups, cups-client, cups-ipp-utils and
# cups-filters (the parallel backend). PARCLASS_KEEP_TMP=1 keeps the
# temporary directory.
set -u

PATH=$PATH:/usr/sbin:/sbin
LC_ALL=C
export PATH LC_ALL
unset PRINTER LPDEST

TESTS=5
SYSBIN=/usr/lib/cups
DATADIR=/usr/share/cups
PARALLEL=$SYSBIN/backend/parallel

. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/suite.sh"

quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

[ -n "${PARCLASS_SIM:-}" ] && [ -n "${PARCLASS_SRCDIR:-}" ] && [ -n "${PARCLASS_BUILDDIR:-}" ] ||
	bail "set PARCLASS_SIM, PARCLASS_SRCDIR and PARCLASS_BUILDDIR (make check does)"
model=$PARCLASS_SRCDIR/tests/cups/laser-lp.model
cups_tests=$PARCLASS_SRCDIR/tests/cups
for cmd in cupsd lpadmin lpinfo lp lpstat cancel ipptool timeout mkfifo; do
	command -v "$cmd" >/dev/null 2>&1 || bail "$cmd not found: install cups, cups-client and cups-ipp-utils"
done
[ -x "$PARALLEL" ] || bail "$PARALLEL not found: install the package cups-filters"
[ -x "$SYSBIN/daemon/cups-exec" ] || bail "$SYSBIN/daemon/cups-exec not found: install the package cups"

backend=$PARCLASS_BUILDDIR/backend/parclass
libpath=
if [ -x "$PARCLASS_BUILDDIR/backend/.libs/parclass" ]; then
	backend=$PARCLASS_BUILDDIR/backend/.libs/parclass
	libpath=$PARCLASS_BUILDDIR/lib/.libs
fi
[ -x "$backend" ] || bail "no backend at $backend: build the project first"
asan=$(LD_LIBRARY_PATH=$libpath ldd "$backend" 2>/dev/null | awk '/libasan\.so/ { print $3; exit }')

if [ "$(id -u)" = 0 ]; then
	run_user=lp
	run_group=lp
	sandboxing=Relaxed
	id lp >/dev/null 2>&1 || bail "user lp missing (it comes with the cups packages)"
	setpriv --reuid=lp --regid=lp --clear-groups test -r "$backend" ||
		bail "user lp (cupsd's User) cannot read $backend: build in a directory all users can read"
else
	run_user=$(id -un)
	run_group=$(id -gn)
	sandboxing=Off
fi

# ---------------------------------------------------------------------------
# The temporary tree

umask 022
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parclass-cups-lp.XXXXXX") || bail "mktemp failed"
cupsd_pid=
sim_pid=
reader_pid=
cleanup() {
	[ -n "$cupsd_pid" ] && stop "$cupsd_pid"
	[ -n "$reader_pid" ] && stop "$reader_pid"
	[ -n "$sim_pid" ] && stop "$sim_pid"
	remove_tmp "$tmp"
}
on_exit cleanup

chmod 0755 "$tmp"
mkdir -p "$tmp/etc/ppd" "$tmp/etc/ssl" "$tmp/bin/backend" "$tmp/bin/filter" "$tmp/spool/temp" "$tmp/cache" \
	"$tmp/state" "$tmp/log" "$tmp/home" "$tmp/jobs" "$tmp/run" "$tmp/data"
[ "$(id -u)" = 0 ] && chgrp lp "$tmp/run" && chmod 2775 "$tmp/run"
for d in daemon driver cgi-bin monitor notifier; do
	ln -s "$SYSBIN/$d" "$tmp/bin/$d"
done
for f in "$SYSBIN"/filter/*; do
	ln -s "$f" "$tmp/bin/filter/${f##*/}"
done
for d in "$DATADIR"/*; do
	ln -s "$d" "$tmp/data/${d##*/}"
done

# ---------------------------------------------------------------------------
# The simulator: its client environment once its ports are ready

rec=$tmp/rec
mkfifo "$tmp/sim.fifo" || bail "mkfifo failed"
env -u LD_PRELOAD -u UMOCKDEV_DIR "$PARCLASS_SIM" --serve --record "$rec" --model "$model" \
	>"$tmp/sim.fifo" 2>>"$tmp/log/sim.log" &
sim_pid=$!
cat "$tmp/sim.fifo" >"$tmp/sim.out" &
reader_pid=$!
wait_until "$eventually" dead "$reader_pid" || bail "the simulator did not get ready"
wait "$reader_pid"
reader_pid=
sim_dir=$(. "$tmp/sim.out" && printf '%s' "$UMOCKDEV_DIR")
sim_preload=$(. "$tmp/sim.out" && printf '%s' "$LD_PRELOAD")
[ -d "$sim_dir" ] || bail "no test bed in the simulator's output: $(cat "$tmp/sim.out" "$tmp/log/sim.log")"

# ServerBin/backend/NAME: exec PROGRAM on the simulator's ports. Mode 0755
# (cupsd runs it as User), owned by whoever runs cupsd.
write_wrapper() { # NAME PROGRAM PRELOAD
	{
		line '#!/bin/sh'
		line "# Generated by tests/test-cups-lp.sh: $2 on parclass-sim's ports."
		line "UMOCKDEV_DIR=$(quote "$sim_dir"); export UMOCKDEV_DIR"
		line "PARCLASS_RUNTIME_DIR=$(quote "$tmp/run"); export PARCLASS_RUNTIME_DIR"
		[ -n "$libpath" ] && line "LD_LIBRARY_PATH=$(quote "$libpath"); export LD_LIBRARY_PATH"
		line "LD_PRELOAD=$(quote "$3"); export LD_PRELOAD"
		[ -n "$asan" ] && line "ASAN_OPTIONS=detect_leaks=0; export ASAN_OPTIONS"
		line "exec $(quote "$2") \"\$@\""
	} >"$tmp/bin/backend/$1"
	chmod 0755 "$tmp/bin/backend/$1"
}
write_wrapper parclass "$backend" "${asan:+$asan:}$sim_preload"
write_wrapper parallel "$PARALLEL" "$sim_preload"

. "$(dirname "$0")/cupsd.sh"

# ---------------------------------------------------------------------------
# Jobs

queue_uri() { echo "ipp://127.0.0.1:$port/printers/$1"; }
submit() { # QUEUE FILE: sets job
	out=$(lp -d "$1" -t "${2##*/}" "$2" 2>&1)
	job=$(echo "$out" | sed -n "s/^request id is $1-\\([0-9][0-9]*\\) .*/\\1/p")
	[ -n "$job" ] || { echo "lp failed: $out"; return 1; }
}
job_state() { # QUEUE JOB
	ipptool -c -d job_id="$2" "$(queue_uri "$1")" "$cups_tests/job-state.test" 2>/dev/null | sed -n 2p
}
job_done() { [ "$(job_state "$1" "$2")" = completed ]; }
# Every claim of the port has its release: the last session's file is complete.
sessions_closed() {
	[ "$(grep -c ' claim \(lp0 \)\?pid=' "$rec/events.log")" = \
		"$(grep -c ' release \(lp0 \)\?pid=' "$rec/events.log")" ]
}
recordings() { ls "$rec" | grep '^parport0-[0-9]*\.prn$' | sort; }
make_payload() { # FILE SIZE
	head -c "$2" /dev/urandom >"$1"
	printf 'parclass test-cups-lp.sh %s\r\n\f' "${1##*/}" >>"$1"
}
# print_and_check QUEUE FILE: the job completes and exactly one new .prn
# file holds exactly its bytes.
print_and_check() {
	recordings >"$tmp/before"
	submit "$1" "$2" || return 1
	wait_until "$eventually" job_done "$1" "$job" || { echo "job $job: $(job_state "$1" "$job")"; return 1; }
	wait_until "$eventually" sessions_closed || { echo "the port was not released"; return 1; }
	recordings | comm -13 "$tmp/before" - >"$tmp/new"
	[ "$(wc -l <"$tmp/new")" = 1 ] || { echo "new recordings: $(cat "$tmp/new")"; return 1; }
	cmp "$2" "$rec/$(cat "$tmp/new")"
}
job_diag() {
	{
		echo "--- cupsd error_log (tail):"
		tail -n 40 "$tmp/log/error_log"
		echo "--- simulator events (tail):"
		tail -n 20 "$rec/events.log"
	} | diag
}

# ===========================================================================

echo "1..$TESTS"

# --- 1 -----------------------------------------------------------------------
if start_cupsd >"$tmp/log/start_cupsd" 2>&1; then
	ok "private cupsd is running on 127.0.0.1:$port (User $run_user)"
else
	not_ok "private cupsd is running"
	diag <"$tmp/log/start_cupsd"
	bail "no cupsd"
fi

# --- 2 -----------------------------------------------------------------------
lpinfo --timeout 30 -v --include-schemes parclass,parallel >"$tmp/lpinfo-v" 2>&1
lpinfo --timeout 30 -l -v --include-schemes parallel >"$tmp/lpinfo-lv" 2>&1
mm=$(awk '$1 == "Device:" { this = ($4 == "parallel:/dev/lp0") }
	this && $1 == "make-and-model" { sub(/^[^=]*= /, ""); print; exit }' "$tmp/lpinfo-lv")
if [ "$(sort "$tmp/lpinfo-v")" = "direct parallel:/dev/lp0
direct parclass:/dev/parport0" ] && [ "$mm" = "HP LaserJet 4" ]; then
	ok "lpinfo -v lists parallel:/dev/lp0 (\"$mm\") and parclass:/dev/parport0"
else
	not_ok "lpinfo -v lists parallel:/dev/lp0 (\"HP LaserJet 4\") and parclass:/dev/parport0"
	cat "$tmp/lpinfo-v" "$tmp/lpinfo-lv" | diag
	job_diag
fi

# --- 3 -----------------------------------------------------------------------
t3() {
	lpadmin -p lpq -v parallel:/dev/lp0 -m raw -E || return 1
	make_payload "$tmp/jobs/lp" 204800
	print_and_check lpq "$tmp/jobs/lp" || return 1
	grep -q "^parport0 release lp0 pid=[0-9]* (closed)\$" "$rec/events.log" ||
		{ echo "no lp session"; return 1; }
}
if t3 >"$tmp/log/t3" 2>&1; then
	ok "a 200 KiB job through the parallel backend completed; the printer received exactly its bytes"
else
	not_ok "a 200 KiB job through the parallel backend completed; the printer received exactly its bytes"
	diag <"$tmp/log/t3"
	job_diag
fi

# --- 4 -----------------------------------------------------------------------
t4() {
	lpadmin -p q -v parclass:/dev/parport0 -m raw -E || return 1
	make_payload "$tmp/jobs/parclass" 204800
	print_and_check q "$tmp/jobs/parclass"
}
if t4 >"$tmp/log/t4" 2>&1; then
	ok "a 200 KiB job through parclass on the same printer; exactly its bytes"
else
	not_ok "a 200 KiB job through parclass on the same printer; exactly its bytes"
	diag <"$tmp/log/t4"
	job_diag
fi

# --- 5 -----------------------------------------------------------------------
t5() {
	make_payload "$tmp/jobs/a" 307200
	make_payload "$tmp/jobs/b" 307200
	recordings >"$tmp/before"
	submit lpq "$tmp/jobs/a" || return 1
	ja=$job
	submit q "$tmp/jobs/b" || return 1
	jb=$job
	wait_until "$eventually" job_done lpq "$ja" || { echo "job $ja: $(job_state lpq "$ja")"; return 1; }
	wait_until "$eventually" job_done q "$jb" || { echo "job $jb: $(job_state q "$jb")"; return 1; }
	wait_until "$eventually" sessions_closed || { echo "the port was not released"; return 1; }
	recordings | comm -13 "$tmp/before" - >"$tmp/new"
	[ "$(wc -l <"$tmp/new")" = 2 ] || { echo "new recordings: $(cat "$tmp/new")"; return 1; }
	f1=$rec/$(sed -n 1p "$tmp/new")
	f2=$rec/$(sed -n 2p "$tmp/new")
	{ cmp -s "$f1" "$tmp/jobs/a" && cmp -s "$f2" "$tmp/jobs/b"; } ||
		{ cmp -s "$f1" "$tmp/jobs/b" && cmp -s "$f2" "$tmp/jobs/a"; } ||
		{ echo "the recordings are not the two jobs whole: $(wc -c "$f1" "$f2")"; return 1; }
}
if t5 >"$tmp/log/t5" 2>&1; then
	ok "jobs submitted to both queues at once: each .prn file holds one job whole"
else
	not_ok "jobs submitted to both queues at once: each .prn file holds one job whole"
	diag <"$tmp/log/t5"
	job_diag
fi

exit $failed
