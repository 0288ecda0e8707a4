#!/bin/sh
# test-service.sh - parclassd, the device service, end to end on a private
# system bus
#
# What it proves (one TAP line each):
#   1. parclassd owns io.github.parclass.Parclass1 on a private bus whose
#      configuration is a system bus's (the default policy denies method
#      calls) with the source tree's bus policy included;
#   2. the object tree: the ObjectManager with one object per port and per
#      device, at the documented paths (a plain port, a daisy chain, a port
#      that will go);
#   3. the Manager's properties; 4. a Port's; 5. a Device's (location, URI,
#      device ID and its keys, make and model, address, port, modes) and
#      a chain device's;
#   6. an idle probe shows the printer's status: SELECTED, no reasons,
#      observed by "probe";
#   7. paper out in the simulator (SIGUSR2): PropertiesChanged carries the
#      new status, its names and media-empty-error; 8. paper back (SIGUSR1):
#      PropertiesChanged clears them; 9. and further probes that see no
#      change signal nothing;
#  10. RefreshId and Reset as root: allowed, the reset reaches the printer;
#  11. SetSettings: PollInterval changes (PropertiesChanged), a value under
#      200 is InvalidArgs and changes nothing;
#  12. with no polkit on the bus an unprivileged caller (setpriv, uid 65534,
#      no groups) gets NotAuthorized from every method; 13. a member of
#      group lpadmin is allowed;
#  14. with python3-dbusmock's polkitd on the bus: polkit says no, the
#      caller gets NotAuthorized (lpadmin no longer counts); 15. polkit
#      allows the reset action: Reset passes, RefreshId (another action)
#      still does not;
#  16. while parclassctl lock holds a port, its Holder shows parclassctl
#      and RefreshId and Reset answer Busy;
#  17. a program outside parclass with the kernel's claim: ClaimedOutside
#      while it lasts, no Holder;
#  18. a backend job while parclassd probes every 200 ms prints
#      byte-identically, and parclassd never queued for a port (no "claim
#      waits" of its pid in the simulator's events log);
#  19. a port that goes away: Rescan removes its objects (InterfacesRemoved);
#  20. parclassctl monitor LPT1 prints the state, then a change (the
#      Holder) from the service's signals, claiming no port itself, and
#      --json (parsed by python3);
#  21. parclassctl waiters and 22. status show the service's view;
#  23. parclassd stops on SIGTERM with status 0 (under valgrind: no errors);
#  24. a parclassctl monitor started while it ran goes on by polling, and
#      follows parclassd again when it is back on the bus.
# Then a fresh simulator (one paper-out printer) and parclassd:
#  25. a backend job into a printer out of paper: while it waits, Holder
#      is the backend and the Device shows the job's report (ObservedBy
#      "job", media-empty-error; PropertiesChanged); after the job the
#      record stays "job" until the next idle probe ("probe");
#  26. parclassctl monitor LPT1 meanwhile: the state, the job's paper out
#      (job, the backend as holder), the probe's state after it; SIGTERM
#      ends it with status 0;
#  27. parclass lock requests and jobs queueing again and again while
#      parclassd probes every 200 ms: in the simulator's events log every
#      hold of parclassd is one probe step at most, so no request waited
#      longer for it, and no claim ever waited in the kernel for it;
#  28. parclassd started (probing every 10 minutes) while parclass lock
#      holds the port: Holder is the lock, the Device shows the last job's
#      report as "cache" (the enumeration could not look); a second lock's
#      request shows in Waiters, then as the Holder, then Holder is empty:
#      on the queue's events, as no probe is due; a probe once PollInterval
#      is 200 again;
#  29. with no ports and nobody calling, parclassd --exit-idle-time 1 exits
#      with status 0 (and the ones with ports before it did not).
# Then a fresh simulator whose second port is absent (tests/service/
# appear.model) until SIGUSR1, and a fresh parclassd:
#  30. a port that appears: parclassctl list shows it only then, and Rescan
#      adds its objects (InterfacesAdded) with the device's Location, Uri
#      and Model.
#
# How: parclass-sim --serve gives three emulated ports (tests/cups/
# laser-paper-out.model, sim/models/daisy-chain.model, tests/service/
# gone.model); dbus-daemon runs a system-type configuration generated into
# a temporary directory; parclassd --foreground runs on both. The clients
# are busctl and gdbus, independent of parclassd's code. Every wait is for
# an event (a monitor line, the simulator's events log, a property value)
# and bounded by $eventually.
#
# Environment (exported by the test harness): PARCLASS_SIM, PARCLASS_SRCDIR,
# PARCLASS_BUILDDIR, PARCLASS_TEST_TOOL (empty or valgrind), VALGRIND.
# PARCLASS_KEEP_TMP=1 keeps the temporary directory.
#
# Needs root (the bus policy lets root own the name; setpriv makes the
# unprivileged callers) and the packages dbus-daemon, systemd (busctl),
# libglib2.0-bin (gdbus) and python3-dbusmock.
set -u

PATH=$PATH:/usr/sbin:/sbin
LC_ALL=C
export PATH LC_ALL

TESTS=30
PYTHON=/usr/bin/python3   # Debian's, with python3-dbusmock (not a virtualenv's)

. "$(dirname "$0")/tap.sh"
# (eventually, wait_until, alive, dead, stop, remove_tmp, on_exit)
. "$(dirname "$0")/suite.sh"

# ---------------------------------------------------------------------------
# Prerequisites

[ -n "${PARCLASS_SIM:-}" ] && [ -n "${PARCLASS_SRCDIR:-}" ] && [ -n "${PARCLASS_BUILDDIR:-}" ] ||
	bail "set PARCLASS_SIM, PARCLASS_SRCDIR and PARCLASS_BUILDDIR (make check does)"
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (the bus policy, setpriv)"
	exit 0
fi
for cmd in dbus-daemon busctl gdbus setpriv timeout; do
	command -v "$cmd" >/dev/null 2>&1 ||
		bail "$cmd not found: install the packages dbus-daemon, systemd, libglib2.0-bin, util-linux"
