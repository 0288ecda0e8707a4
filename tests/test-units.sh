#!/bin/sh
# test-units.sh - how parclassd is installed and started: the service data
# of service/ (systemd unit, sysusers.d entry, D-Bus activation file, polkit
# actions, udev rule), installed with make into a scratch DESTDIR and
# checked there, as the system would read it.
#
# What it proves (one TAP line each):
#   1. make install-service-data puts each file in its configured directory,
#      and nothing else (make installcheck-service-data lists and checks them);
#   2. systemd-analyze verify has nothing to say about the installed unit;
#      ExecStart= must exist for it, so a copy names the built parclassd
#      (service/parclassd in the build tree) or, before there is one, a stub;
#   3. ... and it does check: the same unit with a missing ExecStart= fails;
#   4. systemd-analyze security rates the unit OK, exposure at most 1.5
#      (its overall line is printed as a diagnostic);
#   5. the unit holds what the issue asks for: Type=dbus with the bus name,
#      its own user in group lp, no capabilities, no new privileges, a
#      read-only system, AF_UNIX only, ppdev the only device;
#   6. the one directory the unit lets it write is the library's runtime
#      directory (PC_DEFAULT_RUNTIME_DIR, the tmpfiles.d entry);
#   7. systemd-sysusers, on a scratch root with a group lp, makes the user
#      the unit names, with no login, in group lp;
#   8. the polkit actions are valid against polkit's DTD (xmllint);
#   9. they are exactly rescan, settings, refresh-id and reset, each with a
#      description, a message and the defaults no / no / auth_admin_keep;
#  10. the D-Bus activation file names the unit's bus name, program and user,
#      and the installed unit as its SystemdService;
#  11. the udev rule is well formed: systemd 252's udevadm has no "verify",
#      so a small awk checks each line (KEY{attr}OP"value" tokens, known
#      keys, match operators only on match keys);
#  12. ... and that awk refuses a broken rule (an assignment to a match-only
#      key, an unknown key, a missing quote);
#  13. the rule wants the installed unit on a ppdev device tagged systemd;
#  14. the bus policy (the .conf the service data installs into the D-Bus
#      policy directory, skipped while there is none): a dbus-daemon with a
#      system-type configuration that includes it starts (it refuses a
#      policy it cannot parse), and root and the unit's user may own the
#      bus name.
#
# Environment (exported by the test harness): PARCLASS_SRCDIR,
# PARCLASS_BUILDDIR. Needs systemd-analyze and systemd-sysusers (package
# systemd), xmllint (libxml2-utils), polkit's DTD (polkitd) and dbus-daemon.
set -u

. "$(dirname "$0")/tap.sh"

src=${PARCLASS_SRCDIR:-$(dirname "$0")/..}
build=${PARCLASS_BUILDDIR:-.}
tmp=$(mktemp -d)
# the dbus-daemon of test 14 (--fork) goes too, should the test stop early
trap '[ -s "$tmp/bus.pid" ] && kill "$(cat "$tmp/bus.pid")" 2>/dev/null; rm -rf "$tmp"' EXIT
dest=$tmp/dest
dtd=/usr/share/polkit-1/policyconfig-1.dtd
bus=io.github.parclass.Parclass1

for tool in systemd-analyze systemd-sysusers xmllint dbus-daemon; do
	command -v $tool >/dev/null || bail "$tool was not found: install the Debian packages systemd, libxml2-utils and dbus-daemon"
done
[ -f "$dtd" ] || bail "$dtd was not found: install the Debian package polkitd"

# make from within make check: not the outer make's jobserver or flags.
submake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -s -C "$build" DESTDIR="$dest" "$@"
}

# value KEY FILE: the value of the last KEY= line of FILE
value() {
	sed -n "s/^$1=//p" "$2" | tail -n 1
}

echo "1..14"

# 1
if submake install-service-data >"$tmp/out" 2>&1 && submake installcheck-service-data >"$tmp/listed" 2>>"$tmp/out"; then
	(cd "$dest" && find . ! -type d | sed 's|^\.||' | sort) >"$tmp/found"
	sed "s|^$dest||" "$tmp/listed" | sort >"$tmp/expected"
	if cmp -s "$tmp/found" "$tmp/expected"; then
		ok "make install-service-data puts each file in its directory, and nothing else"
		diag <"$tmp/expected"
	else
		not_ok "make install-service-data installs other files than those installcheck lists"
		diff "$tmp/expected" "$tmp/found" | diag
	fi
