#!/bin/sh
# Black-box tests of "tagdrift check-config": exit statuses, file:line
# messages, -c before and after the command, --dump, and that the man page
# documents every option the dump prints.
# Environment: TAGDRIFT (the binary), TESTDATA (tests/data).
set -u

: "${TAGDRIFT:?TAGDRIFT is not set}"
: "${TESTDATA:?TESTDATA is not set}"
DATA=$TESTDATA/config
SRCDIR=${top_srcdir:-$TESTDATA/../..}
MAN=$SRCDIR/man/tagdrift.conf.5

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tagdrift-config.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM
# No ambient configuration or state leaks into the tests.
HOME=$TMP/home
XDG_STATE_HOME=$TMP/state
export HOME XDG_STATE_HOME
unset STATE_DIRECTORY

failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run EXPECTED-STATUS ARGS...: run tagdrift, keep stdout and stderr.
run() {
	want=$1
	shift
	"$TAGDRIFT" "$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "tagdrift $*: exit $got, want $want"
		sed 's/^/	stderr: /' "$TMP/err"
	fi
}

# has FILE TEXT: FILE holds the line TEXT exactly.
has() {
	grep -qxF -- "$2" "$1" || {
		fail "$1 lacks the line: $2"
		sed 's/^/	| /' "$1"
	}
}

# contains FILE TEXT: some line of FILE holds TEXT.
contains() {
	grep -qF -- "$2" "$1" || fail "$1 lacks: $2"
}

# empty FILE
empty() {
	[ ! -s "$1" ] || {
		fail "$1 is not empty"
		sed 's/^/	| /' "$1"
	}
}

# A good file: -c after and before the command.
run 0 check-config -c "$DATA/good-full.conf"
has "$TMP/out" "$DATA/good-full.conf: OK (3 catalog images)"
empty "$TMP/err"
run 0 -c "$DATA/good-full.conf" check-config
has "$TMP/out" "$DATA/good-full.conf: OK (3 catalog images)"
run 0 check-config --config="$DATA/good-override.conf"
has "$TMP/out" "$DATA/good-override.conf: OK (3 catalog images)"
run 0 check-config -c "$DATA/good-empty.conf"
has "$TMP/out" "$DATA/good-empty.conf: OK (12 catalog images)"
run 0 -q check-config -c "$DATA/good-crlf.conf"
empty "$TMP/out"
run 0 check-config -c "$DATA/good-crlf.conf" -q
empty "$TMP/out"

# The shipped files.
run 0 check-config -c "$SRCDIR/etc/tagdrift.conf"
has "$TMP/out" "$SRCDIR/etc/tagdrift.conf: OK (12 catalog images)"
run 0 check-config -c "$SRCDIR/etc/catalog.conf"
has "$TMP/out" "$SRCDIR/etc/catalog.conf: OK (12 catalog images)"

# Bad files: every error with its line, on stderr; exit 2.
run 2 check-config -c "$DATA/bad-values.conf"
empty "$TMP/out"
has "$TMP/err" "$DATA/bad-values.conf:3: cache_ttl: invalid duration '5x' (a number and a unit s, m, h or d, as in 90s or 6h)"
has "$TMP/err" "$DATA/bad-values.conf:12: insecure: invalid boolean 'maybe' (yes or no)"
has "$TMP/err" "$DATA/bad-values.conf:21: poll_interval: 30s is out of range (1m to 30d)"
has "$TMP/err" "tagdrift: configuration has 12 errors"
run 2 -c "$DATA/bad-rules.conf" check-config
has "$TMP/err" "$DATA/bad-rules.conf:2: unknown rule 'lates' in [rules]; did you mean 'latest'?"
has "$TMP/err" "$DATA/bad-rules.conf:6: unknown rule 'no-such-rule' in [rules]"
has "$TMP/err" "tagdrift: configuration has 4 errors"
run 2 check-config -c "$DATA/bad-long-line.conf"
has "$TMP/err" "$DATA/bad-long-line.conf:3: line too long (more than 197 characters)"
has "$TMP/err" "$DATA/bad-long-line.conf:9: max_depth: 0 is out of range (1 to 4096)"
run 2 check-config -c "$DATA/bad-catalog-file.conf"
has "$TMP/err" "$DATA/bad.catalog:6: duplicate image 'ruby' (first defined on line 4)"

