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

# wait_for FILE REGEX [SECONDS]: until a line of FILE matches (default 10 s).
wait_for() {
	n=$((${3:-10} * 10))
	while [ "$n" -gt 0 ]; do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# The loopback harness (tests/harness): start_registry starts the
# registry in $TMP/reg and sets ADDR; start_webhook [SECRET_FILE] starts
# the receiver in $TMP/wh and sets WADDR.  Both die with this shell and
# are stopped, with a daemon whose pid is in $dpid, by harness_cleanup,
# which start_registry installs as the EXIT trap.
R="/usr/bin/python3 $top_srcdir/tests/harness/registry.py"
W="/usr/bin/python3 $top_srcdir/tests/harness/webhook.py"
dpid=
harness_cleanup() {
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
	$W stop "$TMP/wh" >/dev/null 2>&1
	$R stop "$TMP/reg" >/dev/null 2>&1
	rm -rf "$TMP"
}
start_registry() {
	trap harness_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	ADDR=$($R start "$TMP/reg" --owner $$ --max-lifetime 300) || {
		echo "$(basename "$0"): the harness registry did not start" >&2
		exit 1
	}
}
start_webhook() {
	WADDR=$($W start "$TMP/wh" --owner $$ --max-lifetime 300 \
	    ${1:+--secret-file "$1"}) || {
		echo "$(basename "$0"): the webhook receiver did not start" >&2
		exit 1
	}
}
