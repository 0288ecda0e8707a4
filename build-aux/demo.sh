#!/bin/bash
# demo.sh - the README's first command: set up, build, and run the main job on
# the embedded default, the virtual printer.
#
# parclass-sim serves its built-in printer (a PJL laser) on an emulated
# /dev/parport0; the parclass CUPS backend, run as cupsd runs it, discovers
# it (what "lpinfo -v" shows) and prints a PJL job to it in ECP mode, with
# the back channel (fd 3) kept in a file. Then you see what the printer
# received, what it said back, and what the simulator saw happen. Last,
# parclassd, the device service, watches a printer between jobs on a
# private system bus: its objects, and the printer running out of paper and
# getting it back while no job runs, as any D-Bus client (gdbus) sees it.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${BUILDDIR:-$srcdir/build}
"$srcdir/build-aux/setup.sh" "$builddir"

demo=$(mktemp -d "${TMPDIR:-/tmp}/parclass-demo.XXXXXX")
record=$demo/record
sim="$builddir/sim/parclass-sim"
backend="$builddir/backend/parclass"

echo "== parclass-sim --serve: a virtual IEEE 1284 printer on an emulated /dev/parport0"
"$sim" --record "$record" --serve > "$demo/env.sh" &
simpid=$!
trap 'kill $simpid 2>/dev/null || true; wait $simpid 2>/dev/null || true' EXIT
# parclass-sim prints the client environment and closes stdout when ready.
while kill -0 $simpid 2>/dev/null && ! grep -q PARCLASS_SIM_PID "$demo/env.sh"; do
	sleep 0.1
done
sed 's/^/   /' "$demo/env.sh"

# The backend under that environment, with a runtime directory of its own,
# and without raw I/O port access even as root: the emulation only.
run_backend() {
	(
		# shellcheck disable=SC1091
		. "$demo/env.sh"
		export PARCLASS_RUNTIME_DIR=$demo/run
		if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
			exec setpriv --bounding-set=-sys_rawio -- "$backend" "$@"
		fi
		exec "$backend" "$@"
	)
}

echo
echo "== discovery: parclass with no arguments (what lpinfo -v lists)"
run_backend > "$demo/devices"
sed 's/^/   /' "$demo/devices"
uri=$(awk 'NR == 1 { print $2 }' "$demo/devices")

# A PJL job as a filter would send it: job status on, a name, two pages.
printf '\033%%-12345X@PJL USTATUS DEVICE=ON\r\n@PJL USTATUS JOB=ON\r\n@PJL USTATUS PAGE=ON\r\n' > "$demo/job.pcl"
printf '@PJL JOB NAME="parclass demo"\r\n@PJL INFO STATUS\r\n@PJL ENTER LANGUAGE=PCL\r\n' >> "$demo/job.pcl"
printf 'Page one, printed by the parclass backend.\r\n\fPage two.\r\n\f' >> "$demo/job.pcl"
printf '\033%%-12345X@PJL EOJ NAME="parclass demo"\r\n\033%%-12345X' >> "$demo/job.pcl"

echo
echo "== a print job: DEVICE_URI=$uri parclass 1 demo demo 1 '' job.pcl 3>backchannel"
echo "   (the lines cupsd would read on the backend's stderr)"
set +e
DEVICE_URI=$uri run_backend 1 demo demo 1 '' "$demo/job.pcl" 2>&1 3>"$demo/backchannel" | sed 's/^/   /'
status=${PIPESTATUS[0]}
set -e
echo "   exit status $status (0 is CUPS_BACKEND_OK: every byte reached the printer)"

kill $simpid
wait $simpid || true
trap - EXIT

echo
echo "== what the printer received ($record/parport0-0001.prn)"
od -c "$record/parport0-0001.prn" | sed 's/^/   /'
echo
echo "== what the printer said back on the back channel (fd 3, for the filters)"
sed 's/\r$//; s/\f/<FF>\n/g' "$demo/backchannel" | sed '/^$/d; s/^/   /'
echo
echo "== what the printer saw happen ($record/events.log)"
sed 's/^/   /' "$record/events.log"

# ---------------------------------------------------------------------------
# parclassd between jobs. The test suites' helpers start a simulator, a
# private bus configured as a system bus (with the project's bus policy)
# and parclassd on them; every wait is bounded.
echo
echo "== parclassd, the device service, on a private system bus"
if [ "$(id -u)" -ne 0 ]; then
	echo "   (skipped: the bus policy lets root or user parclass own the service's name; run as root)"
	echo
	echo "(all of it is in $demo)"
	exit $status
fi
tmp=$demo/service
mkdir -p "$tmp"
PARCLASS_SIM=$sim PARCLASS_SRCDIR=$srcdir PARCLASS_BUILDDIR=$builddir
# shellcheck source=/dev/null
. "$srcdir/tests/tap.sh"
# shellcheck source=/dev/null
. "$srcdir/tests/suite.sh"
# shellcheck source=/dev/null
. "$srcdir/tests/service-bus.sh"
cleanup() {
	# (stop reaps with wait, which gives 128+15: not a failure of the demo)
	for p in ${monitor_pid:-} ${daemon_pid:-} ${bus_pid:-} ${sim_pid:-}; do stop "$p" || true; done
}
trap cleanup EXIT
start_sim "$srcdir/sim/models/paper-tray.model"
start_bus
start_daemon --poll-interval 500
wait_until "$eventually" owned || bail "parclassd did not take its bus name: $(cat "$tmp/daemon.log")"
device=$ROOT/parport0_end
shown() { prop "$device" Device ObservedBy | grep -q '"probe"'; }
wait_until "$eventually" shown || bail "parclassd did not probe the printer"
echo "   busctl tree $NAME"
busctl --address="$A" tree "$NAME" | sed 's/^/   /'
for p in Location Uri Make Model StatusNames Reasons ObservedBy; do
	printf '   %-12s %s\n' "$p" "$(prop "$device" Device "$p")"
done

echo
echo "== the printer runs out of paper while no job runs (kill -USR2 parclass-sim), then gets it back (-USR1)"
echo "   gdbus monitor --system --dest $NAME, the PropertiesChanged signals:"
gdbus monitor --address "$A" --dest "$NAME" >"$tmp/monitor" 2>&1 &
monitor_pid=$!
wait_until "$eventually" grep -q "is owned by" "$tmp/monitor" || bail "gdbus monitor did not start"
kill -USR2 "$sim_pid"
wait_until "$eventually" grep -q "media-empty-error" "$tmp/monitor" || bail "parclassd did not see the paper run out"
kill -USR1 "$sim_pid"
paper_back() { grep -q "'Reasons': <@as \[\]>" "$tmp/monitor"; }
wait_until "$eventually" paper_back || bail "parclassd did not see the paper come back"
grep "PropertiesChanged" "$tmp/monitor" | sed 's/^/   /'

echo
echo "(all of it is in $demo)"
exit $status