else
	not_ok "make install-service-data and installcheck-service-data into $dest"
	diag <"$tmp/out"
fi
installed() { grep "/$1\$" "$tmp/listed" || echo "$dest/missing/$1"; }
unit=$(installed parclassd.service)
activation=$(installed $bus.service)
policy=$(installed $bus.policy)
rules=$(installed 60-parclass.rules)
sysusers=$(installed sysusers.d/parclass.conf)

# 2, 3
program=$build/service/parclassd
if [ -x "$program" ]; then
	note "ExecStart: the built $program"
else
	program=$tmp/stub/parclassd
	mkdir -p "$tmp/stub" && printf '#!/bin/sh\nexit 0\n' >"$program" && chmod +x "$program"
	note "ExecStart: a stub (there is no built service/parclassd)"
fi
mkdir -p "$tmp/unit" "$tmp/broken"
sed "s|^ExecStart=[^ ]*|ExecStart=$program|" "$unit" >"$tmp/unit/parclassd.service"
if (cd "$tmp/unit" && systemd-analyze verify --man=no ./parclassd.service) >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]; then
	ok "systemd-analyze verify: the unit is clean"
else
	not_ok "systemd-analyze verify: the unit is not clean"
	diag <"$tmp/out"
fi
sed "s|^ExecStart=[^ ]*|ExecStart=$tmp/missing/parclassd|" "$unit" >"$tmp/broken/parclassd.service"
if (cd "$tmp/broken" && systemd-analyze verify --man=no ./parclassd.service) >"$tmp/out" 2>&1; then
	not_ok "systemd-analyze verify passes a unit whose program is missing"
elif grep -q "missing/parclassd" "$tmp/out"; then
	ok "systemd-analyze verify fails a unit whose program is missing"
else
	not_ok "systemd-analyze verify fails a unit whose program is missing, but not for that"
	diag <"$tmp/out"
fi

# 4: --threshold is ten times the exposure shown
(cd "$tmp/unit" && systemd-analyze security --offline=true --threshold=15 ./parclassd.service) >"$tmp/out" 2>&1
rc=$?
overall=$(grep 'Overall exposure level' "$tmp/out")
note "$overall"
if [ $rc -eq 0 ] && echo "$overall" | grep -q ': [01]\.[0-9] OK'; then
	ok "systemd-analyze security: exposure at most 1.5, OK"
else
	not_ok "systemd-analyze security: exposure over 1.5 or not OK (exit $rc)"
	grep '✗' "$tmp/out" | diag
fi

# 5
: >"$tmp/wrong"
want() {
	[ "$(value "$1" "$unit")" = "$2" ] || line "$1=$(value "$1" "$unit") (want $1=$2)" >>"$tmp/wrong"
}
want Type dbus
want BusName $bus
want User parclass
want Group lp
want CapabilityBoundingSet ''
want AmbientCapabilities ''
want NoNewPrivileges yes
want ProtectSystem strict
want ProtectHome yes
want PrivateTmp yes
want RestrictAddressFamilies AF_UNIX
want DevicePolicy closed
want DeviceAllow 'char-ppdev rw'
want SystemCallArchitectures native
if [ ! -s "$tmp/wrong" ]; then
	ok "the unit: Type=dbus, its bus name, user parclass in group lp, no capabilities, read-only system, AF_UNIX, ppdev only"
else
	not_ok "the unit lacks what the issue asks for"
	diag <"$tmp/wrong"
fi

# 6
header=$(sed -n 's/^#define PC_DEFAULT_RUNTIME_DIR "\(.*\)"$/\1/p' "$src/lib/parclass-private.h")
tmpfiles=$(awk '$1 == "d" { print $2 }' "$src/lib/tmpfiles-parclass.conf")
writable=$(grep '^ReadWritePaths=' "$unit" | sed 's/^ReadWritePaths=//')
if [ -n "$header" ] && [ "$writable" = "$header" ] && [ "$writable" = "$tmpfiles" ]; then
	ok "the unit may write only in the runtime directory $writable"
