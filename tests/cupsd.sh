# cupsd.sh - a private cupsd for the suites that need one (test-cups.sh,
# test-service-cups.sh): its configuration, starting it on a free port,
# client commands bounded in time and a client environment that sees only
# it. Sourced after tap.sh and suite.sh, once the suite has made $tmp with
# etc/ (ppd/, ssl/), bin/ (the ServerBin), data/ (the DataDir), spool/temp,
# cache/, state/, log/ and home/.
#
# Uses: tmp, run_user and run_group (cupsd's User and Group), sandboxing
# (Relaxed as root, else Off), asan (a sanitizer runtime, or empty).
# start_cupsd sets cupsd_pid, port and CUPS_SERVER (exported).

free_port() { # PORT: nothing on this host uses the TCP port
	hex=$(printf ':%04X' "$1")
	! awk -v p="$hex" '$2 ~ p "$" { found = 1 } END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

write_cupsd_conf() {
	cat >"$tmp/etc/cupsd.conf" <<EOF
Listen 127.0.0.1:$port
Browsing Off
BrowseLocalProtocols none
WebInterface No
LogLevel debug
MaxLogSize 0
# A failing backend aborts its job (the queue stays usable for the next test).
ErrorPolicy abort-job
PreserveJobHistory Yes
# cupsd would SIGKILL a backend that ignores SIGTERM after this long: longer
# than the suite waits for a cancel, so the SIGKILL cannot hide such a bug.
JobKillDelay 300
<Policy default>
  <Limit All>
    Order Deny,Allow
  </Limit>
</Policy>
EOF
	cat >"$tmp/etc/cups-files.conf" <<EOF
ServerRoot $tmp/etc
StateDir $tmp/state
CacheDir $tmp/cache
ServerBin $tmp/bin
DataDir $tmp/data
RequestRoot $tmp/spool
TempDir $tmp/spool/temp
AccessLog $tmp/log/access_log
ErrorLog $tmp/log/error_log
PageLog $tmp/log/page_log
Printcap $tmp/printcap
User $run_user
Group $run_group
FileDevice No
Sandboxing $sandboxing
EOF
	# Discovery probes every printer however slow the machine is (valgrind,
	# a busy CI host): lpinfo waits 30 s for it.
	line "SetEnv PARCLASS_DISCOVERY_DEADLINE_MS 20000" >>"$tmp/etc/cups-files.conf"
	# The filters are the sanitizer build's too; cupsd passes them only the
	# environment it is told to.
	if [ -n "$asan" ] && [ -r "$PARCLASS_SRCDIR/tests/lsan.supp" ]; then
		line "SetEnv LSAN_OPTIONS print_suppressions=0:suppressions=$PARCLASS_SRCDIR/tests/lsan.supp" \
			>>"$tmp/etc/cups-files.conf"
	fi
}

scheduler_running() { [ "$(lpstat -r 2>/dev/null)" = "scheduler is running" ]; }

# start_cupsd: on a free port, trying a few in case another process takes
# the port between the check and cupsd's bind. Sets cupsd_pid and port.
start_cupsd() {
	port=$(($(od -An -N2 -tu2 /dev/urandom) % 10000 + 20000))
	for _ in 1 2 3 4 5; do
		while ! free_port "$port"; do port=$((port + 1)); done
		write_cupsd_conf
		cupsd -t -c "$tmp/etc/cupsd.conf" -s "$tmp/etc/cups-files.conf" >"$tmp/log/cupsd-t.log" 2>&1 ||
			{ cat "$tmp/log/cupsd-t.log"; return 1; }
		: >"$tmp/log/error_log"
		cupsd -f -c "$tmp/etc/cupsd.conf" -s "$tmp/etc/cups-files.conf" >"$tmp/log/cupsd.log" 2>&1 &
		cupsd_pid=$!
		CUPS_SERVER=127.0.0.1:$port
		export CUPS_SERVER
		# A cupsd that could not bind exits: stop waiting for it then.
		wait_until "$eventually" eval 'scheduler_running || ! alive "$cupsd_pid"'
		if scheduler_running && alive "$cupsd_pid" &&
			! grep -q "Unable to bind" "$tmp/log/error_log"; then
			return 0
		fi
		stop "$cupsd_pid"
		cupsd_pid=
		port=$((port + 1))
	done
	echo "cupsd did not come up:"
	tail -n 20 "$tmp/log/cupsd.log" "$tmp/log/error_log"
	return 1
}

# Every client call is bounded too: a cupsd that hangs fails the suite
# instead of hanging it. (timeout runs the program, not these functions.)
lp() { timeout 60 lp "$@"; }
lpadmin() { timeout 60 lpadmin "$@"; }
lpinfo() { timeout 60 lpinfo "$@"; }
lpstat() { timeout 60 lpstat "$@"; }
cancel() { timeout 60 cancel "$@"; }
ipptool() { timeout 60 ipptool "$@"; }

# Client side: our cupsd only, none of the user's or the system's settings.
CUPS_SERVERROOT=$tmp/etc    # no /etc/cups/client.conf
CUPS_STATEDIR=$tmp/state
HOME=$tmp/home              # no ~/.cups/lpoptions
export CUPS_SERVERROOT CUPS_STATEDIR HOME

