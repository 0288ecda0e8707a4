# tap.sh - TAP output for the shell test suites (test-cups.sh, test-ppd.sh),
# sourced by them. The caller prints the plan ("1..N") and ends with
# "exit $failed".

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }                    # stdin as TAP diagnostics
note() { echo "# $*"; }

# A prerequisite is missing or broken: no later test can mean anything.
bail() {
	echo "Bail out! $*"
	exit 1
}

line() { printf '%s\n' "$*"; }     # not echo: dash's echo expands backslashes
