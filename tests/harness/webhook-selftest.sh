#!/bin/sh
# Smoke test of the webhook receiver harness (webhook.py), driven by curl:
# signatures verified or not, every mode, down and up, the owner pid, and
# nothing left running.  Needs /usr/bin/python3, curl, jq and openssl (for
# an HMAC computed outside Python); no network.

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
W="$PY $HERE/webhook.py"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/tagdrift-webhook.XXXXXX")
DIR2="$DIR/owned"
DIR3="$DIR/nosecret"
pass=0
fail=0

cleanup()
{
	$W stop "$DIR3" 2>/dev/null
	$W stop "$DIR2" 2>/dev/null
	$W stop "$DIR"
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok()
{
	pass=$((pass + 1))
	echo "ok - $1"
}

bad()
{
	fail=$((fail + 1))
	echo "not ok - $1"
}

# check DESCRIPTION COMMAND...: the command's exit status decides.
check()
{
	desc=$1
	shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}

same()
{
	[ "$1" = "$2" ] || { echo "#   got '$1', want '$2'"; return 1; }
}

# rec N FILTER: jq FILTER applied to the Nth recorded request (1-based).
rec()
{
	sed -n "${1}p" "$DIR/received.jsonl" | jq -r "$2"
}

nrec()
{
	if [ -f "$1/received.jsonl" ]; then
		wc -l <"$1/received.jsonl" | tr -d ' '
	else
		echo 0
	fi
}

# post BODY [HEADER...]: POST to the receiver; prints the HTTP status, or
# "curl N" when curl failed (7 refused, 28 timed out, 52 empty reply).
post()
{
	body=$1
	shift
	for h in "$@"; do
		set -- "$@" -H "$h"
		shift
	done
	code=$(curl -s -o "$DIR/resp" -D "$DIR/resp.h" -m 2 -w '%{http_code}' \
	    -H 'Content-Type: application/json' "$@" --data-binary "$body" \
	    "http://$ADDR/hook")
	rc=$?
	if [ $rc -ne 0 ]; then echo "curl $rc"; else echo "$code"; fi
}

# sig SECRET BODY: "sha256=<hex>", computed by openssl, not Python.
sig()
{
	printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1 |
	    sed 's/^/sha256=/'
}

none_left()
{
	! pgrep -f "$DIR" >/dev/null
}

for tool in curl jq openssl; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "webhook-selftest: $tool is not installed" >&2
		exit 1
	fi
done

t0=$(date +%s)
printf 'Jefe\n' >"$DIR/secret"

ADDR=$($W start "$DIR" --owner $$ --secret-file "$DIR/secret") ||
    { echo "start failed" >&2; exit 1; }
check "start prints 127.0.0.1:PORT" \
    sh -c "printf '%s\n' '$ADDR' | grep -Eq '^127\.0\.0\.1:[0-9]+$'"
check "webhook.port matches" same "127.0.0.1:$(cat "$DIR/webhook.port")" \
    "$ADDR"
check "a second start on the same DIR is refused" \
    sh -c "! $W start '$DIR' 2>/dev/null"

# Signatures: RFC 4231 test case 2 (secret "Jefe"; the file's newline is
# not part of it), one computed by openssl, a wrong one, none.
B='what do ya want for nothing?'
S=sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843
check "signed POST answered 200" same "$(post "$B" \
    "X-Tagdrift-Signature: $S" \
    'X-Tagdrift-Event: tag.moved' 'X-Tagdrift-Delivery: d1')" 200
check "RFC 4231 signature verified" same "$(rec 1 .verified)" true
check "body recorded as sent" same "$(rec 1 .body)" "$B"
check "headers recorded lower-cased" same \
    "$(rec 1 '.headers["x-tagdrift-event"] + " " +
    .headers["x-tagdrift-delivery"]')" \
    "tag.moved d1"
check "path, method and status recorded" same \
    "$(rec 1 '.path + " " + .method + " " + (.status|tostring) + " " +
    .outcome')" \
    "/hook POST 200 answered"
B2='{"schema":"tagdrift.event/v1","id":"x"}'
post "$B2" "X-Tagdrift-Signature: $(sig Jefe "$B2")" >/dev/null
check "openssl's signature verified" same "$(rec 2 .verified)" true
post "$B2" "X-Tagdrift-Signature: $(sig Jeff "$B2")" >/dev/null
check "signature under another secret not verified" same \
    "$(rec 3 .verified)" false
post "$B2" "X-Tagdrift-Signature: $(sig Jefe "$B2 ")" >/dev/null
check "signature of another body not verified" same "$(rec 4 .verified)" false
post "$B2" >/dev/null
check "unsigned POST not verified" same \
    "$(rec 5 '(.verified|tostring) + " " + (.signature|tostring)')" \
    "false null"

# Modes.
$W mode "$DIR" status 503 --count 2 --retry-after 7
check "status 503 --count 2: first" same "$(post x)" 503
check "Retry-After sent" grep -qi '^Retry-After: 7' "$DIR/resp.h"
check "status 503 --count 2: second" same "$(post x)" 503
check "then back to ok" same "$(post x)" 200
check "503 recorded" same "$(rec 6 .status)" 503
$W mode "$DIR" status 410
check "status without --count: stays" same "$(post x) $(post x)" "410 410"
check "no Retry-After unless asked" \
    sh -c "! grep -qi '^Retry-After' '$DIR/resp.h'"
$W mode "$DIR" ok
check "mode ok" same "$(post x)" 200
n=$(nrec "$DIR")
$W mode "$DIR" hang --count 1
check "hang: the client times out" same "$(post x)" "curl 28"
check "hang recorded" same \
    "$(rec $((n + 1)) '(.status|tostring) + " " + .outcome')" "null hang"
check "after hang --count 1: ok" same "$(post x)" 200
$W mode "$DIR" close --count 1
check "close: no response" same "$(post x)" "curl 52"
check "close recorded" same "$(rec $((n + 3)) .outcome)" close
check "after close --count 1: ok" same "$(post x)" 200
check "mode rejects a bad status" sh -c "! $W mode '$DIR' status 42 2>/dev/null"

# Down and up on the same port.
n=$(nrec "$DIR")
$W down "$DIR"
check "down: connection refused" same "$(post x)" "curl 7"
check "down: nothing recorded" same "$(nrec "$DIR")" "$n"
$W up "$DIR"
check "up: same port answers" same "$(post x)" 200
check "up: recorded" same "$(nrec "$DIR")" $((n + 1))
$W mode "$DIR" status 500 --count 2
post x >/dev/null
$W down "$DIR"
$W up "$DIR"
check "down/up does not reset --count" same "$(post x) $(post x)" "500 200"

# Other methods, wait.
n=$(nrec "$DIR")
check "GET answered 405" same \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/")" 405
check "GET not recorded" same "$(nrec "$DIR")" "$n"
check "wait for what is there" $W wait "$DIR" "$n" --timeout 1
check "wait for more times out" \
    sh -c "! $W wait '$DIR' $((n + 1)) --timeout 0.3 2>/dev/null"
check "every line is JSON" jq -e . "$DIR/received.jsonl" >/dev/null

# Without a secret: verified is null.
A3=$($W start "$DIR3" --owner $$)
curl -s -o /dev/null -d x -H 'X-Tagdrift-Signature: sha256=00' \
    "http://$A3/"
check "no secret: verified null" same \
    "$(jq -r .verified "$DIR3/received.jsonl")" null
$W stop "$DIR3"

# The receiver stops when its owner dies.
sleep 60 &
owner=$!
$W start "$DIR2" --owner $owner >/dev/null
kill $owner
wait $owner 2>/dev/null
i=0
while [ $i -lt 100 ] && [ ! -s "$DIR2/webhook.exit" ]; do
	sleep 0.1
	i=$((i + 1))
done
check "receiver stops when its owner pid dies" \
    grep -qs "owner pid" "$DIR2/webhook.exit"

# A hanging request does not keep stop waiting; nothing is left.
$W mode "$DIR" hang
curl -s -m 30 -d x "http://$ADDR/" >/dev/null 2>&1 &
cpid=$!
$W wait "$DIR" $(($(nrec "$DIR") + 1)) --timeout 5 >/dev/null 2>&1
$W stop "$DIR"
wait $cpid
crc=$?
check "stop ends a hanging request (empty reply)" same "$crc" 52
check "stop is idempotent" $W stop "$DIR"
check "down after stop fails" sh -c "! $W down '$DIR' 2>/dev/null"
sleep 0.1
check "no process of this test left" none_left

t1=$(date +%s)
check "selftest ran in under 30 s" [ $((t1 - t0)) -lt 30 ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
