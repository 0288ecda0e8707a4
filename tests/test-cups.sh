#!/bin/sh
# test-cups.sh - the parclass CUPS backend, end to end, under a real cupsd
#
# What it proves (one TAP line each):
#   1. a private cupsd starts (as root it runs backends as User lp, as the
#      packaged cupsd does; as another user, as that user);
#   2. lpinfo finds the printer through the backend's discovery:
#      "direct parclass:/dev/parport0" with the make and model from its ID;
#   3. lpadmin creates a raw queue on the URI lpinfo listed;
#   4. a binary job completes and the printer received exactly its bytes;
#   5. a job sent while the printer is out of paper: the queue shows
#      media-empty-error, the job waits, and when paper is back it
#      completes byte-identical and the reason is gone;
#   6. cancelling a job stalled on paper out ends it within seconds, leaves
#      no backend process behind and releases the port: the next job prints;
#   7. lpinfo -m lists the parclass PPDs (ppd/);
#   8. lpadmin -m creates a queue "pjl" with the PostScript PPD on the URI;
#   9. a two-page PostScript job goes through the Debian filters and
#      parclass-pjl: the printer receives it inside the PJL wrapper with the
#      job's name, and its own USTATUS job END with 2 pages is what completes
#      the job (job-impressions-completed, page_log);
#  10. the printer's door opens during that job: its PJL status shows as
#      door-open-error in the queue's printer-state-reasons, and clears;
#  11. a ReportStatus command job: parclass-command's @PJL INFO STATUS answer
#      comes back through the backend and sets the queue's state message
#      (cupsd's log shows it; cupsd clears it again at the end of a job that
#      logged no error) and printer-alert-description, which stays;
#  12. a job on a queue with the PCL PPD: cups-filters make CUPS raster,
#      parclass-pjl runs CUPS's rastertohp; the printer gets the PCL in the
#      PJL wrapper and counts the page;
#  13. the backend ran clean under valgrind or the sanitizers (only when the
#      suite runs with PARCLASS_TEST_TOOL=valgrind or on an ASan build).
#
# How: the printer is parclass-sim (a virtual IEEE 1284 printer behind
# emulated /dev/parportN, see tests/cups/laser-paper-out.model), started with
# --serve --record so that every session's data lands in a .prn file. cupsd
# is the installed one with its own ServerRoot, spool, logs and ServerBin in
# a temporary directory; ServerBin/backend/parclass is a small generated
# wrapper that gives the built backend the simulator's ports (cupsd drops
# LD_PRELOAD from a backend's environment, so the wrapper sets it) and
# records who ran. Job and printer states come from ipptool
# (tests/cups/*.test).
#
# Environment (exported by the test harness): PARCLASS_SIM, PARCLASS_SRCDIR,
# PARCLASS_BUILDDIR, PARCLASS_TEST_TOOL (empty or valgrind), VALGRIND, and
# PARCLASSCTL (optional: test 6 then also asks libparclass who holds LPT1).
# PARCLASS_KEEP_TMP=1 keeps the temporary directory for a look afterwards.
#
# Needs the packages cups, cups-client, cups-ipp-utils and cups-filters. Takes a few
# seconds (about ten under valgrind).
set -u

PATH=$PATH:/usr/sbin:/sbin
LC_ALL=C
export PATH LC_ALL
unset PRINTER LPDEST

TESTS=13
SYSBIN=/usr/lib/cups            # Debian's ServerBin: daemon/cups-exec, cups-deviced...
DATADIR=/usr/share/cups         # Debian's DataDir: mime/, banners/, model/...
MODEL_NAME="HP LaserJet 4"      # make and model in the test printer's device ID
DEVICE=/dev/parport0

# ---------------------------------------------------------------------------
# TAP

# (ok, not_ok, diag, note, bail, line; the harness runs us by path)
. "$(dirname "$0")/tap.sh"
# (eventually, wait_until, alive, dead, stop, remove_tmp, on_exit)
. "$(dirname "$0")/suite.sh"

# ---------------------------------------------------------------------------
# Small helpers

# pgid_of PID: its process group (/proc/PID/stat: pid (comm) state ppid pgrp ...)
pgid_of() { sed 's/.*) [A-Za-z] [0-9]* \([0-9]*\) .*/\1/' "/proc/$1/stat" 2>/dev/null; }

# quote STRING: STRING as one single-quoted shell word.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# A file of SIZE random bytes and a text line (binary data: proves the raw
# queue and the backend pass everything through untouched).
make_payload() { # FILE SIZE
	head -c "$2" /dev/urandom >"$1"
	printf 'parclass test-cups.sh %s\r\n\f' "${1##*/}" >>"$1"
}

# ---------------------------------------------------------------------------
# Prerequisites

[ -n "${PARCLASS_SIM:-}" ] && [ -n "${PARCLASS_SRCDIR:-}" ] && [ -n "${PARCLASS_BUILDDIR:-}" ] ||
	bail "set PARCLASS_SIM, PARCLASS_SRCDIR and PARCLASS_BUILDDIR (make check does)"
tool=${PARCLASS_TEST_TOOL:-}
cups_tests=$PARCLASS_SRCDIR/tests/cups
model=$cups_tests/laser-paper-out.model

for cmd in cupsd lpadmin lpinfo lp lpstat cancel ipptool; do
	command -v "$cmd" >/dev/null 2>&1 ||
		bail "$cmd not found: install the packages cups, cups-client and cups-ipp-utils"
done
for cmd in timeout mkfifo od; do
	command -v "$cmd" >/dev/null 2>&1 || bail "$cmd not found (coreutils)"
done
[ -x "$SYSBIN/daemon/cups-exec" ] || bail "$SYSBIN/daemon/cups-exec not found: install the package cups"
[ -x "$PARCLASS_SIM" ] || bail "PARCLASS_SIM=$PARCLASS_SIM is not executable"
[ -r "$model" ] || bail "$model not found"

