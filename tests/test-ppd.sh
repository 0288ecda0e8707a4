#!/bin/sh
# test-ppd.sh - the PPD files in ppd/: CUPS accepts them and they say what
# the parclass filters rely on
#
# What it proves, for each ppd/*.ppd (one TAP line each):
#   1. cupstestppd passes it: exit status 0 and no FAIL in its output
#      (its warnings are shown as diagnostics);
#   2. the *1284DeviceID line is exactly the expected one (lpinfo
#      --device-id and cups-driverd match printers on it);
#   3. the *cupsFilter2 lines are exactly the expected ones, in order;
#   4. *cupsCommands is exactly the expected line;
#   5. there is no *JCLBegin, *JCLToPSInterpreter or *JCLEnd: with them
#      CUPS's pstops writes JCL itself and parclass-pjl's PJL job would be
#      wrapped a second time;
#   6. JCLDuplex (PostScript; Duplex for the raster PPD) has exactly the choices None, DuplexNoTumble and DuplexTumble
#      (the names CUPS maps the IPP attribute "sides" onto) with the expected
#      PJL codes;
#   7. every JCL option (*JCLOpenUI) is in the JCLSetup section, JCLStatus
#      has the lowest order (its USTATUS lines come first), and every line of
#      every JCL code starts with "@PJL " (parclass-pjl drops other lines);
#   8. the attributes the filters read: *parclassLanguage, *parclassFilter
#      (and that program exists in CUPS's ServerBin/filter) and
#      *parclassCommand PrintSelfTestPage;
# and once for all of them:
#   9. every NickName says parclass, and NickNames and PCFileNames (8.3,
#      upper case) are unique.
#
# A PPD added to ppd/ needs its expected facts below (expect()); without
# them its tests fail.
#
# cupstestppd insists that every cupsFilter2 program exists in
# $CUPS_SERVERBIN/filter, owned by root and not writable by others. The
# parclass filters are not installed while the suite runs, so cupstestppd
# gets a temporary ServerBin: every filter of the system's, and in place of
# a parclass filter that is not installed there, a link to "true" (a root
# owned program). Every other filter a PPD names must be a real one.
#
# Environment (exported by the test harness): PARCLASS_SRCDIR; optional
# CUPS_SERVERBIN (default: cups-config --serverbin, else /usr/lib/cups).
# Needs cupstestppd (package cups-client); *parclassFilter needs the
# package cups (rastertohp). Takes a fraction of a second.
set -u

PATH=$PATH:/usr/sbin:/sbin
LC_ALL=C          # cupstestppd translates "FAIL" and "PASS"
LANG=C
export PATH LC_ALL LANG

# ---------------------------------------------------------------------------
# TAP

# (ok, not_ok, diag, note, bail, line; the harness runs us by path)
. "$(dirname "$0")/tap.sh"

# result OK-MESSAGE FILE: ok when FILE is empty, else not ok with FILE as
# diagnostics.
result() {
	if [ -s "$2" ]; then
		not_ok "$1"
		diag <"$2"
	else
		ok "$1"
	fi
}

# same_lines OK-MESSAGE EXPECTED: ok when $tmp/got holds exactly the lines
# EXPECTED, else not ok with both as diagnostics.
same_lines() {
	line "$2" >"$tmp/want"
	if cmp -s "$tmp/want" "$tmp/got"; then
		ok "$1"
	else
		not_ok "$1"
		{ line "expected:"; cat "$tmp/want"; line "got:"; cat "$tmp/got"; } | diag
	fi
}

# ---------------------------------------------------------------------------
# The expected facts, per PPD (by file name)

# The command filter line and cupsCommands are the same for all of them.
command_filter='*cupsFilter2: "application/vnd.cups-command application/vnd.cups-pjl 0 parclass-command"'
commands='*cupsCommands: "PrintSelfTestPage ReportLevels ReportStatus"'