done
"$PYTHON" -c 'import dbusmock' 2>/dev/null || bail "python3-dbusmock not found: install the package python3-dbusmock"
getent group lpadmin >/dev/null || bail "group lpadmin missing (it comes with the cups packages)"
lpadmin_gid=$(getent group lpadmin | cut -d: -f3)

# ---------------------------------------------------------------------------
# The temporary tree and its cleanup

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parclass-service.XXXXXX") || bail "mktemp failed"
chmod 0755 "$tmp"     # the unprivileged callers reach the bus socket in it
mkdir "$tmp/run" "$tmp/rec"
# (the programs, start_sim, on_ports, start_bus, start_daemon, prop, call)
. "$(dirname "$0")/service-bus.sh"
monitor_pid= mock_pid=

cleanup() {
	for pid in $monitor_pid $daemon_pid $mock_pid $bus_pid $sim_pid; do
		stop "$pid"
	done
	remove_tmp "$tmp"
}
on_exit cleanup

echo "1..$TESTS"

# ---------------------------------------------------------------------------
# The simulator: three ports

start_sim "$PARCLASS_SRCDIR/tests/cups/laser-paper-out.model" \
	"$PARCLASS_SRCDIR/sim/models/daisy-chain.model" \
	"$PARCLASS_SRCDIR/tests/service/gone.model"

# ---------------------------------------------------------------------------
# The private system bus

start_bus
nobody='--reuid=65534 --regid=65534 --clear-groups'
admin="--reuid=65534 --regid=65534 --groups=$lpadmin_gid"

# ---------------------------------------------------------------------------
# 1. parclassd on the bus

start_daemon --poll-interval 200
if wait_until "$eventually" owned; then
	ok "parclassd owns $NAME on a private system bus"
else
	not_ok "parclassd owns $NAME on a private system bus"
	diag <"$tmp/daemon.log"
	bail "no service"
fi
# Signals from now on (gdbus monitor subscribes before it prints its first line).
gdbus monitor --address "$A" --dest "$NAME" >"$tmp/monitor.log" 2>&1 &
monitor_pid=$!
monitoring() { grep -q "is owned by" "$tmp/monitor.log"; }
wait_until "$eventually" monitoring || bail "gdbus monitor did not start: $(cat "$tmp/monitor.log")"

# ---------------------------------------------------------------------------
# 2.-5. The tree and the properties

expect_tree="$ROOT
$ROOT/parport0
$ROOT/parport0_end
$ROOT/parport1
$ROOT/parport1_0
$ROOT/parport1_1
$ROOT/parport1_end
$ROOT/parport2
$ROOT/parport2_end"
tree=$(busctl --address="$A" tree --list "$NAME" 2>&1 | grep "^$ROOT")
if [ "$tree" = "$expect_tree" ]; then
	ok "the object tree: one object per port and per device"
else
	not_ok "the object tree: one object per port and per device"
	printf '%s\n' "$tree" | diag
fi

# props PATH INTERFACE PROP...: "PROP=value" lines
props() {
	_path=$1 _if=$2
	shift 2
	for _p in "$@"; do
		printf '%s=%s\n' "$_p" "$(prop "$_path" "$_if" "$_p")"
	done
}
check_props() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		{ echo "expected:"; printf '%s\n' "$2"; echo "got:"; printf '%s\n' "$3"; } | diag
	fi
}

version=$(LD_LIBRARY_PATH=$libpath "$daemon" --version 2>/dev/null | sed 's/^parclassd //')
check_props "Manager: Version, PollInterval, CupsPush" \
"Version=s \"$version\"
PollInterval=u 200
CupsPush=b false" "$(props $ROOT Manager Version PollInterval CupsPush)"

check_props "Port parport0: Name, Location, Modes, Holder, Waiters, ClaimedOutside" \
'Name=s "parport0"
Location=s "LPT1"
Modes=as 7 "CENTRONICS" "IEEE_COMPATIBILITY" "NIBBLE" "BYTE_BIDIR" "EPP_SW" "ECP_HW_IRQ" "ECP_SW"
Holder=(uts) 0 0 ""
Waiters=u 0
ClaimedOutside=b false' "$(props $ROOT/parport0 Port Name Location Modes Holder Waiters ClaimedOutside)"

check_props "Devices: location, port, address, URI, device ID, keys, make and model, modes" \
'Location=s "LPT1"
Port=o "/io/github/parclass/Parclass1/parport0"
Address=i -1
Uri=s "parclass:/dev/parport0"
DeviceId=s "MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL,POSTSCRIPT;CLS:PRINTER;DES:Hewlett-Packard LaserJet 4;"
DeviceIdKeys=a{ss} 5 "MFG" "Hewlett-Packard" "MDL" "HP LaserJet 4" "CMD" "PCL,PJL,POSTSCRIPT" "CLS" "PRINTER" "DES" "Hewlett-Packard LaserJet 4"
Make=s "Hewlett-Packard"
Model=s "HP LaserJet 4"
Modes=as 6 "CENTRONICS" "IEEE_COMPATIBILITY" "NIBBLE" "BYTE_BIDIR" "ECP_HW_IRQ" "ECP_SW"
Location=s "LPT2.1"
Address=i 1
Uri=s "parclass:/dev/parport1?daisy=1"
Model=s "Laser 9"
Location=s "LPT2.4"
Address=i -1
Uri=s "parclass:/dev/parport1?daisy=4"
Make=s "Epson"' "$(props $ROOT/parport0_end Device Location Port Address Uri DeviceId DeviceIdKeys Make Model Modes
	props $ROOT/parport1_1 Device Location Address Uri Model
	props $ROOT/parport1_end Device Location Address Uri Make)"

# ---------------------------------------------------------------------------
# 6.-9. Status from idle probes, and its changes

probed() { [ "$(prop $ROOT/parport0_end Device ObservedBy)" = 's "probe"' ]; }
wait_until "$eventually" probed
check_props "an idle probe: the printer is SELECTED, no reasons" \
'Status=u 128
StatusNames=as 1 "SELECTED"
Lines=u 1880
Reasons=as 0
ObservedBy=s "probe"' "$(props $ROOT/parport0_end Device Status StatusNames Lines Reasons ObservedBy)"