else
	not_ok "ReadWritePaths: '$writable'; the library's runtime directory: '$header', the tmpfiles.d entry's: '$tmpfiles'"
fi

# 7
root=$tmp/root
mkdir -p "$root/etc"
line 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
printf 'root:x:0:\nlp:x:7:\n' >"$root/etc/group"
if systemd-sysusers --root="$root" - <"$sysusers" >"$tmp/out" 2>&1 &&
   grep -q "^parclass:x:[0-9]*:[0-9]*:[^:]*:[^:]*:.*nologin\$" "$root/etc/passwd" &&
   grep -qx 'lp:x:7:parclass' "$root/etc/group"; then
	ok "systemd-sysusers makes the user parclass, no login, in group lp"
else
	not_ok "systemd-sysusers does not make the user parclass in group lp"
	cat "$tmp/out" "$root/etc/passwd" "$root/etc/group" | diag
fi
[ "$(value User "$unit")" = parclass ] || note "the unit runs as $(value User "$unit"), not parclass"

# 8
if xmllint --noout --dtdvalid "$dtd" "$policy" >"$tmp/out" 2>&1; then
	ok "the polkit actions are valid against $dtd"
else
	not_ok "the polkit actions are not valid against $dtd"
	diag <"$tmp/out"
fi

# 9
xpath() { xmllint --xpath "$1" "$policy" 2>/dev/null; }
: >"$tmp/wrong"
ids=$(xpath '//action/@id' | tr ' ' '\n' | sed -n 's/^id="\(.*\)"$/\1/p' | tr '\n' ' ')
[ "$ids" = "$bus.rescan $bus.settings $bus.refresh-id $bus.reset " ] || line "actions: $ids" >>"$tmp/wrong"
for id in rescan settings refresh-id reset; do
	a="//action[@id='$bus.$id']"
	for what in description message; do
		[ -n "$(xpath "string($a/$what)")" ] || line "$id: no $what" >>"$tmp/wrong"
	done
	got=$(xpath "concat($a/defaults/allow_any, ' ', $a/defaults/allow_inactive, ' ', $a/defaults/allow_active)")
	[ "$got" = "no no auth_admin_keep" ] || line "$id: defaults $got" >>"$tmp/wrong"
done
if [ ! -s "$tmp/wrong" ]; then
	ok "polkit: rescan, settings, refresh-id, reset; described; no, no, auth_admin_keep"
else
	not_ok "polkit actions"
	diag <"$tmp/wrong"
fi

# 10
: >"$tmp/wrong"
[ "$(grep -v -e '^#' -e '^$' "$activation" | sed -n 1p)" = '[D-BUS Service]' ] ||
	line "the first line is not [D-BUS Service]" >>"$tmp/wrong"
[ "$(value Name "$activation")" = "$(value BusName "$unit")" ] || line "Name=$(value Name "$activation")" >>"$tmp/wrong"
[ "$(value Exec "$activation")" = "$(value ExecStart "$unit")" ] || line "Exec=$(value Exec "$activation")" >>"$tmp/wrong"
[ "$(value User "$activation")" = "$(value User "$unit")" ] || line "User=$(value User "$activation")" >>"$tmp/wrong"
[ "$(value SystemdService "$activation")" = "$(basename "$unit")" ] ||
	line "SystemdService=$(value SystemdService "$activation")" >>"$tmp/wrong"
if [ ! -s "$tmp/wrong" ]; then
	ok "the activation file: Name=$bus, the unit's Exec and User, SystemdService=parclassd.service"
else
	not_ok "the activation file does not match the unit"
	diag <"$tmp/wrong"
fi