backend=$(built backend parclass)
libpath=$(library_path "$backend")
[ -x "$backend" ] || bail "no backend at $backend: build the project first"
asan=$(sanitizer_runtime "$backend" "$libpath")

valgrind=
if [ "$tool" = valgrind ]; then
	eventually=300
	valgrind=$(command -v "${VALGRIND:-valgrind}") || bail "valgrind (${VALGRIND:-valgrind}) not found"
fi

# cupsd as root insists on running backends as an unprivileged User; as
# anybody else everything it starts runs as that user.
if [ "$(id -u)" = 0 ]; then
	run_user='lp'
	run_group='lp'
	sandboxing=Relaxed          # "Off" is refused when cupsd runs as root
	id lp >/dev/null 2>&1 || bail "user lp missing (it comes with the cups packages)"
	command -v setpriv >/dev/null 2>&1 || bail "setpriv not found (util-linux)"
	# A build directory lp cannot read (under /root, say) fails every job.
	for f in "$backend" "$PARCLASS_SRCDIR/tests/valgrind.supp"; do
		setpriv --reuid=lp --regid=lp --clear-groups test -r "$f" ||
			bail "user lp (cupsd's User) cannot read $f: build in a directory all users can read"
	done
else
	run_user=$(id -un)
	run_group=$(id -gn)
	sandboxing=Off
fi

# ---------------------------------------------------------------------------
# The temporary tree and its cleanup

umask 022     # cupsd refuses a backend (or its directory) that is group/world-writable
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parclass-cups.XXXXXX") || bail "mktemp failed"
cupsd_pid=
sim_pid=
reader_pid=

cleanup() {
	[ -n "$cupsd_pid" ] && stop "$cupsd_pid"      # cupsd stops the jobs' backends
	[ -n "$reader_pid" ] && stop "$reader_pid"
	[ -n "$sim_pid" ] && stop "$sim_pid"
	# Belt and braces: a backend the wrapper recorded that outlived cupsd
	# (the same pid, still running the backend, in its recorded group).
	for rec in "$tmp"/backends/*; do
		[ -f "$rec" ] || continue
		pid=${rec##*/}
		alive "$pid" && grep -q -F "$backend" "/proc/$pid/cmdline" 2>/dev/null &&
			grep -q " pgid=$(pgid_of "$pid")\$" "$rec" &&
			kill -KILL "$pid"
	done
	remove_tmp "$tmp"
}
on_exit cleanup

# The backend (user $run_user) must get through $tmp to its wrapper, the
# runtime directory and the spool file cupsd hands it.
chmod 0755 "$tmp"
mkdir -p "$tmp/etc/ppd" "$tmp/etc/ssl" "$tmp/bin/backend" "$tmp/spool/temp" "$tmp/cache" \
	"$tmp/state" "$tmp/log" "$tmp/home" "$tmp/jobs" "$tmp/run" "$tmp/backends" "$tmp/memcheck"
# Written by the backend: the library's runtime directory (shared with
# group lp, as /run/parclass is), the wrapper's records, valgrind's logs.
if [ "$(id -u)" = 0 ]; then
	chgrp lp "$tmp/run" && chmod 2775 "$tmp/run"
	chown "$run_user:$run_group" "$tmp/backends" "$tmp/memcheck"
fi
for d in daemon driver cgi-bin monitor notifier; do
	ln -s "$SYSBIN/$d" "$tmp/bin/$d"
done
# The system's filters and ours (copies: cupsd wants them owned by root and
# not writable by others, whatever the build tree is).
mkdir "$tmp/bin/filter"
for f in "$SYSBIN"/filter/*; do
	ln -s "$f" "$tmp/bin/filter/${f##*/}"
done
for f in parclass-pjl parclass-command; do
	cp "$PARCLASS_BUILDDIR/filters/$f" "$tmp/bin/filter/$f" && chmod 0755 "$tmp/bin/filter/$f" ||
		bail "no filter $PARCLASS_BUILDDIR/filters/$f: build the project first"