# changed N: the monitor has N PropertiesChanged of parport0_end's Device
changes() { grep -c "^$ROOT/parport0_end: org.freedesktop.DBus.Properties.PropertiesChanged ('$IFACE.Device'" "$tmp/monitor.log"; }
changed() { [ "$(changes)" -ge "$1" ]; }
before=$(changes)
# last_change_has TEXT...: parport0_end's last signal has every TEXT (the
# properties come in any order)
last_change_has() {
	_last=$(grep "^$ROOT/parport0_end: " "$tmp/monitor.log" | tail -n 1)
	for _t in "$@"; do
		case $_last in
		*"$_t"*) ;;
		*) return 1 ;;
		esac
	done
}

kill -USR2 "$sim_pid"
wait_until "$eventually" logged "^parport0 fault paper begin" || bail "the simulator did not start the paper fault"
if wait_until "$eventually" changed $((before + 1)) &&
   last_change_has "'Status': <uint32 388>" "'StatusNames': <['PAPER_EMPTY', 'SELECTED', 'ERROR']>" \
		   "'Lines': <uint32 2032>" "'Reasons': <['media-empty-error']>"; then
	ok "paper out: PropertiesChanged with PAPER_EMPTY and media-empty-error"
else
	not_ok "paper out: PropertiesChanged with PAPER_EMPTY and media-empty-error"
	diag <"$tmp/monitor.log"
fi

kill -USR1 "$sim_pid"
wait_until "$eventually" logged "^parport0 fault paper end" || bail "the simulator did not end the paper fault"
if wait_until "$eventually" changed $((before + 2)) &&
   last_change_has "'Status': <uint32 128>" "'StatusNames': <['SELECTED']>" "'Lines': <uint32 1880>" \
		   "'Reasons': <@as []>"; then
	ok "paper back: PropertiesChanged clears them"
else
	not_ok "paper back: PropertiesChanged clears them"
	diag <"$tmp/monitor.log"
fi

# Five more probes of parport0 (its claims in the events log): no signal.
claims() { grep -c "^parport0 claim pid=$daemon_pid\$" "$events"; }
more_claims() { [ "$(claims)" -ge "$1" ]; }
c0=$(claims)
if wait_until "$eventually" more_claims $((c0 + 5)) && [ "$(changes)" = $((before + 2)) ]; then
	ok "probes that see no change signal nothing"
else
	not_ok "probes that see no change signal nothing"
	diag <"$tmp/monitor.log"
fi

# ---------------------------------------------------------------------------
# 10.-11. The methods as root

resets() { grep -c "^parport0 reset" "$events"; }
r0=$(resets)
out=$(call $ROOT/parport0_end Device.RefreshId '{}'; call $ROOT/parport0_end Device.Reset '{}')
if [ "$out" = "()
()" ] && [ "$(resets)" = $((r0 + 1)) ] &&
   [ "$(prop $ROOT/parport0_end Device Model)" = 's "HP LaserJet 4"' ]; then
	ok "RefreshId and Reset as root: allowed, the printer is reset"
else
	not_ok "RefreshId and Reset as root: allowed, the printer is reset"
	printf '%s\n' "$out" | diag
fi

out=$(call $ROOT Manager.SetSettings "{'PollInterval': <uint32 300>}" '{}'
      call $ROOT Manager.SetSettings "{'PollInterval': <uint32 199>, 'CupsPush': <true>}" '{}'
      prop $ROOT Manager PollInterval; prop $ROOT Manager CupsPush)
out=$(printf '%s\n' "$out" | grep -v '^(According to introspection data')
poll_signalled() { grep -q "^$ROOT: org.freedesktop.DBus.Properties.PropertiesChanged ('$IFACE.Manager', {'PollInterval': <uint32 300>}" "$tmp/monitor.log"; }
if [ "$out" = "()
Error: GDBus.Error:org.freedesktop.DBus.Error.InvalidArgs: PollInterval: at least 200 (milliseconds)
u 300
b false" ] && wait_until "$eventually" poll_signalled; then
	ok "SetSettings: PollInterval changes; 199 is InvalidArgs and changes nothing"
else
	not_ok "SetSettings: PollInterval changes; 199 is InvalidArgs and changes nothing"
	printf '%s\n' "$out" | diag
fi
call $ROOT Manager.SetSettings "{'PollInterval': <uint32 200>}" '{}' >/dev/null

# ---------------------------------------------------------------------------
# 12.-15. Authorization

denied="Error: GDBus.Error:$IFACE.Error.NotAuthorized:"
all_denied() { # SETPRIV-OPTIONS
	for m in "$ROOT Manager.Rescan {}" "$ROOT Manager.SetSettings {} {}" \
		 "$ROOT/parport0_end Device.RefreshId {}" "$ROOT/parport0_end Device.Reset {}"; do
		# shellcheck disable=SC2086
		case $(call "$1" $m) in
		"$denied"*) ;;
		*) return 1 ;;
		esac
	done
}
r0=$(resets)
if all_denied "$nobody" && [ "$(resets)" = "$r0" ]; then
	ok "no polkit: an unprivileged caller gets NotAuthorized from every method"
else
	not_ok "no polkit: an unprivileged caller gets NotAuthorized from every method"
	call "$nobody" $ROOT/parport0_end Device.Reset '{}' | diag
fi

out=$(call "$admin" $ROOT/parport0_end Device.Reset '{}')
if [ "$out" = "()" ] && [ "$(resets)" = $((r0 + 1)) ]; then
	ok "no polkit: a member of group lpadmin may"
else
	not_ok "no polkit: a member of group lpadmin may"
	printf '%s\n' "$out" | diag
fi