# 11, 12: a rule line is comma-separated KEY[{attr}]OP"value" tokens
udev_check() {
	awk '
	BEGIN {
		split("ACTION DEVPATH KERNEL KERNELS NAME SYMLINK SUBSYSTEM SUBSYSTEMS DRIVER DRIVERS ATTR ATTRS " \
		      "SYSCTL ENV CONST TAG TAGS TEST PROGRAM RESULT OWNER GROUP MODE SECLABEL OPTIONS IMPORT " \
		      "RUN LABEL GOTO", k, " ")
		for (i in k) known[k[i]] = 1
		split("ACTION DEVPATH KERNEL KERNELS SUBSYSTEM SUBSYSTEMS DRIVER DRIVERS ATTRS CONST TAGS TEST " \
		      "PROGRAM RESULT", m, " ")
		for (i in m) matchonly[m[i]] = 1
	}
	/^[ \t]*(#|$)/ { next }
	{
		rest = $0
		sub(/^[ \t]+/, "", rest)
		while (rest != "") {
			if (!match(rest, /^[A-Z_]+(\{[^}]+\})?(==|!=|\+=|-=|:=|=)"[^"]*"/)) {
				print FILENAME ":" FNR ": not KEY{attr}OP\"value\": " rest; bad = 1; next
			}
			tok = substr(rest, 1, RLENGTH)
			rest = substr(rest, RLENGTH + 1)
			key = tok; sub(/[{=!+:-].*/, "", key)
			op = tok; sub(/^[A-Z_]+(\{[^}]+\})?/, "", op); sub(/".*/, "", op)
			if (!(key in known)) { print FILENAME ":" FNR ": unknown key " key; bad = 1 }
			else if ((key in matchonly) && op != "==" && op != "!=") {
				print FILENAME ":" FNR ": " key " only matches, not " op; bad = 1
			}
			if (rest != "" && !sub(/^[ \t]*,[ \t]*/, "", rest)) {
				print FILENAME ":" FNR ": no comma before " rest; bad = 1; next
			}
		}
	}
	END { exit bad }' "$1"
}
if udev_check "$rules" >"$tmp/out" 2>&1; then
	ok "the udev rule is well formed (awk: no udevadm verify in systemd 252)"
else
	not_ok "the udev rule is not well formed"
	diag <"$tmp/out"
fi
: >"$tmp/wrong"
for broken in 'SUBSYSTEM="ppdev", TAG+="systemd"' 'SUBSYSTEM=="ppdev", TAGG+="systemd"' \
	'SUBSYSTEM=="ppdev", TAG+="systemd' 'SUBSYSTEM=="ppdev" TAG+="systemd"'; do
	line "$broken" >"$tmp/broken.rules"
	udev_check "$tmp/broken.rules" >/dev/null 2>&1 && line "passed: $broken" >>"$tmp/wrong"
done
if [ ! -s "$tmp/wrong" ]; then
	ok "the udev rule check refuses broken rules"
else
	not_ok "the udev rule check passes broken rules"
	diag <"$tmp/wrong"
fi

# 13
wants=$(grep -v '^#' "$rules" | grep 'SUBSYSTEM=="ppdev"' | grep 'TAG+="systemd"' |
	sed -n 's/.*ENV{SYSTEMD_WANTS}+="\([^"]*\)".*/\1/p')
if [ "$wants" = "$(basename "$unit")" ]; then
	ok "the udev rule: a ppdev device tagged systemd wants $wants"
else
	not_ok "the udev rule wants '$wants' on ppdev devices, not $(basename "$unit")"
fi

# 14
buspolicy=$(grep "/$bus\.conf\$" "$tmp/listed")
if [ -z "$buspolicy" ]; then
	n=$((n + 1))
	echo "ok $n # SKIP the service data installs no bus policy ($bus.conf) yet"
else
	cat >"$tmp/bus.conf" <<EOF
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow user="*"/></policy>
  <include>$buspolicy</include>
</busconfig>
EOF
	: >"$tmp/wrong"
	if dbus-daemon --config-file="$tmp/bus.conf" --fork --print-pid=3 3>"$tmp/bus.pid" >"$tmp/out" 2>&1; then
		kill "$(cat "$tmp/bus.pid")" && rm "$tmp/bus.pid"
	else
		line "dbus-daemon refuses it:" >>"$tmp/wrong"
		cat "$tmp/out" >>"$tmp/wrong"
	fi
	for user in root "$(value User "$unit")"; do
		[ "$(xmllint --xpath "string(//policy[@user='$user']/allow/@own)" "$buspolicy" 2>/dev/null)" = "$bus" ] ||
			line "$user may not own $bus" >>"$tmp/wrong"
	done
	if [ ! -s "$tmp/wrong" ]; then
		ok "the bus policy: dbus-daemon takes it; root and $(value User "$unit") may own $bus"
	else
		not_ok "the bus policy $buspolicy"
		diag <"$tmp/wrong"
	fi
fi

exit $failed