# expect NAME: sets deviceid, filters (one line each), language,
# parclass_filter (empty: none) and selftest; status 1 for an unknown PPD.
expect() {
	case $1 in
	parclass-pjl-ps.ppd)
		deviceid='*1284DeviceID: "MFG:Generic;MDL:PJL PostScript Printer;CMD:PJL,POSTSCRIPT;"'
		filters=$(line '*cupsFilter2: "application/vnd.cups-postscript application/vnd.cups-postscript 0 parclass-pjl"' \
			&& line "$command_filter")
		language=POSTSCRIPT
		parclass_filter=
		selftest='*parclassCommand PrintSelfTestPage/Print Self-Test Page: "@PJL SET TESTPAGE=SELFTEST<0D0A>"'
		;;
	parclass-pjl-pcl.ppd)
		deviceid='*1284DeviceID: "MFG:Generic;MDL:PJL PCL Printer;CMD:PJL,PCL;"'
		filters=$(line '*cupsFilter2: "application/vnd.cups-raster application/vnd.cups-pcl 100 parclass-pjl"' \
			&& line "$command_filter")
		language=PCL
		parclass_filter=rastertohp
		selftest='*parclassCommand PrintSelfTestPage/Print Self-Test Page: "@PJL ENTER LANGUAGE=PCL<0D0A><1B>E<1B>z<1B>E"'
		;;
	*)
		return 1
		;;
	esac
	return 0
}

# The two-sided option's choices, name and code (the translation text may
# change): JCLDuplex in PJL where the page description leaves duplex to the
# printer (PostScript from pstops); Duplex in the raster header where the
# driver writes its own (rastertohp's ESC&l#S would override @PJL SET DUPLEX).
duplex_choices='None DuplexNoTumble DuplexTumble'
duplex_code() { # OPTION CHOICE
	case $1:$2 in
	JCLDuplex:None) line '"@PJL SET DUPLEX=OFF<0D0A>"' ;;
	JCLDuplex:DuplexNoTumble) line '"@PJL SET DUPLEX=ON<0D0A>@PJL SET BINDING=LONGEDGE<0D0A>"' ;;
	JCLDuplex:DuplexTumble) line '"@PJL SET DUPLEX=ON<0D0A>@PJL SET BINDING=SHORTEDGE<0D0A>"' ;;
	Duplex:None) line '"<</Duplex false/Tumble false>>setpagedevice"' ;;
	Duplex:DuplexNoTumble) line '"<</Duplex true/Tumble false>>setpagedevice"' ;;
	Duplex:DuplexTumble) line '"<</Duplex true/Tumble true>>setpagedevice"' ;;
	esac
}

# ---------------------------------------------------------------------------
# Prerequisites

[ -n "${PARCLASS_SRCDIR:-}" ] || bail "set PARCLASS_SRCDIR (make check does)"
command -v cupstestppd >/dev/null 2>&1 ||
	bail "cupstestppd not found: install the package cups-client"