"$PYTHON" -m dbusmock --system --template polkitd >"$tmp/polkit.log" 2>&1 &
mock_pid=$!
polkit_up() { busctl --address="$A" status org.freedesktop.PolicyKit1 >/dev/null 2>&1; }
wait_until "$eventually" polkit_up || bail "dbusmock's polkitd did not start: $(cat "$tmp/polkit.log")"
r0=$(resets)
if all_denied "$admin" && [ "$(resets)" = "$r0" ] &&
   grep -q "CheckAuthorization.*$IFACE.reset" "$tmp/polkit.log"; then
	ok "polkit says no: NotAuthorized, group lpadmin or not"
else
	not_ok "polkit says no: NotAuthorized, group lpadmin or not"
	diag <"$tmp/polkit.log"
fi

gdbus call --address "$A" --dest org.freedesktop.PolicyKit1 --object-path /org/freedesktop/PolicyKit1/Authority \
	--method org.freedesktop.DBus.Mock.SetAllowed "['$IFACE.reset']" >/dev/null
out=$(call "$nobody" $ROOT/parport0_end Device.Reset '{}'; call "$nobody" $ROOT/parport0_end Device.RefreshId '{}')
case $out in
"()
$denied"*) good=1 ;;
*) good= ;;
esac
if [ -n "$good" ] && [ "$(resets)" = $((r0 + 1)) ]; then
	ok "polkit allows the reset action: Reset passes, RefreshId does not"
else
	not_ok "polkit allows the reset action: Reset passes, RefreshId does not"
	printf '%s\n' "$out" | diag
fi
stop "$mock_pid"
mock_pid=

# ---------------------------------------------------------------------------
# 16. While someone else holds the port

mkfifo "$tmp/hold" || bail "mkfifo failed"
on_ports "$parclassctl" lock LPT1 -- sh -c 'read x <"$1"' sh "$tmp/hold" >"$tmp/lock.log" 2>&1 &
lock_pid=$!
held() { prop $ROOT/parport0 Port Holder | grep -q "^(uts) $lock_pid [1-9][0-9]* \"parclassctl\"\$"; }
if wait_until "$eventually" held; then
	out=$(call $ROOT/parport0_end Device.RefreshId '{}'; call $ROOT/parport0_end Device.Reset '{}')
else
	out="Holder: $(prop $ROOT/parport0 Port Holder)"
fi
echo >"$tmp/hold"
wait "$lock_pid"
free() { [ "$(prop $ROOT/parport0 Port Holder)" = '(uts) 0 0 ""' ]; }
case $out in
"Error: GDBus.Error:$IFACE.Error.Busy:"*"
Error: GDBus.Error:$IFACE.Error.Busy:"*) good=1 ;;
*) good= ;;
esac
if [ -n "$good" ] && wait_until "$eventually" free; then
	ok "while parclassctl holds the port: Holder shows it, RefreshId and Reset are Busy"
else
	not_ok "while parclassctl holds the port: Holder shows it, RefreshId and Reset are Busy"
	{ printf '%s\n' "$out"; cat "$tmp/lock.log"; } | diag
fi

# ---------------------------------------------------------------------------
# 17. A program outside parclass with the kernel's claim (PPCLAIM on the
# node itself, as the kernel's lp driver or a plain ppdev program would)

outside='import fcntl, os, sys
fd = os.open("/dev/parport0", os.O_RDWR)
fcntl.ioctl(fd, 0x708b)   # PPCLAIM
print("claimed", flush=True)
sys.stdin.read()'
mkfifo "$tmp/outside.in" || bail "mkfifo failed"
on_ports "$PYTHON" -c "$outside" <"$tmp/outside.in" >"$tmp/outside.log" 2>&1 &
outside_pid=$!
exec 7>"$tmp/outside.in"
claimed_outside() { [ "$(prop $ROOT/parport0 Port ClaimedOutside)" = "b $1" ]; }
if wait_until "$eventually" grep -q claimed "$tmp/outside.log" && wait_until "$eventually" claimed_outside true &&
   [ "$(prop $ROOT/parport0 Port Holder)" = '(uts) 0 0 ""' ]; then
	exec 7>&-
	wait "$outside_pid"
	if wait_until "$eventually" claimed_outside false; then
		ok "a kernel claim outside parclass: ClaimedOutside while it lasts"
	else
		not_ok "a kernel claim outside parclass: ClaimedOutside while it lasts (not false again)"
	fi
else
	exec 7>&-
	wait "$outside_pid"
	not_ok "a kernel claim outside parclass: ClaimedOutside while it lasts"
	{ prop $ROOT/parport0 Port ClaimedOutside; cat "$tmp/outside.log"; } | diag
fi

# ---------------------------------------------------------------------------
# 18. A job while parclassd probes

head -c 300000 /dev/urandom >"$tmp/payload"
printf 'parclass test-service.sh\r\n\f' >>"$tmp/payload"
c0=$(claims)
wait_until "$eventually" more_claims $((c0 + 1)) || bail "parclassd does not probe"
(on_ports env DEVICE_URI=parclass:/dev/parport0 "$backend" 1 tester "test job" 1 "" "$tmp/payload") \
	>/dev/null 2>"$tmp/job.log"
rc=$?
if [ $rc = 0 ] && cmp -s "$tmp/payload" "$tmp/rec/parport0-0001.prn" &&
   ! grep -q "claim waits pid=$daemon_pid\$" "$events"; then
	ok "a job while parclassd probes prints byte-identically; parclassd never queues"
else
	not_ok "a job while parclassd probes prints byte-identically; parclassd never queues (exit $rc)"
	diag <"$tmp/job.log"
fi

# ---------------------------------------------------------------------------
# 19. A port that goes

printf 'gone!' >"$tmp/five"
(on_ports env DEVICE_URI=parclass:/dev/parport2 "$backend" 1 tester "test job" 1 "" "$tmp/five") \
	>/dev/null 2>>"$tmp/job.log"
