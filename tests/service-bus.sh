# service-bus.sh - what the parclassd suites (test-service.sh,
# test-service-cups.sh) share: the built programs, a private system bus and
# parclassd on it. Sourced after tap.sh and suite.sh, once the suite has
# checked its prerequisites and made $tmp.
#
# Sets: daemon, backend, parclassctl (the ELFs), libpath, asan, valgrind
# (and raises $eventually under valgrind). start_bus sets A and exports
# DBUS_SYSTEM_BUS_ADDRESS; start_daemon sets daemon_pid. The suite's
# cleanup stops $daemon_pid and $bus_pid.

NAME=io.github.parclass.Parclass1
ROOT=/io/github/parclass/Parclass1
IFACE=io.github.parclass.Parclass1

daemon=$(built service parclassd)
backend=$(built backend parclass)
parclassctl=$(built tools parclassctl)
libpath=$(library_path "$daemon")
[ -x "$daemon" ] || bail "no parclassd at $daemon: build the project first"
asan=$(sanitizer_runtime "$daemon" "$libpath")
valgrind=
if [ "${PARCLASS_TEST_TOOL:-}" = valgrind ]; then
	eventually=300
	valgrind=$(command -v "${VALGRIND:-valgrind}") || bail "valgrind not found"
fi
sim_pid= bus_pid= daemon_pid=

# start_sim MODEL...: parclass-sim --serve --record $tmp/rec on one port per
# MODEL; sets sim_pid, sim_dir, sim_preload, events.
start_sim() {
	mkdir -p "$tmp/rec"
	rm -f "$tmp/sim.fifo"
	mkfifo "$tmp/sim.fifo" || bail "mkfifo failed"
	for _m; do
		set -- "$@" --model "$_m"
		shift
	done
	env -u LD_PRELOAD -u UMOCKDEV_DIR "$PARCLASS_SIM" --serve --record "$tmp/rec" "$@" \
		>"$tmp/sim.fifo" 2>"$tmp/sim.log" &
	sim_pid=$!
	# It closes its standard output once the ports are ready.
	timeout "$eventually" cat "$tmp/sim.fifo" >"$tmp/sim.out" || bail "the simulator did not get ready"
	sim_dir=$(. "$tmp/sim.out" && printf '%s' "$UMOCKDEV_DIR")
	sim_preload=$(. "$tmp/sim.out" && printf '%s' "$LD_PRELOAD")
	[ -d "$sim_dir" ] || bail "no test bed in the simulator's output: $(cat "$tmp/sim.out")"
	[ -n "$asan" ] && sim_preload=$asan:$sim_preload
	events=$tmp/rec/events.log
}

logged() { grep -q -e "$1" "$events" 2>/dev/null; }

# on_ports COMMAND...: exec COMMAND on the emulated ports, without raw I/O
# (in a subshell, or in the background: then $! is COMMAND's pid).
on_ports() {
	exec env UMOCKDEV_DIR="$sim_dir" LD_PRELOAD="$sim_preload" LD_LIBRARY_PATH="$libpath" \
		PARCLASS_RUNTIME_DIR="$tmp/run" setpriv --bounding-set=-sys_rawio --inh-caps=-sys_rawio -- "$@"
}

# start_bus: dbus-daemon with a system-type configuration in $tmp.
start_bus() {
	bus=$tmp/bus
	cat >"$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$bus</listen>
  <auth>EXTERNAL</auth>
  <!-- As Debian's system.conf: nobody owns names or calls methods unless a
       policy file allows it. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <!-- polkit's own policy, for dbusmock's polkitd. -->
  <policy user="root">
    <allow own="org.freedesktop.PolicyKit1"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
  <include>$PARCLASS_SRCDIR/service/io.github.parclass.Parclass1.conf</include>
</busconfig>
EOF
	dbus-daemon --config-file="$tmp/bus.conf" --nofork --nopidfile 2>"$tmp/bus.log" &
	bus_pid=$!
	wait_until "$eventually" test -S "$bus" || bail "dbus-daemon did not start: $(cat "$tmp/bus.log")"
	A=unix:path=$bus
	DBUS_SYSTEM_BUS_ADDRESS=$A
	export DBUS_SYSTEM_BUS_ADDRESS
}

# start_daemon ARGS...: parclassd --foreground ARGS on the emulated ports
# (under valgrind when the suite runs so; its log: $valgrind_log), output
# in $tmp/daemon.log; sets daemon_pid. owned: it has the bus name.
valgrind_log=$tmp/valgrind.log
start_daemon() {
	if [ -n "$valgrind" ]; then
		on_ports "$valgrind" --quiet --log-file="$valgrind_log" --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
			--suppressions="$PARCLASS_SRCDIR/tests/valgrind.supp" \
			"$daemon" --foreground "$@" >"$tmp/daemon.log" 2>&1 &
	else
		on_ports "$daemon" --foreground "$@" >"$tmp/daemon.log" 2>&1 &
	fi
	daemon_pid=$!
}
owned() { busctl --address="$A" status "$NAME" >/dev/null 2>&1; }

prop() { busctl --address="$A" get-property "$NAME" "$1" "$IFACE.$2" "$3" 2>&1; }
# call [setpriv options --] PATH INTERFACE.METHOD ARGS...: gdbus's answer, errors included
call() {
	_who=
	if [ "$1" != "${1#--}" ]; then
		_who="setpriv $1 --"
		shift
	fi
	_path=$1 _method=$2
	shift 2
	$_who gdbus call --address "$A" --dest "$NAME" --object-path "$_path" --method "$IFACE.$_method" "$@" 2>&1
}