done
# DataDir: the system's, with a model/ directory of our PPDs only, so that
# lpinfo -m lists them wherever the project is installed.
mkdir "$tmp/data" "$tmp/data/model"
for d in "$DATADIR"/*; do
	[ "${d##*/}" = model ] || ln -s "$d" "$tmp/data/${d##*/}"
done
for f in "$PARCLASS_SRCDIR"/ppd/*.ppd; do
	cp "$f" "$tmp/data/model/" || bail "cannot copy $f"
done
chmod -R a+rX "$tmp/data/model"
# The simulator's test bed goes to $TMPDIR too.
if [ "$(id -u)" = 0 ] && ! setpriv --reuid=lp --regid=lp --clear-groups test -x "$tmp/bin"; then
	bail "user lp cannot reach $tmp: use a TMPDIR all users can traverse"
fi

# ---------------------------------------------------------------------------
# The simulator

# start_sim NAME: a fresh virtual printer recording into $tmp/NAME; sets
# sim_pid, sim_rec, and writes $tmp/sim.env for the wrapper.
start_sim() {
	sim_rec=$tmp/$1
	rm -f "$tmp/sim.fifo"
	mkfifo "$tmp/sim.fifo" || return 1
	# Without LD_PRELOAD/UMOCKDEV_DIR: the simulator must see the real system.
	env -u LD_PRELOAD -u UMOCKDEV_DIR "$PARCLASS_SIM" --serve --record "$sim_rec" --model "$model" \
		>"$tmp/sim.fifo" 2>>"$tmp/log/sim.log" &
	sim_pid=$!
	# It prints the client environment, then closes its standard output
	# once the ports are ready: the reader's end of file.
	cat "$tmp/sim.fifo" >"$tmp/sim.out" &
	reader_pid=$!
	if ! wait_until "$eventually" dead "$reader_pid"; then
		echo "the simulator did not get ready within 10 s"
		return 1
	fi
	wait "$reader_pid"
	reader_pid=
	alive "$sim_pid" || { echo "the simulator exited:"; cat "$tmp/log/sim.log"; return 1; }
	# Only the values; the suite itself must not run with the preload.
	sim_dir=$(. "$tmp/sim.out" && printf '%s' "$UMOCKDEV_DIR")
	sim_preload=$(. "$tmp/sim.out" && printf '%s' "$LD_PRELOAD")
	[ -d "$sim_dir" ] || { echo "no test bed in the simulator's output:"; cat "$tmp/sim.out"; return 1; }
	{
		echo "UMOCKDEV_DIR=$(quote "$sim_dir")"
		echo "SIM_PRELOAD=$(quote "$sim_preload")"
	} >"$tmp/sim.env"
}

stop_sim() {
	[ -n "$sim_pid" ] && stop "$sim_pid"
	sim_pid=
}

# paper_out / paper_back: start or end the paper fault, and wait until the
# simulator has logged it ("parport0 fault paper begin|end").
fault_logged() { grep -q "^parport0 fault paper $1" "$sim_rec/events.log" 2>/dev/null; }
paper_out() { kill -USR2 "$sim_pid" && wait_until "$eventually" fault_logged begin; }
paper_back() { kill -USR1 "$sim_pid" && wait_until "$eventually" fault_logged end; }

# ---------------------------------------------------------------------------
# The backend wrapper

# cupsd runs ServerBin/backend/parclass; it must be owned by root when cupsd
# is, not group/world-writable, and mode 0755 so that cupsd runs it as
# User (0700 would make it run as root).
write_wrapper() {
	{
		cat <<-'EOF'
		#!/bin/sh
		# Generated by tests/test-cups.sh: the parclass backend under test, on the
		# simulator's emulated ports. cupsd drops LD_* variables: they are set here.
		EOF
		line "tmp=$(quote "$tmp")"
		cat <<-'EOF'
		[ "$(id -u)" != 0 ] || { echo "ERROR: test-cups.sh: not as root (real ports)" >&2; exit 1; }
		# Who ran, for the suite: "job=ID|discover uid=UID pgid=PGID" in backends/PID
		pgid=$(sed 's/.*) [A-Za-z] [0-9]* \([0-9]*\) .*/\1/' /proc/$$/stat)
		role=discover
		[ $# -gt 0 ] && role="job=$1"
		echo "$role uid=$(id -u) pgid=$pgid" >"$tmp/backends/$$"
		. "$tmp/sim.env"     # UMOCKDEV_DIR and SIM_PRELOAD of the simulator running now
		export UMOCKDEV_DIR
		PARCLASS_RUNTIME_DIR=$tmp/run; export PARCLASS_RUNTIME_DIR
		EOF
		[ -n "$libpath" ] && line "LD_LIBRARY_PATH=$(quote "$libpath"); export LD_LIBRARY_PATH"
		if [ -n "$asan" ]; then
			# Reports go to stderr, which cupsd logs as the job's DEBUG lines
			# (ASan's log_path option crashes a process at start-up when
			# umockdev's preload library is loaded too).
			line "LD_PRELOAD=$(quote "$asan"):\$SIM_PRELOAD; export LD_PRELOAD"
			line "ASAN_OPTIONS=detect_leaks=1; export ASAN_OPTIONS"
			# (LSan aborts on a suppressions file that is not there)
			[ -r "$PARCLASS_SRCDIR/tests/lsan.supp" ] &&
				line "LSAN_OPTIONS=print_suppressions=0:suppressions=$(quote "$PARCLASS_SRCDIR/tests/lsan.supp"); export LSAN_OPTIONS"
			line "UBSAN_OPTIONS=print_stacktrace=1; export UBSAN_OPTIONS"
		else
			line 'LD_PRELOAD=$SIM_PRELOAD; export LD_PRELOAD'
		fi
		if [ -n "$valgrind" ]; then
			line "exec $(quote "$valgrind") --quiet --leak-check=full --show-leak-kinds=definite" \
				"--errors-for-leak-kinds=definite --gen-suppressions=all" \
				"--suppressions=$(quote "$PARCLASS_SRCDIR/tests/valgrind.supp")" \
				"--log-file=\"\$tmp/memcheck/vg.%p.log\" $(quote "$backend") \"\$@\""
		else
			line "exec $(quote "$backend") \"\$@\""
		fi
	} >"$tmp/bin/backend/parclass"
	chmod 0755 "$tmp/bin/backend/parclass"
}

# backend_pid JOB: the pid the wrapper recorded for that job.
backend_pid() {
	for rec in "$tmp"/backends/*; do
		grep -q "^job=$1 " "$rec" 2>/dev/null && { echo "${rec##*/}"; return 0; }
	done
	return 1
}

# group_members PGID: live processes in that process group.
group_members() {
	for st in /proc/[0-9]*/stat; do
		sed -n "s/^\([0-9]*\) (.*) [^Z] [0-9]* $1 .*/\1/p" "$st" 2>/dev/null
	done
}

# port_free: libparclass's own view (parclassctl waiters, run like the
# backend) - nobody holds LPT1 and nobody waits for it.
port_free() {
	set -- env UMOCKDEV_DIR="$sim_dir" PARCLASS_RUNTIME_DIR="$tmp/run" \
		LD_PRELOAD="${asan:+$asan:}$sim_preload" ASAN_OPTIONS=detect_leaks=0 \
		"$PARCLASSCTL" waiters LPT1
	[ "$(id -u)" = 0 ] && set -- setpriv --reuid="$run_user" --regid="$run_group" --clear-groups "$@"
	_out=$(timeout 10 "$@" 2>&1)
	[ "$_out" = "$(printf 'holder: none\nwaiters: 0')" ] || { echo "parclassctl waiters LPT1: $_out"; return 1; }
}

# ---------------------------------------------------------------------------
# cupsd

# (free_port, write_cupsd_conf, start_cupsd, the bounded client commands;
# the client environment: our cupsd only)
. "$(dirname "$0")/cupsd.sh"