wait_until "$eventually" logged "^parport2 fault gone begin" || bail "the simulator did not take port 2 away"
out=$(call $ROOT Manager.Rescan '{}')
removed() { grep -q "^$ROOT: org.freedesktop.DBus.ObjectManager.InterfacesRemoved (objectpath '$ROOT/$1'" "$tmp/monitor.log"; }
tree=$(busctl --address="$A" tree --list "$NAME" 2>&1 | grep "^$ROOT")
if [ "$out" = "()" ] && wait_until "$eventually" removed parport2_end && removed parport2 &&
   [ "$tree" = "$(printf '%s\n' "$expect_tree" | grep -v parport2)" ]; then
	ok "Rescan removes a port that went, and its device (InterfacesRemoved)"
else
	not_ok "Rescan removes a port that went, and its device (InterfacesRemoved)"
	{ printf '%s\n' "$out" "$tree"; cat "$tmp/monitor.log"; } | diag
fi

# ---------------------------------------------------------------------------
# 20.-22. parclassctl shows the service's view when it runs

# 20. monitor: the current state first, then each change from the service's
# signals (the Port's Holder here: the paper fault fired in 7 already, once
# per simulator run), and no claim of its own on the port.
ctl_claims() { grep -c "^parport0 claim pid=$1\$" "$events"; }
( on_ports "$parclassctl" monitor LPT1 --count 2 ) >"$tmp/ctl-monitor.out" 2>"$tmp/ctl-monitor.err" &
ctl_pid=$!
lines_are() { [ "$(wc -l <"$tmp/ctl-monitor.out")" -ge "$1" ]; }
wait_until "$eventually" lines_are 1
rm -f "$tmp/hold" && mkfifo "$tmp/hold" || bail "mkfifo failed"
on_ports "$parclassctl" lock LPT1 -- sh -c 'read x <"$1"' sh "$tmp/hold" >"$tmp/lock.log" 2>&1 &
lock_pid=$!
wait_until "$eventually" lines_are 2 || stop "$ctl_pid"
wait "$ctl_pid"
rc=$?
json=$(on_ports "$parclassctl" monitor LPT1 --json --count 1 2>&1)
if [ $rc = 0 ] && [ "$(cat "$tmp/ctl-monitor.out")" = "LPT1: SELECTED none (probe)
LPT1: SELECTED none (probe); held by pid $lock_pid (parclassctl)" ] && [ "$(ctl_claims "$ctl_pid")" = 0 ] &&
   [ "$json" = '{"location":"LPT1","status":128,"status_names":["SELECTED"],"reasons":[],"observed_by":"probe","display":null,"pages":null,"holder":{"pid":'$lock_pid',"name":"parclassctl"},"waiters":0}' ] &&
   printf '%s\n' "$json" | "$PYTHON" -c 'import json, sys; json.loads(sys.stdin.read())'; then
	ok "parclassctl monitor: the state, then the Holder's change, from the service; --json"
else
	not_ok "parclassctl monitor: the state, then the Holder's change, from the service (exit $rc)"
	{ cat "$tmp/ctl-monitor.out" "$tmp/ctl-monitor.err"; printf '%s\n' "$json"; } | diag
fi

# 21. waiters: the Port's Holder and Waiters, process name included.
out=$(on_ports "$parclassctl" waiters LPT1 2>&1)
echo >"$tmp/hold"
wait "$lock_pid"
if [ "$out" = "holder: pid $lock_pid (parclassctl)
waiters: 0
observed by: parclassd" ]; then
	ok "parclassctl waiters shows the service's Holder and Waiters"
else
	not_ok "parclassctl waiters shows the service's Holder and Waiters"
	printf '%s\n' "$out" | diag
fi

# 22. status: the Device's Status, Lines, Reasons and ObservedBy; without
# the service (no bus) the same first line, read from the port.
free() { [ "$(prop $ROOT/parport0 Port Holder)" = '(uts) 0 0 ""' ]; }
wait_until "$eventually" free
out=$(on_ports "$parclassctl" status LPT1 2>&1)
direct=$(DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus; export DBUS_SYSTEM_BUS_ADDRESS
	 on_ports "$parclassctl" status LPT1 2>&1)
if [ "$out" = "$direct
reasons: none
observed by: parclassd (probe)" ] && [ "$direct" = "SELECTED (nFault=1 Select=1 PError=0 nAck=1 Busy=0)" ]; then
	ok "parclassctl status shows the service's Status, Reasons and ObservedBy"
else
	not_ok "parclassctl status shows the service's Status, Reasons and ObservedBy"
	printf '%s\n' "$out" "--- without the service:" "$direct" | diag
fi

# A monitor that outlives the service (24.): its first line comes from it.
( on_ports "$parclassctl" monitor LPT1 ) >"$tmp/ctl-after.out" 2>"$tmp/ctl-after.err" &
after_pid=$!
after_lines() { [ "$(wc -l <"$tmp/ctl-after.out")" -ge "$1" ]; }
wait_until "$eventually" after_lines 1

# ---------------------------------------------------------------------------
# 23. Stop

kill -TERM "$daemon_pid"
wait "$daemon_pid"
rc=$?
daemon_pid=
# Errors and leaks are "==PID==" lines; "--PID--" notes are not.
if [ $rc = 0 ] && ! grep -q '^==[0-9]*==' "$valgrind_log" 2>/dev/null; then
	ok "parclassd stops on SIGTERM with status 0${valgrind:+, valgrind clean}"
else
	not_ok "parclassd stops on SIGTERM with status 0 (exit $rc)"
	diag <"$tmp/daemon.log"
	[ -s "$valgrind_log" ] && diag <"$valgrind_log"
	:
fi

# ---------------------------------------------------------------------------
# 24. parclassctl monitor goes on by polling when the service leaves the bus,
# and follows it again when it comes back

# Its own claims on the port in the events log: it polls now. Then a change
# it sees by itself (a holder), and no line repeats what the service showed.
# The service leaving sends no InterfacesRemoved: its devices did not go
# ("LPT1: gone" would be wrong). The service comes back while the port is
# held (so that its first probe, which would show as a holder while the
# monitor polls, cannot take the port): its view of the held port (the last
# job's record, as cache), then of the port let go come from it, and the
# monitor claims the port no more. Whether the service's Holder change or
# its next probe comes first is its own affair: the cache line without a
# holder may or may not show between them.
after_note() { grep -qx "parclassctl monitor: $1" "$tmp/ctl-after.err"; }
wait_until "$eventually" sh -c '[ "$(grep -c "^parport0 claim pid=$1\$" "$2")" -gt 0 ]' sh "$after_pid" "$events"
on_ports "$parclassctl" lock LPT1 -- sh -c 'read x <"$1"' sh "$tmp/hold" >"$tmp/lock.log" 2>&1 &
lock_pid=$!
wait_until "$eventually" after_lines 2 || stop "$after_pid"
polled=$(ctl_claims "$after_pid")
on_ports "$daemon" --foreground --poll-interval 200 >"$tmp/daemon-back.log" 2>&1 &
daemon_pid=$!
wait_until "$eventually" owned || bail "parclassd does not start again: $(cat "$tmp/daemon-back.log")"
wait_until "$eventually" after_note "parclassd is on the bus: following it" || stop "$after_pid"
followed=$(ctl_claims "$after_pid")
echo >"$tmp/hold"
wait "$lock_pid"
free_again() { tail -n 1 "$tmp/ctl-after.out" | grep -qx "LPT1: SELECTED none (probe)"; }
wait_until "$eventually" free_again
stop "$after_pid"
if [ "$(grep -vx "LPT1: SELECTED none (cache)" "$tmp/ctl-after.out")" = "LPT1: SELECTED none (probe)
LPT1: SELECTED none (probe); held by pid $lock_pid (parclassctl)
LPT1: SELECTED none (cache); held by pid $lock_pid (parclassctl)
LPT1: SELECTED none (probe)" ] &&
   [ "$(cat "$tmp/ctl-after.err")" = "parclassctl monitor: parclassd left the bus: polling
parclassctl monitor: parclassd is on the bus: following it" ] &&
   [ "$polled" -gt 0 ] && [ "$(ctl_claims "$after_pid")" = "$followed" ]; then
	ok "parclassctl monitor goes on by polling when parclassd leaves the bus, and follows it when it is back"
else
	not_ok "parclassctl monitor goes on by polling when parclassd leaves, and follows it when back"
	cat "$tmp/ctl-after.out" "$tmp/ctl-after.err" | diag
	printf 'claims: %s while polling, %s when followed, %s at the end\n' "$polled" "$followed" \
		"$(ctl_claims "$after_pid")" | diag
fi
stop "$daemon_pid"
daemon_pid=

# ---------------------------------------------------------------------------
# 25.-28. A fresh simulator with the paper-out printer (its paper fault
# fires once per run) and a fresh parclassd

stop "$monitor_pid"
stop "$sim_pid"
monitor_pid= sim_pid=
mkfifo "$tmp/sim2.fifo" || bail "mkfifo failed"
env -u LD_PRELOAD -u UMOCKDEV_DIR "$PARCLASS_SIM" --serve --record "$tmp/rec2" \
	--model "$PARCLASS_SRCDIR/tests/cups/laser-paper-out.model" >"$tmp/sim2.fifo" 2>"$tmp/sim2.log" &
sim_pid=$!
timeout "$eventually" cat "$tmp/sim2.fifo" >"$tmp/sim2.out" || bail "the second simulator did not get ready"
sim_dir=$(. "$tmp/sim2.out" && printf '%s' "$UMOCKDEV_DIR")
sim_preload=$(. "$tmp/sim2.out" && printf '%s' "$LD_PRELOAD")
[ -n "$asan" ] && sim_preload=$asan:$sim_preload
events=$tmp/rec2/events.log

# --exit-idle-time 1: with a port it must not exit (checked in 28).
on_ports "$daemon" --foreground --poll-interval 200 --exit-idle-time 1 >"$tmp/daemon2.log" 2>&1 &
daemon_pid=$!
wait_until "$eventually" owned || bail "the second parclassd does not start: $(cat "$tmp/daemon2.log")"
enumerated=$(wc -l <"$events")
gdbus monitor --address "$A" --dest "$NAME" >"$tmp/monitor2.log" 2>&1 &
monitor_pid=$!
wait_until "$eventually" grep -q "is owned by" "$tmp/monitor2.log" || bail "gdbus monitor did not start"
wait_until "$eventually" probed || bail "the second parclassd does not probe"

# 25. A job's view (and 26. parclassctl monitor's)
on_ports "$parclassctl" monitor LPT1 >"$tmp/ctl-job.out" 2>"$tmp/ctl-job.err" &
ctl_job_pid=$!
ctl_job_first() { [ "$(head -n 1 "$tmp/ctl-job.out")" = "LPT1: SELECTED none (probe)" ]; }
wait_until "$eventually" ctl_job_first
kill -USR2 "$sim_pid"
wait_until "$eventually" logged "^parport0 fault paper begin" || bail "the simulator did not start the paper fault"
on_ports env DEVICE_URI=parclass:/dev/parport0 "$backend" 2 tester "paper out" 1 "" "$tmp/payload" \
	>/dev/null 2>"$tmp/job2.log" &
job_pid=$!
job_view() {
	[ "$(prop $ROOT/parport0_end Device ObservedBy)" = 's "job"' ] &&
	prop $ROOT/parport0_end Device Reasons | grep -q '"media-empty-error"' &&
	prop $ROOT/parport0 Port Holder | grep -q "^(uts) $job_pid [1-9][0-9]* \"parclass\"\$"
}
job_signalled() { grep -q "^$ROOT/parport0_end: org.freedesktop.DBus.Properties.PropertiesChanged ('$IFACE.Device', {.*'ObservedBy': <'job'>" "$tmp/monitor2.log"; }
if wait_until "$eventually" job_view && job_signalled && alive "$job_pid"; then
	view=ok
else
	view="$(props $ROOT/parport0_end Device ObservedBy Reasons Status; props $ROOT/parport0 Port Holder)"
fi
kill -USR1 "$sim_pid"
wait "$job_pid"
rc=$?
# The ObservedBy values parport0_end went through, repeats folded: the job's
# record stays until a probe replaces it.
observed_by() {
	grep "^$ROOT/parport0_end: " "$tmp/monitor2.log" | grep -o "'ObservedBy': <'[a-z]*'>" |
		sed "s/.*<'\([a-z]*\)'>/\1/" | uniq | tr '\n' ' '
}
probed_again() { case $(observed_by) in *"job probe ") return 0 ;; *) return 1 ;; esac; }
if [ "$view" = ok ] && [ $rc = 0 ] && cmp -s "$tmp/payload" "$tmp/rec2/parport0-0001.prn" &&
   wait_until "$eventually" probed_again && [ "$(observed_by | grep -o job | wc -l)" = 1 ]; then
	ok "a job out of paper: Holder is the backend, the Device shows its report (job, media-empty-error), then a probe"
else
	not_ok "a job out of paper: Holder is the backend, the Device shows its report (job, media-empty-error), then a probe"
	{ printf '%s\n' "$view" "exit $rc" "ObservedBy: $(observed_by)"; cat "$tmp/job2.log"; } | diag
fi

# 26. parclassctl monitor through the service: the state, the job's report
# of the paper out with the backend as the holder, then the probe's state
# once the paper is back and the job is done; SIGTERM ends it with 0.
ctl_job_seen() { grep -q "^LPT1: PAPER_EMPTY SELECTED ERROR media-empty-error (job).*; held by pid $job_pid (parclass)\$" "$tmp/ctl-job.out"; }
ctl_job_last() { ctl_job_seen && [ "$(tail -n 1 "$tmp/ctl-job.out")" = "LPT1: SELECTED none (probe)" ]; }
wait_until "$eventually" ctl_job_last
kill -TERM "$ctl_job_pid"
wait "$ctl_job_pid"
rc=$?
if [ $rc = 0 ] && ctl_job_first && ctl_job_last; then
	ok "parclassctl monitor shows the job's paper out from the service, then the probe's state"
else
	not_ok "parclassctl monitor shows the job's paper out from the service, then the probe's state (exit $rc)"
	cat "$tmp/ctl-job.out" "$tmp/ctl-job.err" | diag
fi

# 27. Requests that queue again and again while parclassd probes every
# 200 ms. A probe step, as the simulator logs it between parclassd's claim
# and release: nothing for a read of the status lines; for a device-ID
# read one negotiation, the turn of the link and its termination. The
# start-up enumeration (parclassd(8): longer) is over before parclassd
# owns its name: the log is read from there ($enumerated lines before),
# so it holds 25.'s paper fault too, which may begin or end during a hold
# of parclassd: a fault line is the printer's, not the probe's.
printf 'overlap\r\n\f' >"$tmp/small"
for i in 1 2 3 4 5 6 7 8 9 10; do
	# Each request right after a claim of parclassd: it may find
	# parclassd in the middle of a step.
	c0=$(claims)
	wait_until "$eventually" more_claims $((c0 + 1)) || echo "parclassd stopped probing" >>"$tmp/locks.log"
	(on_ports "$parclassctl" lock LPT1 -- true) >/dev/null 2>>"$tmp/locks.log" || echo "lock $i failed" >>"$tmp/locks.log"
	if [ $((i % 3)) = 0 ]; then
		(on_ports env DEVICE_URI=parclass:/dev/parport0 "$backend" 3 tester small 1 "" "$tmp/small") \
			>/dev/null 2>>"$tmp/job2.log" || echo "job $i failed" >>"$tmp/locks.log"
	fi
done
# One line per hold of parclassd that broke the rule, then "holds N
# followed M": its holds, and how many were followed at once by another
# process's claim (a request that may have waited for it).
overlap=$(awk -v d="$daemon_pid" -v start="$enumerated" '
	NR <= start || ($1 != "parport0" && $1 != "LPT1") { next }
	$2 == "claim" && $3 == "waits" && $4 == "pid=" d { print "parclassd waited: " $0; next }
	$2 == "claim" && $3 == "waits" && held { print "a claim waited in the kernel for parclassd: " $0; next }
	$2 == "claim" && $3 == "pid=" d { held = 1; nego = 0; holds++; what = ""; last = "d"; next }
	$2 == "claim" { if (last == "r") followed++; last = "o"; next }
	$2 == "release" && $3 == "pid=" d { held = 0; last = "r"; next }
	$2 == "release" { last = "o"; next }
	!held { next }
	$2 == "negotiate" { if (++nego > 1) print "two negotiations in one hold: " $0; next }
	$2 == "direction" || $2 == "terminate" || $2 == "deselect-all" || $2 == "select" || $2 == "state" { next }
	$2 == "fault" { next }   # the printer, not the probe: SIGUSR2 and SIGUSR1 (25.) come when they come
	{ print "not a probe step: " $0 }
	END { print "holds " holds + 0 " followed " followed + 0 }' "$events")
if [ ! -s "$tmp/locks.log" ] && [ "$(printf '%s\n' "$overlap" | wc -l)" = 1 ] &&
   [ "${overlap#holds 0 }" = "$overlap" ]; then
	ok "requests queueing while parclassd probes: no hold of parclassd is more than one probe step ($overlap)"
else
	not_ok "requests queueing while parclassd probes: a hold of parclassd is more than one probe step"
	{ printf '%s\n' "$overlap"; cat "$tmp/locks.log"; } | diag
fi

# 28. Start-up while the port is held
idle_kept=
alive "$daemon_pid" && idle_kept=1
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=
mkfifo "$tmp/hold2" || bail "mkfifo failed"
on_ports "$parclassctl" lock LPT1 -- sh -c 'echo locked; read x <"$1"' sh "$tmp/hold2" >"$tmp/lock2.log" 2>&1 &
lock_pid=$!
wait_until "$eventually" grep -q locked "$tmp/lock2.log" || bail "parclassctl lock did not lock: $(cat "$tmp/lock2.log")"
on_ports "$daemon" --foreground --poll-interval 600000 --exit-idle-time 1 >"$tmp/daemon4.log" 2>&1 &
daemon_pid=$!
wait_until "$eventually" owned || bail "the third parclassd does not start: $(cat "$tmp/daemon4.log")"
# The job of 21 published last "ready" (paper was back), at its end.
out=$(props $ROOT/parport0_end Device ObservedBy Reasons StatusNames
      prop $ROOT/parport0 Port Holder | sed "s/^(uts) $lock_pid [1-9][0-9]* /(uts) LOCK SINCE /")
mkfifo "$tmp/hold3" || bail "mkfifo failed"
on_ports "$parclassctl" lock LPT1 -- sh -c 'read x <"$1"' sh "$tmp/hold3" >"$tmp/lock3.log" 2>&1 &
lock3_pid=$!
waiting() { [ "$(prop $ROOT/parport0 Port Waiters)" = "u 1" ]; }
held_by() { prop $ROOT/parport0 Port Holder | grep -q "^(uts) $1 [1-9][0-9]* \"parclassctl\"\$"; }
events_ok=
if wait_until "$eventually" waiting; then
	echo >"$tmp/hold2"
	if wait_until "$eventually" held_by "$lock3_pid"; then
		echo >"$tmp/hold3"
		wait_until "$eventually" free && events_ok=1
	fi
fi
[ -n "$events_ok" ] || { stop "$lock_pid"; stop "$lock3_pid"; }
wait "$lock_pid" "$lock3_pid"
alive "$daemon_pid" || idle_kept=
call $ROOT Manager.SetSettings "{'PollInterval': <uint32 200>}" '{}' >/dev/null
if [ "$out" = 'ObservedBy=s "cache"
Reasons=as 0
StatusNames=as 1 "SELECTED"
(uts) LOCK SINCE "parclassctl"' ] && [ -n "$events_ok" ] && wait_until "$eventually" probed; then
	ok "started while the port is held: the last report as cache; Waiters and Holder follow the queue's events"
else
	not_ok "started while the port is held: the last report as cache; Waiters and Holder follow the queue's events"
	{ printf '%s\n' "$out" "events: ${events_ok:-no}" "$(props $ROOT/parport0 Port Holder Waiters)"
	  cat "$tmp/daemon4.log"; } | diag
fi
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=

# 29. Exit when idle
mkdir -p "$tmp/empty/sys" "$tmp/empty/dev"
(sim_dir=$tmp/empty && on_ports "$daemon" --foreground --exit-idle-time 1) >"$tmp/daemon3.log" 2>&1 &
daemon_pid=$!
wait_until "$eventually" dead "$daemon_pid"
wait "$daemon_pid"
rc=$?
daemon_pid=
if [ -n "$idle_kept" ] && [ $rc = 0 ]; then
	ok "no ports and nobody calling: parclassd --exit-idle-time 1 exits 0 (with a port it stays)"
else
	not_ok "no ports and nobody calling: parclassd --exit-idle-time 1 exits 0 (with a port it stays; exit $rc)"
	diag <"$tmp/daemon3.log"
fi


# ---------------------------------------------------------------------------
# 30. A port that appears

stop "$monitor_pid"
stop "$sim_pid"
monitor_pid= sim_pid=
# A fresh runtime directory too: what the library learnt of the first
# simulator's parport1 (a daisy chain) is not this one's.
rm -rf "$tmp/rec" "$tmp/run"
mkdir "$tmp/run"
start_sim "$PARCLASS_SRCDIR/tests/cups/laser-paper-out.model" "$PARCLASS_SRCDIR/tests/service/appear.model"
on_ports "$daemon" --foreground --poll-interval 600000 >"$tmp/daemon5.log" 2>&1 &
daemon_pid=$!
wait_until "$eventually" owned || bail "the fourth parclassd does not start: $(cat "$tmp/daemon5.log")"
gdbus monitor --address "$A" --dest "$NAME" >"$tmp/monitor3.log" 2>&1 &
monitor_pid=$!
wait_until "$eventually" grep -q "is owned by" "$tmp/monitor3.log" || bail "gdbus monitor did not start"
tree_before=$(busctl --address="$A" tree --list "$NAME" 2>&1 | grep "^$ROOT")
list_before=$(on_ports "$parclassctl" list 2>&1 | grep "^LPT")
kill -USR1 "$sim_pid"
wait_until "$eventually" logged "^parport1 fault plug end\$" || bail "the simulator did not make port 1 appear"
list_after=$(on_ports "$parclassctl" list 2>&1 | grep "^LPT" | sed 's/;.*//')
out=$(call $ROOT Manager.Rescan '{}')
added() { grep -q "^$ROOT: org.freedesktop.DBus.ObjectManager.InterfacesAdded (objectpath '$ROOT/$1'" "$tmp/monitor3.log"; }
tree=$(busctl --address="$A" tree --list "$NAME" 2>&1 | grep "^$ROOT")
if [ "$tree_before" = "$ROOT
$ROOT/parport0
$ROOT/parport0_end" ] && [ "$list_before" = "${list_before#*parport1}" ] &&
   [ "$list_after" = "LPT1 (parport0): CENTRONICS IEEE_COMPATIBILITY NIBBLE BYTE_BIDIR EPP_SW ECP_HW_IRQ ECP_SW
LPT2 (parport1): CENTRONICS IEEE_COMPATIBILITY NIBBLE BYTE_BIDIR EPP_SW ECP_HW_IRQ ECP_SW" ] &&
   [ "$out" = "()" ] && wait_until "$eventually" added parport1_end && added parport1 &&
   [ "$tree" = "$tree_before
$ROOT/parport1
$ROOT/parport1_end" ]; then
	check_props "Rescan adds a port that appeared, and its device (InterfacesAdded); parclassctl list shows it" \
'Location=s "LPT2"
Port=o "/io/github/parclass/Parclass1/parport1"
Uri=s "parclass:/dev/parport1"
Model=s "Late 1"' "$(props $ROOT/parport1_end Device Location Port Uri Model)"
else
	not_ok "Rescan adds a port that appeared, and its device (InterfacesAdded); parclassctl list shows it"
	{ printf '%s\n' "$list_before" "$list_after" "$out" "$tree_before" "$tree"; cat "$tmp/monitor3.log"; } | diag
fi
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=

exit $failed