ppds=
count=0
for ppd in "$PARCLASS_SRCDIR"/ppd/*.ppd; do
	[ -f "$ppd" ] || continue
	ppds="$ppds $ppd"
	count=$((count + 1))
done
[ "$count" -gt 0 ] || bail "no PPD files in $PARCLASS_SRCDIR/ppd"

# CUPS's ServerBin: where cupsd finds filters (rastertohp for *parclassFilter).
serverbin=${CUPS_SERVERBIN:-}
if [ -z "$serverbin" ] && command -v cups-config >/dev/null 2>&1; then
	serverbin=$(cups-config --serverbin 2>/dev/null)
fi
serverbin=${serverbin:-/usr/lib/cups}
[ -d "$serverbin/filter" ] || bail "no $serverbin/filter: install the package cups (or set CUPS_SERVERBIN)"

true_prog=
for p in /bin/true /usr/bin/true; do
	[ -x "$p" ] && true_prog=$p && break
done
[ -n "$true_prog" ] || bail "no /bin/true or /usr/bin/true (coreutils)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parclass-ppd.XXXXXX") || bail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# The temporary ServerBin for cupstestppd (see the header).
mkdir "$tmp/serverbin" "$tmp/serverbin/filter" || bail "mkdir in $tmp failed"
for f in "$serverbin"/filter/*; do
	[ -e "$f" ] && ln -s "$f" "$tmp/serverbin/filter/"
done
for f in parclass-pjl parclass-command; do
	if [ -e "$tmp/serverbin/filter/$f" ]; then
		note "cupstestppd sees the installed $serverbin/filter/$f"
	else
		ln -s "$true_prog" "$tmp/serverbin/filter/$f"
	fi
done

echo "1..$((count * 8 + 1))"

# ---------------------------------------------------------------------------
# Per PPD

for ppd in $ppds; do
	name=${ppd##*/}
	if ! expect "$name"; then
		t=0
		while [ "$t" -lt 8 ]; do
			not_ok "$name: no expected facts: add them to expect() in tests/test-ppd.sh"
			t=$((t + 1))
		done
		continue
	fi

	# --- 1 ---------------------------------------------------------------
	CUPS_SERVERBIN=$tmp/serverbin cupstestppd "$ppd" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && ! grep -q 'FAIL' "$tmp/out"; then
		ok "$name: cupstestppd PASS"
		# The warnings stay visible.
		grep -v -e "^$ppd: PASS\$" -e '^Warning: This program will be removed' -e '^ *$' "$tmp/out" |
			sed 's/^ */cupstestppd: /' | diag
	else
		not_ok "$name: cupstestppd PASS (exit status $rc)"
		diag <"$tmp/out"
	fi

	# --- 2 ---------------------------------------------------------------
	grep '^\*1284DeviceID' "$ppd" >"$tmp/got"
	same_lines "$name: $deviceid" "$deviceid"

	# --- 3 ---------------------------------------------------------------
	grep '^\*cupsFilter' "$ppd" >"$tmp/got"        # also a stray *cupsFilter
	same_lines "$name: the *cupsFilter2 lines ($(line "$filters" | grep -c .))" "$filters"

	# --- 4 ---------------------------------------------------------------
	grep '^\*cupsCommands' "$ppd" >"$tmp/got"
	same_lines "$name: $commands" "$commands"

	# --- 5 ---------------------------------------------------------------
	grep -n -E '^\*(JCLBegin|JCLToPSInterpreter|JCLEnd)[:[:space:]]' "$ppd" >"$tmp/got"
	result "$name: no *JCLBegin, *JCLToPSInterpreter or *JCLEnd (parclass-pjl writes the PJL job)" "$tmp/got"

	# --- 6 ---------------------------------------------------------------
	: >"$tmp/err"
	case $language in
	PCL) duplex=Duplex open=OpenUI ;;
	*) duplex=JCLDuplex open=JCLOpenUI ;;
	esac
	grep -q "^\\*$open \\*$duplex[/:]" "$ppd" ||
		line "no *$open *$duplex" >>"$tmp/err"
	got=$(sed -n "s/^\\*$duplex \\([^/:]*\\).*/\\1/p" "$ppd" | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$duplex_choices" ] ||
		line "choices: expected \"$duplex_choices\", got \"$got\"" >>"$tmp/err"
	for choice in $duplex_choices; do
		want=$(duplex_code "$duplex" "$choice")
		got=$(sed -n "s/^\\*$duplex ${choice}[/:][^\"]*//p" "$ppd")
		[ "$got" = "$want" ] ||
			line "$choice: expected code $want, got ${got:-none}" >>"$tmp/err"
	done
	result "$name: $duplex choices $duplex_choices with their codes" "$tmp/err"

	# --- 7 ---------------------------------------------------------------
	# Code values must sit on one line here (they do in every parclass PPD).
	awk '
		function fail(msg) { print FILENAME ":" FNR ": " msg; bad = 1 }
		function fail_all(msg) { print FILENAME ": " msg; bad = 1 }
		/^\*JCLOpenUI \*/ {
			opt = $2; sub(/^\*/, "", opt); sub(/[\/:].*/, "", opt)
			jcl[opt] = FNR; next
		}
		/^\*OrderDependency:/ {
			o = $4; sub(/^\*/, "", o)
			order[o] = $2; section[o] = $3; next
		}
		/^\*[A-Za-z0-9]+ [^:]*: *"/ {
			opt = $1; sub(/^\*/, "", opt)
			if (!(opt in jcl)) next
			code = $0; sub(/^[^"]*"/, "", code)
			if (code !~ /"$/) { fail("*" opt ": code over several lines"); next }
			sub(/"$/, "", code)
			n = split(code, piece, "<0D0A>")
			for (i = 1; i <= n; i++)
				if (piece[i] != "" && piece[i] !~ /^@PJL /)
					fail("*" opt ": code line \"" piece[i] "\" does not start with \"@PJL \"")
		}
		END {
			first = ""
			for (opt in jcl) {
				if (!(opt in section)) { fail_all("*" opt ": no *OrderDependency"); continue }
				if (section[opt] != "JCLSetup")
					fail_all("*" opt ": section " section[opt] ", not JCLSetup")
				if (first == "" || order[opt] + 0 < order[first] + 0) first = opt
			}
			if (!("JCLStatus" in jcl)) fail_all("no *JCLOpenUI *JCLStatus")
			else {
				for (opt in jcl)
					if (opt != "JCLStatus" && (opt in order) && order[opt] + 0 <= order["JCLStatus"] + 0)
						fail_all("*" opt " (order " order[opt] ") does not come after *JCLStatus (order " order["JCLStatus"] ")")
			}
			exit bad
		}' "$ppd" >"$tmp/err" 2>&1
	result "$name: JCL options in JCLSetup, JCLStatus first, every code line \"@PJL ...\"" "$tmp/err"

	# --- 8 ---------------------------------------------------------------
	: >"$tmp/err"
	got=$(grep '^\*parclassLanguage' "$ppd")
	[ "$got" = "*parclassLanguage: \"$language\"" ] ||
		line "expected *parclassLanguage: \"$language\", got ${got:-none}" >>"$tmp/err"
	got=$(grep '^\*parclassFilter' "$ppd")
	if [ -n "$parclass_filter" ]; then
		[ "$got" = "*parclassFilter: \"$parclass_filter\"" ] ||
			line "expected *parclassFilter: \"$parclass_filter\", got ${got:-none}" >>"$tmp/err"
		[ -x "$serverbin/filter/$parclass_filter" ] ||
			line "$serverbin/filter/$parclass_filter (*parclassFilter) missing: install the package cups" >>"$tmp/err"
	else
		[ -z "$got" ] || line "unexpected $got" >>"$tmp/err"
	fi
	got=$(grep '^\*parclassCommand PrintSelfTestPage[/:]' "$ppd")
	[ "$got" = "$selftest" ] ||
		{ line "expected $selftest"; line "got      ${got:-none}"; } >>"$tmp/err"
	result "$name: *parclassLanguage $language${parclass_filter:+, *parclassFilter $parclass_filter}, *parclassCommand PrintSelfTestPage" "$tmp/err"
done

# ---------------------------------------------------------------------------
# All of them

: >"$tmp/err"
: >"$tmp/nicks"
: >"$tmp/pcfiles"
for ppd in $ppds; do
	name=${ppd##*/}
	nick=$(sed -n 's/^\*NickName: *"\(.*\)"$/\1/p' "$ppd")
	pcfile=$(sed -n 's/^\*PCFileName: *"\(.*\)"$/\1/p' "$ppd")
	case $nick in
	*parclass*) ;;
	*) line "$name: NickName \"$nick\" does not say parclass" >>"$tmp/err" ;;
	esac
	line "$pcfile" | grep -q -x -E '[A-Z0-9_]{1,8}\.PPD' ||
		line "$name: PCFileName \"$pcfile\" is not 8.3 upper case" >>"$tmp/err"
	line "$nick" >>"$tmp/nicks"
	line "$pcfile" >>"$tmp/pcfiles"
done
sort "$tmp/nicks" | uniq -d | sed 's/^/NickName used twice: /' >>"$tmp/err"
sort -f "$tmp/pcfiles" | uniq -d -i | sed 's/^/PCFileName used twice: /' >>"$tmp/err"
result "the NickNames say parclass; NickNames and PCFileNames are unique" "$tmp/err"

# The TAP lines carry the results; the status is for runs by hand.
exit $failed
