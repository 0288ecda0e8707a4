# suite.sh - what the shell suites (test-cups.sh, test-service.sh) share
# beyond TAP: bounded waits, stopping processes, the temporary directory.
# Sourced by them after tap.sh.

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds
# (status 0) or SECONDS have passed (status 1). Every wait is bounded.
# $eventually is the bound for what must simply happen: generous, since the
# suites run under valgrind on busy machines, and never a speed target (a
# suite raises it under valgrind).
eventually=60
wait_until() {
	_end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.1
	done
	return 0
}

# alive PID: the process exists and is not a zombie.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) in
	Z* | "") return 1 ;;
	esac
	return 0
}

dead() { ! alive "$1"; }

# stop PID: SIGTERM, SIGKILL when it is still there after $eventually
# seconds; reaps it when it is our child.
stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	wait_until "$eventually" dead "$1" || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# remove_tmp DIR: at the end of a suite; PARCLASS_KEEP_TMP=1 keeps it for a
# look afterwards.
remove_tmp() {
	if [ "${PARCLASS_KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $1"
	else
		rm -rf "$1"
	fi
}

# on_exit FUNCTION: run FUNCTION when the suite ends, also by a signal.
on_exit() {
	trap "$1" EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
