#!/bin/sh
# test-header-docs.sh - every function lib/parclass.h exports is documented:
# a /** comment right above its declaration, with an @param naming each of
# its parameters ("@param buf, len" names two), an @return unless it returns
# void, and in that @return comment every errno its own body in lib/*.c
# returns as a literal (-EINVAL, -ENOLCK...). Errors that come from the
# functions it calls cannot be found this way: the comments name those by
# reading the code.
set -u

. "$(dirname "$0")/tap.sh"

src=${PARCLASS_SRCDIR:-$(dirname "$0")/..}
hdr=$src/lib/parclass.h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One line per exported function: NAME, RETURN TYPE, PARAMETERS and DOC,
# DOC being the /** comment that ends on the line before the declaration,
# separated by US (\037: not white space, so that an empty field stays one).
awk '
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
in_comment {
	text = text " " $0
	if ($0 ~ /\*\//) { in_comment = 0; if (is_doc) { doc = text; doc_end = NR } }
	next
}
/^[ \t]*\/\*/ {
	is_doc = $0 ~ /^[ \t]*\/\*\*/
	text = $0
	doc = ""
	if ($0 ~ /\*\//) { if (is_doc) { doc = text; doc_end = NR } }
	else in_comment = 1
	next
}
/^PARCLASS_EXPORT / {
	start = NR
	decl = $0
	while (decl !~ /;/ && (getline more) > 0)
		decl = decl " " more
	sub(/^PARCLASS_EXPORT /, "", decl)
	match(decl, /[A-Za-z_][A-Za-z_0-9]*[ \t]*\(/)
	name = trim(substr(decl, RSTART, RLENGTH - 1))
	ret = trim(substr(decl, 1, RSTART - 1))
	rest = substr(decl, RSTART + RLENGTH)
	sub(/\)[ \t]*;.*$/, "", rest)
	n = split(rest, parts, ",")
	params = ""
	for (i = 1; i <= n; i++) {
		p = trim(parts[i])
		if (p == "void" || p == "")
			continue
		sub(/\[[^]]*\][ \t]*$/, "", p)
		match(p, /[A-Za-z_][A-Za-z_0-9]*$/)
		params = params (params == "" ? "" : " ") substr(p, RSTART, RLENGTH)
	}
	printf "%s\037%s\037%s\037%s\n", name, ret, params, (doc_end == start - 1 ? doc : "")
	doc = ""
	next
}
/^[ \t]*$/ { next }
{ doc = "" }
' "$hdr" >"$tmp/decls"

# One line per public function of lib/*.c: NAME, US, the errnos its body names.
awk '
/^_public_ / {
	match($0, /[A-Za-z_][A-Za-z_0-9]*\(/)
	name = substr($0, RSTART, RLENGTH - 1)
	errs = ""
	in_body = 1
}
in_body {
	s = $0
	while (match(s, /-E[A-Z0-9]+/)) {
		e = substr(s, RSTART, RLENGTH)
		if (index(" " errs " ", " " e " ") == 0)
			errs = errs (errs == "" ? "" : " ") e
		s = substr(s, RSTART + RLENGTH)
	}
}
in_body && /^}/ { printf "%s\037%s\n", name, errs; in_body = 0 }
' "$src"/lib/*.c >"$tmp/bodies"

count=$(wc -l <"$tmp/decls")
echo "1..$((count + 1))"
if [ "$count" -gt 50 ]; then ok "the header declares $count functions"; else not_ok "only $count functions found"; fi

us=$(printf '\037')
while IFS="$us" read -r name ret params doc; do
	problems=""
	if [ -z "$doc" ]; then
		problems="no /** comment right above its declaration"
	else
		if [ "$ret" != void ] && ! printf '%s' "$doc" | grep -q '@return'; then
			problems="$problems; no @return"
		fi
		for p in $params; do
			printf '%s' "$doc" | grep -q -E "@param[ ]+([A-Za-z_0-9]+,[ ]*)*$p([ ,]|\$)" ||
				problems="$problems; no @param $p"
		done
		errs=$(awk -F "$us" -v n="$name" '$1 == n { print $2 }' "$tmp/bodies")
		for e in $errs; do
			printf '%s' "$doc" | grep -q -E -e "$e([^A-Z0-9]|\$)" || problems="$problems; its body returns $e"
		done
		problems=${problems#; }
	fi
	if [ -z "$problems" ]; then ok "$name"; else not_ok "$name: $problems"; fi
done <"$tmp/decls"
exit $failed
