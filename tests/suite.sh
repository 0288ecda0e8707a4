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

# built DIR NAME: the program the build made as DIR/NAME: the ELF libtool
# keeps in DIR/.libs/ (with the uninstalled library), or the program itself
# in a build without shared libraries; not the libtool wrapper script:
# valgrind must see the ELF, and the ELF is what ldd must look at for a
# sanitizer runtime.
built() {
	if [ -x "$PARCLASS_BUILDDIR/$1/.libs/$2" ]; then
		printf '%s\n' "$PARCLASS_BUILDDIR/$1/.libs/$2"
	else
		printf '%s\n' "$PARCLASS_BUILDDIR/$1/$2"
	fi
}

# library_path PROGRAM: where PROGRAM (from built) finds the uninstalled
# library, or nothing when it needs none.
library_path() {
	case $1 in
	*/.libs/*) printf '%s\n' "$PARCLASS_BUILDDIR/lib/.libs" ;;
	esac
}

# sanitizer_runtime PROGRAM LIBPATH: the sanitizer runtime PROGRAM links
# (which must come first in LD_PRELOAD, before umockdev's), or nothing.
sanitizer_runtime() {
	LD_LIBRARY_PATH=$2 ldd "$1" 2>/dev/null | awk '/libasan\.so/ { print $3; exit }'
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
