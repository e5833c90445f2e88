# Shared helpers for the black-box tests: sourced, not run.
# Each test runs the real binary ($TAGDRIFT) and asserts on its JSON output
# (with jq) and exit status.  A failed check prints what was expected.
set -u
: "${TAGDRIFT:?TAGDRIFT must name the tagdrift binary}"
: "${TESTDATA:?TESTDATA must name tests/data}"
: "${top_srcdir:=$(cd "$TESTDATA/../.." && pwd)}"

failures=0
checks=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tagdrift-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# A config file that does not exist keeps a stray /etc/tagdrift out of it.
export XDG_STATE_HOME="$TMP/state"
export NO_COLOR=1

fail() {
	failures=$((failures + 1))
	echo "FAIL: $*" >&2
}

ok() {
	checks=$((checks + 1))
}

# expect_status WANT CMD...: run CMD, compare its exit status.
expect_status() {
	want=$1
	shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "exit $got, want $want: $*"
		sed 's/^/    stderr: /' "$TMP/err" | head -20 >&2
	else
		ok
	fi
}

# expect_jq FILE FILTER [DESCRIPTION]: the jq filter must print true.
expect_jq() {
	res=$(jq -e "$2" "$1" 2>&1)
	if [ "$res" != "true" ]; then
		fail "${3:-$2} (jq said: $(echo "$res" | head -3))"
	else
		ok
	fi
}

# expect_grep FILE REGEX
expect_grep() {
	if grep -qE -- "$2" "$1"; then
		ok
	else
		fail "'$2' not found in output:"
		head -30 "$1" | sed 's/^/    /' >&2
	fi
}

finish() {
	echo "$(basename "$0"): $checks checks passed, $failures failed"
	[ "$failures" -eq 0 ] && [ "$checks" -gt 0 ]
	exit $?
}