# ---------------------------------------------------------------------------
# Jobs and states (queue q)

queue_uri() { echo "ipp://127.0.0.1:$port/printers/q"; }

# submit FILE: print FILE on q; sets job.
submit() {
	out=$(lp -d q -t "${1##*/}" "$1" 2>&1)
	job=$(echo "$out" | sed -n 's/^request id is q-\([0-9][0-9]*\) .*/\1/p')
	[ -n "$job" ] || { echo "lp failed: $out"; return 1; }
}

job_state() { # JOB: pending, processing, completed, canceled, aborted...
	ipptool -c -d job_id="$1" "$(queue_uri)" "$cups_tests/job-state.test" 2>/dev/null | sed -n 2p
}

reasons() { # the queue's printer-state-reasons, comma-separated
	ipptool -c "$(queue_uri)" "$cups_tests/printer-state.test" 2>/dev/null | sed -n 2p | tr -d '"'
}

job_is() { [ "$(job_state "$1")" = "$2" ]; }     # JOB STATE
job_over() { case $(job_state "$1") in completed | canceled | aborted) return 0 ;; esac; return 1; }

# job_ends JOB STATE SECONDS: the job ends within SECONDS, in STATE.
job_ends() {
	wait_until "$3" job_over "$1" || { echo "job $1 still $(job_state "$1") after $3 s"; return 1; }
	_state=$(job_state "$1")
	[ "$_state" = "$2" ] || { echo "job $1 ended $_state, not $2"; return 1; }
}
reason_shown() { case ,$(reasons), in *,"$1",*) return 0 ;; esac; return 1; }
reason_gone() { ! reason_shown "$1"; }

# session_over PID: the backend has exited and the printer saw it let go of
# the port (as many releases as claims), so that its .prn file is complete.
session_over() {
	dead "$1" || return 1
	claims=$(grep -c "^parport0 claim pid=$1\$" "$sim_rec/events.log")
	releases=$(grep -c "^parport0 release pid=$1\( \|\$\)" "$sim_rec/events.log")
	[ "$claims" = "$releases" ]
}

# prn_mark: remember which recordings exist; received FILE: the data of the
# recordings made since, in order, into FILE.
recordings() { # parport0-NNNN.prn, in order (LC_ALL=C globbing)
	for f in "$sim_rec"/parport0-[0-9]*.prn; do
		[ -f "$f" ] && echo "${f##*/}"
	done
}
prn_mark() { recordings >"$tmp/prn.before"; }
received() {
	recordings | comm -13 "$tmp/prn.before" - >"$tmp/prn.new"
	: >"$1"
	while read -r f; do cat "$sim_rec/$f" >>"$1"; done <"$tmp/prn.new"
	[ -s "$tmp/prn.new" ]
}

# same_bytes PAYLOAD: what the printer received since prn_mark is PAYLOAD.
same_bytes() {
	if ! received "$tmp/received"; then
		echo "the printer recorded no data"
		return 1
	fi
	cmp "$1" "$tmp/received" || {
		echo "sent $(wc -c <"$1") bytes, the printer received $(wc -c <"$tmp/received") in $(tr '\n' ' ' <"$tmp/prn.new")"
		return 1
	}
}

# print_and_check FILE: print FILE, wait until the job completed and the
# backend let go of the port, compare the bytes. Sets job.
print_and_check() {
	prn_mark
	submit "$1" || return 1
	job_ends "$job" completed "$eventually" || return 1
	pid=$(backend_pid "$job") || { echo "no backend ran for job $job"; return 1; }
	wait_until "$eventually" session_over "$pid" || { echo "backend $pid did not let go of the port"; return 1; }
	same_bytes "$1"
}

# reset_queue: no job left over from a failed test in the way of the next.
no_active_jobs() { [ -z "$(lpstat -o q 2>/dev/null)" ]; }
reset_queue() {
	no_active_jobs && return 0
	cancel -a q 2>/dev/null
	wait_until "$eventually" no_active_jobs || echo "jobs still queued: $(lpstat -o q 2>&1)"
}

