#!/bin/sh
# test-flags.sh - a flag of the wrong call does not compile: each call that
# takes flags takes its own enum type (lib/parclass.h), so -Wextra's
# -Wenum-conversion stops a program that passes another call's flag, and a
# log callback must take enum parclass_log_level.
set -u

. "$(dirname "$0")/tap.sh"

cc=${CC:-cc}
inc=${PARCLASS_SRCDIR:-$(dirname "$0")/..}/lib
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# compiles NAME BODY: BODY (statements, with dev, port and ctx declared) must compile
compiles() {
	printf '#include "parclass.h"\nstatic void on_log(parclass_context *c, enum parclass_log_level l, const char *m, void *u)\n{ (void)c; (void)l; (void)m; (void)u; }\nstatic void bad_log(parclass_context *c, int l, const char *m, void *u)\n{ (void)c; (void)l; (void)m; (void)u; }\nvoid f(parclass_context *ctx, parclass_port *port, parclass_device *dev);\nvoid f(parclass_context *ctx, parclass_port *port, parclass_device *dev)\n{\n\tsize_t size;\n\t(void)on_log; (void)bad_log; (void)size; (void)ctx; (void)port; (void)dev;\n\t%s\n}\n' "$2" >"$tmp/t.c"
	$cc -std=c99 -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$tmp/t.c" >"$tmp/out" 2>&1
}

accepts() {
	if compiles "$1" "$2"; then ok "$1"; else not_ok "$1"; diag <"$tmp/out"; fi
}

refuses() {
	if compiles "$1" "$2"; then
		not_ok "$1: it compiled"
	elif grep -q "$3" "$tmp/out"; then
		ok "$1"
	else
		not_ok "$1: not for $3"
		diag <"$tmp/out"
	fi
}

echo "1..6"
accepts "every call with its own flags" \
	'parclass_port_lock(port, 0, 0, PARCLASS_LOCK_NO_SELECT); parclass_port_unlock(port, PARCLASS_UNLOCK_NO_DESELECT);
	parclass_device_lock(dev, 0, PARCLASS_LOCK_NO_SELECT); parclass_device_unlock(dev, PARCLASS_UNLOCK_NO_DESELECT);
	parclass_device_get_id(dev, PARCLASS_ID_FRESH, NULL, 0, &size);
	parclass_context_set_log(ctx, PARCLASS_LOG_DEBUG, on_log, NULL);'
refuses "an ID flag to lock" 'parclass_port_lock(port, 0, 0, PARCLASS_ID_FRESH);' enum-conversion
refuses "a lock flag to unlock" 'parclass_device_unlock(dev, PARCLASS_LOCK_NO_SELECT);' enum-conversion
refuses "an unlock flag to the device ID" 'parclass_device_get_id(dev, PARCLASS_UNLOCK_NO_DESELECT, NULL, 0, &size);' \
	enum-conversion
refuses "a lock flag as a log level" 'parclass_context_set_log(ctx, PARCLASS_LOCK_NO_SELECT, on_log, NULL);' \
	enum-conversion
refuses "a log callback that takes an int level" 'parclass_context_set_log(ctx, PARCLASS_LOG_DEBUG, bad_log, NULL);' \
	incompatible-pointer-types
exit $failed
