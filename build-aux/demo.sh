#!/bin/bash
# demo.sh - the README's first command: set up, build, and run the main job on
# the embedded default, the virtual printer.
#
# For now (the backend comes later) it shows parclass-sim serving a printer:
# a client finds the port, reads the printer's device ID and sends it a PJL
# job; then you see what the printer received and what it said back.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${BUILDDIR:-$srcdir/build}
"$srcdir/build-aux/setup.sh" "$builddir"

record=$(mktemp -d "${TMPDIR:-/tmp}/parclass-demo.XXXXXX")
sim="$builddir/sim/parclass-sim"

echo "== parclass-sim --serve: a virtual IEEE 1284 printer on an emulated /dev/parport0"
"$sim" --record "$record" --serve > "$record/env.sh" &
simpid=$!
trap 'kill $simpid 2>/dev/null || true; wait $simpid 2>/dev/null || true' EXIT
# parclass-sim prints the client environment and closes stdout when ready.
while kill -0 $simpid 2>/dev/null && ! grep -q PARCLASS_SIM_PID "$record/env.sh"; do
	sleep 0.1
done
sed 's/^/   /' "$record/env.sh"

echo
echo "== a client (libieee1284) under that environment"
(
	# shellcheck disable=SC1091
	. "$record/env.sh"
	# No raw I/O port access for the client, even as root: the emulation only.
	if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
		exec setpriv --bounding-set=-sys_rawio -- "$builddir/sim/sim-demo"
	fi
	exec "$builddir/sim/sim-demo"
)

kill $simpid
wait $simpid || true
trap - EXIT

echo
echo "== what the printer received ($record/parport0-0001.prn)"
od -c "$record/parport0-0001.prn" | sed 's/^/   /'
echo
echo "== what the printer saw happen ($record/events.log)"
sed 's/^/   /' "$record/events.log"