# Diagnostics for a failed job test: what cupsd, the backend and the
# printer said.
job_diag() { # JOB
	{
		echo "job $1: $(job_state "$1"); queue reasons: $(reasons)"
		echo "--- cupsd error_log, job $1 (backend messages are the DEBUG lines):"
		grep "\[Job $1\]" "$tmp/log/error_log" | tail -n 40
		echo "--- backends run (backends/PID):"
		grep . "$tmp"/backends/* 2>/dev/null | sed "s|^$tmp/backends/||"
		echo "--- simulator events (tail):"
		tail -n 20 "$sim_rec/events.log" 2>/dev/null
		grep -v "note: clients running as root" "$tmp/log/sim.log" | tail -n 10
	} | diag
}

cupsd_diag() {
	{
		echo "--- cupsd error_log (tail):"
		tail -n 30 "$tmp/log/error_log"
		cat "$tmp/log/cupsd.log"
	} | diag
}

# ===========================================================================
# The tests

# The memory check is a test only when something checks memory.
[ -n "$valgrind" ] || [ -n "$asan" ] || TESTS=$((TESTS - 1))
echo "1..$TESTS"
note "backend $backend${asan:+ (ASan)}${valgrind:+ under valgrind}; state in $tmp"

write_wrapper
start_sim sim1 >"$tmp/log/start_sim" 2>&1 || { diag <"$tmp/log/start_sim"; bail "the simulator did not start"; }

# --- 1 -----------------------------------------------------------------------
if start_cupsd >"$tmp/log/start_cupsd" 2>&1; then
	ok "private cupsd is running on 127.0.0.1:$port (User $run_user)"
else
	not_ok "private cupsd is running"
	diag <"$tmp/log/start_cupsd"
	bail "no cupsd"
fi

# --- 2 -----------------------------------------------------------------------
lpinfo --timeout 30 -v --include-schemes parclass >"$tmp/lpinfo-v" 2>&1
lpinfo --timeout 30 -l -v --include-schemes parclass >"$tmp/lpinfo-lv" 2>&1
uri=$(awk -v d="parclass:$DEVICE" '$1 == "direct" && $2 == d { print $2; exit }' "$tmp/lpinfo-v")
# lpinfo -l: "Device: uri = URI" then "class = ...", "make-and-model = ..."
mm=$(awk -v u="parclass:$DEVICE" '
	$1 == "Device:" { this = ($4 == u) }
	this && $1 == "make-and-model" { sub(/^[^=]*= /, ""); print; exit }' "$tmp/lpinfo-lv")
if [ -n "$uri" ] && [ "$mm" = "$MODEL_NAME" ]; then
	ok "lpinfo lists direct $uri, make and model \"$mm\""
else
	not_ok "lpinfo lists direct parclass:$DEVICE, make and model \"$MODEL_NAME\""
	{
		echo "lpinfo -v:"; cat "$tmp/lpinfo-v"
		echo "lpinfo -l -v:"; cat "$tmp/lpinfo-lv"
		echo "the backend's discovery run directly as $run_user:"
		if [ "$(id -u)" = 0 ]; then
			setpriv --reuid="$run_user" --regid="$run_group" --clear-groups "$tmp/bin/backend/parclass" 2>&1
		else
			"$tmp/bin/backend/parclass" 2>&1
		fi
	} | diag
	cupsd_diag
	bail "no printer to test with"
fi

# --- 3 -----------------------------------------------------------------------
if lpadmin -p q -v "$uri" -m raw -E >"$tmp/lpadmin.log" 2>&1 &&
	[ "$(lpstat -v q 2>/dev/null)" = "device for q: $uri" ]; then
	ok "lpadmin created the raw queue q on $uri"
else
	not_ok "lpadmin created the raw queue q on $uri"
	{ cat "$tmp/lpadmin.log"; lpstat -v q; } 2>&1 | diag
	cupsd_diag
	bail "no queue"
fi

# --- 4 -----------------------------------------------------------------------
# A raw queue: cupsd hands the backend the spool file, unfiltered.
t4() {
	make_payload "$tmp/jobs/plain" 307200
	print_and_check "$tmp/jobs/plain" || return 1
	grep -q " uid=$(id -u "$run_user") " "$tmp/backends/$pid" ||
		{ echo "the backend did not run as $run_user: $(cat "$tmp/backends/$pid")"; return 1; }
}
job=
if t4 >"$tmp/log/t4" 2>&1; then
	ok "job $job (300 KiB binary) completed; the printer received exactly its bytes"
else
	not_ok "a 300 KiB binary job completes and the printer receives exactly its bytes"
	diag <"$tmp/log/t4"
	job_diag "${job:-0}"
fi

# --- 5 -----------------------------------------------------------------------
# Paper runs out before the job: the backend must say so (the queue shows
# media-empty-error), wait, and go on when the tray is refilled.
t5() {
	reset_queue
	paper_out || { echo "the simulator did not start the paper fault"; return 1; }
	make_payload "$tmp/jobs/paper" 204800
	prn_mark
	submit "$tmp/jobs/paper" || return 1
	if ! wait_until "$eventually" reason_shown media-empty-error; then
		echo "no media-empty-error within $eventually s; reasons: $(reasons)"
		return 1
	fi
	state=$(job_state "$job")
	[ "$state" = processing ] || { echo "job $job is $state while out of paper"; return 1; }
	paper_back || { echo "the simulator did not end the paper fault"; return 1; }
	job_ends "$job" completed "$eventually" || return 1
	pid=$(backend_pid "$job") || { echo "no backend ran for job $job"; return 1; }
	wait_until "$eventually" session_over "$pid" || { echo "backend $pid did not let go of the port"; return 1; }
	same_bytes "$tmp/jobs/paper" || return 1
	wait_until "$eventually" reason_gone media-empty-error || { echo "media-empty-error still shown: $(reasons)"; return 1; }
}
job=
if t5 >"$tmp/log/t5" 2>&1; then
	ok "paper out: job $job waited with media-empty-error, then completed byte-identical; the reason is gone"
else
	not_ok "paper out: media-empty-error while waiting, job completes byte-identical, reason cleared"
	diag <"$tmp/log/t5"
	job_diag "${job:-0}"
fi

# --- 6 -----------------------------------------------------------------------
# Cancel a job the printer does not take (out of paper). cupsd sends the
# backend SIGTERM; the job must be canceled at once, every process of the
# backend gone, and the port free for the next job. A simulator's fault
# fires once per run: a fresh simulator (the printer power-cycled) gives
# this test its own paper-out.
# How fast is make bench's figure; here only that the cancel ends it all.
cancel_limit=$eventually
t6() {
	reset_queue
	stop_sim
	start_sim sim2 || return 1
	paper_out || { echo "the simulator did not start the paper fault"; return 1; }
	make_payload "$tmp/jobs/cancelled" 307200
	submit "$tmp/jobs/cancelled" || return 1
	cancelled=$job
	if ! wait_until "$eventually" reason_shown media-empty-error; then
		echo "no media-empty-error within $eventually s; reasons: $(reasons)"
		return 1
	fi
	state=$(job_state "$job")
	[ "$state" = processing ] || { echo "job $job is $state while out of paper"; return 1; }
	pid=$(backend_pid "$job") || { echo "no backend ran for job $job"; return 1; }
	pgid=$(sed -n 's/.* pgid=\([0-9][0-9]*\)$/\1/p' "$tmp/backends/$pid")
	[ -n "$pgid" ] || { echo "no process group recorded for backend $pid"; return 1; }
	alive "$pid" || { echo "backend $pid of job $job is not running"; return 1; }
	cancel "q-$job" || return 1
	start=$(date +%s)
	job_ends "$job" canceled "$cancel_limit" || return 1
	wait_until $((start + cancel_limit - $(date +%s))) dead "$pid" ||
		{ echo "backend $pid still running $cancel_limit s after cancel"; return 1; }
	left=$(group_members "$pgid")
	[ -z "$left" ] || { echo "processes of the backend's group $pgid still running: $left"; return 1; }
	echo "job $job canceled, backend $pid gone after $(($(date +%s) - start)) s"
	wait_until "$eventually" session_over "$pid" || { echo "the printer did not see backend $pid let go of the port"; return 1; }
	if [ -n "${PARCLASSCTL:-}" ]; then
		port_free || return 1
	fi
	# The port is free again: with paper back, the next job prints.
	paper_back || { echo "the simulator did not end the paper fault"; return 1; }
	make_payload "$tmp/jobs/after-cancel" 65536
	print_and_check "$tmp/jobs/after-cancel" || return 1
	wait_until "$eventually" reason_gone media-empty-error || { echo "media-empty-error still shown: $(reasons)"; return 1; }
}
job=
cancelled=
if t6 >"$tmp/log/t6" 2>&1; then
	ok "cancel: job $cancelled (stalled on paper out) canceled within ${cancel_limit} s, no backend left, next job $job printed"
else
	not_ok "cancel: stalled job canceled within ${cancel_limit} s, no backend left, port released for the next job"
	diag <"$tmp/log/t6"
	[ -n "$cancelled" ] && [ "$cancelled" != "${job:-}" ] && job_diag "$cancelled"
	job_diag "${job:-0}"
fi

# ===========================================================================
# The PPD queue: the parclass filters and PPDs (ppd/, filters/) on the same
# printer, through the Debian filters that make the PostScript.

pjl_uri() { echo "ipp://127.0.0.1:$port/printers/pjl"; }
pjl_job_state() { ipptool -c -d job_id="$1" "$(pjl_uri)" "$cups_tests/job-state.test" 2>/dev/null | sed -n 2p; }
pjl_job_attr() { # JOB TEST: the value, without CSV quotes
	ipptool -c -d job_id="$1" "$(pjl_uri)" "$cups_tests/$2.test" 2>/dev/null | sed -n 2p | sed 's/^"//; s/"$//'
}
pjl_reasons() { ipptool -c "$(pjl_uri)" "$cups_tests/printer-state.test" 2>/dev/null | sed -n 2p | tr -d '"'; }
pjl_reason_shown() { case ,$(pjl_reasons), in *,"$1",*) return 0 ;; esac; return 1; }
pjl_reason_gone() { ! pjl_reason_shown "$1"; }
pjl_job_over() { case $(pjl_job_state "$1") in completed | canceled | aborted) return 0 ;; esac; return 1; }
pjl_job_ends() { # JOB STATE SECONDS
	wait_until "$3" pjl_job_over "$1" || { echo "job $1 still $(pjl_job_state "$1") after $3 s"; return 1; }
	_state=$(pjl_job_state "$1")
	[ "$_state" = "$2" ] || { echo "job $1 ended $_state, not $2"; return 1; }
}
# pjl_submit FILE TITLE [lp options...]: sets job.
pjl_submit() {
	_f=$1 _t=$2
	shift 2
	out=$(lp -d pjl -t "$_t" "$@" "$_f" 2>&1)
	job=$(echo "$out" | sed -n 's/^request id is pjl-\([0-9][0-9]*\) .*/\1/p')
	[ -n "$job" ] || { echo "lp failed: $out"; return 1; }
}
# job_log JOB: what cupsd logged for the job (the filters' and the backend's lines).
job_log() { grep "\[Job $1\]" "$tmp/log/error_log"; }

# A PostScript document of PAGES pages, as an application would write it.
make_ps() { # FILE PAGES
	{
		printf '%%!PS-Adobe-3.0\n%%%%Pages: %d\n%%%%EndComments\n' "$2"
		i=1
		while [ "$i" -le "$2" ]; do
			printf '%%%%Page: %d %d\n/Courier findfont 24 scalefont setfont\n' "$i" "$i"
			printf '72 700 moveto (parclass test-cups.sh page %d) show\n' "$i"
			# Some bulk, so that a fault "after N bytes" falls inside the page data.
			j=0
			while [ "$j" -lt 40 ]; do
				printf '72 %d moveto (line %d of the page, for the byte count) show\n' $((650 - j * 14)) "$j"
				j=$((j + 1))
			done
			printf 'showpage\n'
			i=$((i + 1))
		done
		printf '%%%%EOF\n'
	} >"$1"
}

# --- 7 -----------------------------------------------------------------------
ppd_ps=
ppd_pcl=
lpinfo --timeout 30 -m >"$tmp/lpinfo-m" 2>&1
ppd_ps=$(awk '$0 ~ /Generic PJL PostScript Laser Printer, parclass/ { print $1; exit }' "$tmp/lpinfo-m")
ppd_pcl=$(awk '$0 ~ /Generic PJL PCL Laser Printer, parclass/ { print $1; exit }' "$tmp/lpinfo-m")
if [ -n "$ppd_ps" ] && [ -n "$ppd_pcl" ]; then
	ok "lpinfo -m lists the parclass PPDs: $ppd_ps, $ppd_pcl"
else
	not_ok "lpinfo -m lists the parclass PostScript and PCL PPDs"
	{ echo "lpinfo -m (parclass lines):"; grep -i parclass "$tmp/lpinfo-m"; tail -n 5 "$tmp/lpinfo-m"; } | diag
fi

# --- 8 -----------------------------------------------------------------------
# A fresh printer whose door opens during its first job (test 10).
t8() {
	reset_queue
	stop_sim
	model=$cups_tests/laser-door-open.model
	start_sim sim3 || return 1
	[ -n "$ppd_ps" ] || { echo "no PPD from lpinfo -m"; return 1; }
	lpadmin -p pjl -v "$uri" -m "$ppd_ps" -E || return 1
	[ "$(lpstat -v pjl 2>/dev/null)" = "device for pjl: $uri" ] || { lpstat -v pjl; return 1; }
	# CUPS matched the device ID's command set to the PPD's filters.
	lpoptions -p pjl -l | grep -q '^JCLDuplex/' || { echo "no JCLDuplex option:"; lpoptions -p pjl -l; return 1; }
}
if t8 >"$tmp/log/t8" 2>&1; then
	ok "lpadmin -m $ppd_ps created the queue pjl on $uri"
else
	not_ok "lpadmin -m (the PostScript PPD) creates the queue pjl on $uri"
	diag <"$tmp/log/t8"
	cupsd_diag
fi

# --- 9 -----------------------------------------------------------------------
# A two-page PostScript document through pstops and parclass-pjl: the printer
# receives it inside the PJL wrapper with the job's name, and its own page
# count (USTATUS JOB END) is what CUPS records, after which the job is done.
t9() {
	make_ps "$tmp/jobs/report.ps" 2
	prn_mark
	pjl_submit "$tmp/jobs/report.ps" 'Quarterly "report"' -o JCLDuplex=DuplexNoTumble || return 1
	pjl_job_ends "$job" completed 60 || return 1
	pid=$(backend_pid "$job") || { echo "no backend ran for job $job"; return 1; }
	wait_until "$eventually" session_over "$pid" || { echo "backend $pid did not let go of the port"; return 1; }
	received "$tmp/received" || { echo "the printer recorded no data"; return 1; }
	name="$job Quarterly 'report'"
	head=$(printf '\033%%-12345X@PJL\r\n@PJL USTATUS DEVICE=ON\r\n@PJL USTATUS JOB=ON\r\n@PJL USTATUS PAGE=ON\r\n@PJL JOB NAME="%s"\r\n' "$name")
	tail=$(printf '\033%%-12345X@PJL EOJ NAME="%s"\r\n\033%%-12345X' "$name")
	got_head=$(head -c "${#head}" "$tmp/received")
	[ "$got_head" = "$head" ] || { echo "the data does not start with the PJL header:"; head -c 300 "$tmp/received" | od -c | head -n 20; return 1; }
	got_tail=$(tail -c "${#tail}" "$tmp/received")
	[ "$got_tail" = "$tail" ] || { echo "the data does not end with the EOJ:"; tail -c 100 "$tmp/received" | od -c; return 1; }
	grep -q -a '^@PJL SET DUPLEX=ON' "$tmp/received" || { echo "no @PJL SET DUPLEX=ON"; return 1; }
	grep -q -a '^@PJL ENTER LANGUAGE=POSTSCRIPT' "$tmp/received" || { echo "no ENTER LANGUAGE=POSTSCRIPT"; return 1; }
	[ "$(grep -c -a '^%%Page: ' "$tmp/received")" = 2 ] || { echo "not two pages of PostScript"; return 1; }
	# (cupsd logs quotes escaped)
	job_log "$job" | grep -q "The printer ended PJL job .*\"$job Quarterly .*report.*\" (2 pages)" ||
		{ echo "the backend did not see the printer's job END"; return 1; }
	job_log "$job" | grep -q -F "PAGE: total 2" || { echo "no PAGE: total 2"; return 1; }
	pages=$(pjl_job_attr "$job" job-attr-impressions)
	[ "$pages" = 2 ] || { echo "job-impressions-completed is '$pages', not 2"; return 1; }
	grep -q "^pjl [^ ]* $job " "$tmp/log/page_log" 2>/dev/null ||
		{ echo "no page_log entry for job $job:"; cat "$tmp/log/page_log" 2>/dev/null; return 1; }
}
job=
if t9 >"$tmp/log/t9" 2>&1; then
	ok "PostScript job $job: the printer got it in the PJL wrapper named \"$job Quarterly 'report'\"; its job END (2 pages) completed the job, job-impressions-completed=2"
else
	not_ok "a PostScript job arrives PJL-wrapped with its name; the printer's page count reaches CUPS"
	diag <"$tmp/log/t9"
	job_diag "${job:-0}"
fi

# --- 10 ----------------------------------------------------------------------
# The printer's door opens 2000 bytes into that first job... the job above.
# It must have shown as door-open-error while it lasted: the backend read
# the printer's USTATUS DEVICE 40021. The reason is gone now.
t10() {
	job_log "${job_t9:-0}" | grep -q 'STATE: +.*door-open-error' ||
		{ echo "the backend never reported door-open-error"; job_log "${job_t9:-0}" | grep 'STATE:\|PJL status'; return 1; }
	job_log "${job_t9:-0}" | grep -q 'STATE: -.*door-open-error' ||
		{ echo "door-open-error was never cleared"; return 1; }
	pjl_reason_gone door-open-error || { echo "door-open-error still shown: $(pjl_reasons)"; return 1; }
}
job_t9=$job
if t10 >"$tmp/log/t10" 2>&1; then
	ok "the printer's door opened mid-job: printer-state-reasons showed door-open-error from its PJL status, then cleared"
else
	not_ok "a door opened mid-job shows as door-open-error and clears"
	diag <"$tmp/log/t10"
fi

# --- 11 ----------------------------------------------------------------------
# CUPS's ReportStatus command: parclass-command asks @PJL INFO STATUS and
# reads the printer's answer from the back channel the backend fills.
t11() {
	printf '#CUPS-COMMAND\nReportStatus\n' >"$tmp/jobs/status.cmd"
	pjl_submit "$tmp/jobs/status.cmd" "status" -o document-format=application/vnd.cups-command || return 1
	pjl_job_ends "$job" completed 60 || return 1
	job_log "$job" | grep -q -F 'parclass-command: status 10001 \"00 READY\" online=1' ||
		{ echo "parclass-command did not get the answer"; return 1; }
	# The answer became the queue's printer-state-message: cupsd logs that
	# where it sets it (the filter and the backend, which reads the same
	# answer on its way to the filter, both report it; whichever cupsd reads
	# first sets it). As after every job that logged no error, cupsd cleared
	# it at the end; printer-alert-description keeps the printer's words.
	job_log "$job" | grep -q -F 'Set job-printer-state-message to "00 READY"' ||
		{ echo "cupsd did not set the state message from parclass-command's report"; return 1; }
	alert=$(ipptool -c "$(pjl_uri)" "$cups_tests/printer-attr-alert.test" 2>/dev/null | sed -n 2p | tr -d '"')
	[ "$alert" = "00 READY" ] || { echo "printer-alert-description is '$alert'"; return 1; }
	grep -q '^parport0 pjl @PJL INFO STATUS' "$sim_rec/events.log" || { echo "the printer was not asked"; return 1; }
}
job=
if t11 >"$tmp/log/t11" 2>&1; then
	ok "ReportStatus job $job: the printer's INFO STATUS \"00 READY\" became the queue's state message and alert"
else
	not_ok "a ReportStatus command sets the queue's state message from the printer's INFO STATUS"
	diag <"$tmp/log/t11"
	job_diag "${job:-0}"
fi

# --- 12 ----------------------------------------------------------------------
# The PCL PPD: the document goes through cups-filters to CUPS raster and
# through parclass-pjl, which runs CUPS's rastertohp for the PCL. The
# printer gets rastertohp's PCL in the PJL wrapper and counts the page.
t12() {
	reset_queue
	[ -n "$ppd_pcl" ] || { echo "no PCL PPD from lpinfo -m"; return 1; }
	lpadmin -p pcl -v "$uri" -m "$ppd_pcl" -E || return 1
	make_ps "$tmp/jobs/memo.ps" 1
	prn_mark
	out=$(lp -d pcl -t memo -o Resolution=300dpi "$tmp/jobs/memo.ps" 2>&1)
	job=$(echo "$out" | sed -n 's/^request id is pcl-\([0-9][0-9]*\) .*/\1/p')
	[ -n "$job" ] || { echo "lp failed: $out"; return 1; }
	state=
	wait_until 120 eval '[ "$(ipptool -c -d job_id="$job" "ipp://127.0.0.1:$port/printers/pcl" "$cups_tests/job-state.test" 2>/dev/null | sed -n 2p)" = completed ]' ||
		{ echo "job $job did not complete within 120 s"; return 1; }
	pid=$(backend_pid "$job") || { echo "no backend ran for job $job"; return 1; }
	wait_until "$eventually" session_over "$pid" || { echo "backend $pid did not let go of the port"; return 1; }
	received "$tmp/received" || { echo "the printer recorded no data"; return 1; }
	head=$(printf '\033%%-12345X@PJL\r\n@PJL USTATUS DEVICE=ON\r\n@PJL USTATUS JOB=ON\r\n@PJL USTATUS PAGE=ON\r\n@PJL JOB NAME="%s memo"\r\n' "$job")
	[ "$(head -c "${#head}" "$tmp/received")" = "$head" ] ||
		{ echo "the data does not start with the PJL header:"; head -c 300 "$tmp/received" | od -c | head -n 20; return 1; }
	grep -q -a "^@PJL SET RESOLUTION=300" "$tmp/received" || { echo "no @PJL SET RESOLUTION=300"; return 1; }
	grep -q -a "$(printf '^@PJL ENTER LANGUAGE=PCL\r$')" "$tmp/received" || { echo "no ENTER LANGUAGE=PCL"; return 1; }
	# rastertohp's raster graphics at 300 dpi
	grep -q -a "$(printf '\033\\*t300R')" "$tmp/received" || { echo "no PCL raster at 300 dpi from rastertohp"; return 1; }
	grep "\[Job $job\]" "$tmp/log/error_log" | grep -q "The printer ended PJL job .*(1 pages)" ||
		{ echo "the printer's job END with 1 page did not reach the backend"; return 1; }
}
job=
if t12 >"$tmp/log/t12" 2>&1; then
	ok "PCL queue, job $job: cups-filters' raster, rastertohp's PCL at 300 dpi in the PJL wrapper; the printer counted 1 page"
else
	not_ok "a job on the PCL PPD's queue arrives as rastertohp's PCL in the PJL wrapper and is counted"
	diag <"$tmp/log/t12"
	job_diag "${job:-0}"
fi

# --- 13 ----------------------------------------------------------------------
# valgrind's errors and definite leaks are "==PID==" lines in its logs
# ("--PID--" lines are notes); ASan, LSan and UBSan report on the backend's
# stderr, which cupsd logged.
stop "$cupsd_pid"      # every backend has exited: all logs are complete
cupsd_pid=
memcheck_report() {
	for log in "$tmp"/memcheck/vg.*.log; do
		[ -f "$log" ] && grep -q '^==[0-9]*==' "$log" && { echo "--- $log"; head -n 100 "$log"; }
	done
	# cupsd logs them line by line as "[Job N] ..." ("[CGI] ..." for discovery)
	grep -q -E '==[0-9]+==ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$tmp/log/error_log" &&
		grep -E '==[0-9]+==|runtime error: |SUMMARY: |\] #[0-9]+ 0x|(Direct|Indirect) leak' \
			"$tmp/log/error_log" | head -n 100
}
if [ -n "$valgrind" ] || [ -n "$asan" ]; then
	what=${valgrind:+valgrind}${asan:+ASan/UBSan}
	memcheck_report >"$tmp/log/t7"
	runs=0
	for log in "$tmp"/memcheck/vg.*.log; do
		[ -f "$log" ] && runs=$((runs + 1))
	done
	if [ -n "$valgrind" ] && [ "$runs" = 0 ]; then
		not_ok "the backend ran under valgrind (no valgrind log)"
	elif [ -s "$tmp/log/t7" ]; then
		not_ok "the backend ran clean under $what"
		diag <"$tmp/log/t7"
	else
		ok "the backend ran clean under $what${valgrind:+ ($runs runs)}"
	fi
fi

# The TAP lines carry the results; the status is for runs by hand.
exit $failed