# same_errors WANT GOT: line by line; a WANT line ending in '*' is a prefix.
same_errors() {
	exec 3<"$1" 4<"$2"
	ok=0
	while :; do
		IFS= read -r w <&3 || w=EOF
		IFS= read -r g <&4 || g=EOF
		[ "$w" = EOF ] && [ "$g" = EOF ] && break
		case $w in
		*'*')
			case $g in
			"${w%?}"*) ;;
			*) ok=1 ;;
			esac ;;
		*)
			[ "$w" = "$g" ] || ok=1 ;;
		esac
		[ "$ok" -eq 0 ] || break
	done
	exec 3<&- 4<&-
	return "$ok"
}

# Every NAME.conf prints exactly NAME.errors.
for conf in "$DATA"/*.conf; do
	name=$(basename "$conf" .conf)
	want=0
	[ -s "$DATA/$name.errors" ] && want=2
	run "$want" check-config -c "$conf"
	grep -v '^tagdrift: configuration has' "$TMP/err" |
	    sed "s|$DATA/||g" >"$TMP/got"
	same_errors "$DATA/$name.errors" "$TMP/got" || {
		fail "$name.conf: errors differ from $name.errors"
		diff "$DATA/$name.errors" "$TMP/got" | sed 's/^/	/'
	}
done

# A missing file named with -c is an error; so is a directory.
run 2 check-config -c "$TMP/no-such.conf"
has "$TMP/err" "$TMP/no-such.conf: No such file or directory"
run 2 check-config -c "$DATA"
contains "$TMP/err" "$DATA: "

# Without -c: the default file if it exists, else the defaults.
default=$("$TAGDRIFT" check-config --help | grep -o '/[^ ]*/tagdrift\.conf' |
    head -n 1)
if [ -n "$default" ] && [ ! -e "$default" ]; then
	run 0 check-config
	has "$TMP/out" "defaults: OK"
fi

# Usage errors.
run 2 check-config extra-operand
contains "$TMP/err" "unexpected argument 'extra-operand'"
run 2 check-config --no-such-option
run 2 check-config -c
run 0 check-config --help
contains "$TMP/out" "--dump"

# --dump: the effective configuration, which loads again unchanged.
run 0 check-config --dump -c "$DATA/good-empty.conf"
cp "$TMP/out" "$TMP/dump1.conf"
has "$TMP/dump1.conf" "[policy]"
has "$TMP/dump1.conf" "max_file_size = 4M"
has "$TMP/dump1.conf" "latest = error"
has "$TMP/dump1.conf" "[image mcr.microsoft.com/dotnet/runtime-deps]"
has "$TMP/dump1.conf" "# database default: $XDG_STATE_HOME/tagdrift/history.db"
run 0 check-config -c "$TMP/dump1.conf" --dump
sed 1d "$TMP/dump1.conf" | grep -v '^# catalog:' >"$TMP/a"
sed 1d "$TMP/out" | grep -v '^# catalog:' >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" || fail "the dump does not load back the same"

# Secrets never appear in the dump.
run 0 check-config -c "$DATA/good-full.conf" --dump
cp "$TMP/out" "$TMP/dump2.conf"
for secret in robot-user hub-password SECRETTOKEN \
    credentials/tagdrift.service/webhook; do
	if grep -qF "$secret" "$TMP/dump2.conf"; then
		fail "the dump shows a secret: $secret"
	fi
done
has "$TMP/dump2.conf" "username = <set>"
has "$TMP/dump2.conf" "url = <set>"

# The man page documents every section and key the dump prints.
[ -r "$MAN" ] || fail "cannot read $MAN"
cat "$TMP/dump1.conf" "$TMP/dump2.conf" |
    sed -n 's/^\(# \)\{0,1\}\([a-z][a-z0-9_-]*\) = .*/\2/p' |
    sort -u >"$TMP/keys"
[ "$(wc -l <"$TMP/keys")" -ge 35 ] || fail "too few keys in the dump"
while IFS= read -r key; do
	grep -q "^\.It Ic $key\( \|\$\)" "$MAN" ||
	    fail "tagdrift.conf.5 does not document $key"
done <"$TMP/keys"
cat "$TMP/dump1.conf" "$TMP/dump2.conf" |
    sed -n 's/^\[\([a-z]*\).*/\1/p' | sort -u >"$TMP/sections"
while IFS= read -r section; do
	grep -q "^\.Ss \[${section}[] ]" "$MAN" || [ "$section" = image ] ||
	    fail "tagdrift.conf.5 has no section for [$section]"
done <"$TMP/sections"

if [ "$failures" -ne 0 ]; then
	echo "config.sh: $failures failure(s)"
	exit 1
fi
echo "config.sh: all passed"
exit 0
