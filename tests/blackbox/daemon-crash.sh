#!/bin/sh
# kill -9 of tagdrift daemon in the middle of a poll and in the middle of a
# webhook delivery, then a restart (--once): the database passes PRAGMA
# integrity_check after each crash and no event is lost: every event in the
# outbox arrives with a 200, an event committed by the killed poll is sent
# by the next run, the request that was in flight when the daemon died is
# sent again under the same idempotency id with the same body, and no move
# is announced twice.
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
start_registry
printf 'crash-test-secret\n' >"$TMP/secret"
start_webhook "$TMP/secret"
REC="$TMP/wh/received.jsonl"
DB="$TMP/h.db"
$R push "$ADDR" library/node:20 --seed 1 >/dev/null
$R push "$ADDR" library/node:latest --seed 1 >/dev/null

mkdir -p "$TMP/tree/a" "$TMP/tree/c"
printf 'FROM %s/library/node:latest\n' "$ADDR" >"$TMP/tree/a/Dockerfile"
printf 'FROM %s/library/node:20\n' "$ADDR" >"$TMP/tree/Dockerfile"
# A timeout longer than the time the test needs to kill the daemon in
# the middle of a request.
cat >"$TMP/t.conf" <<EOF
[registry $ADDR]
insecure = yes
[registries]
timeout = 20s
[image $ADDR/library/node]
production = 20
[webhook]
url = http://$WADDR/hook
secret_file = $TMP/secret
[daemon]
scan = $TMP/tree
poll_interval = 1h
EOF

# q SQL: one query on the database, as the sqlite3 shell prints it.
q() {
	sqlite3 -cmd '.timeout 3000' "$DB" "$1" 2>&1
}

integrity() {
	res=$(q 'PRAGMA integrity_check')
	[ "$res" = ok ] && ok || fail "$1: integrity_check: $res"
}

runs=0
# once WHAT: a `daemon --once` that must exit 0.
once() {
	runs=$((runs + 1))
	echo "--- run $runs (--once): $1" >>"$TMP/daemon.log"
	"$TAGDRIFT" -c "$TMP/t.conf" --db "$DB" daemon --once \
	    2>>"$TMP/daemon.log"
	st=$?
	[ "$st" -eq 0 ] && ok || fail "daemon --once ($1): exit $st"
}

# start WHAT: the daemon in the background; its log in $TMP/run.log.
start() {
	runs=$((runs + 1))
	echo "--- run $runs (killed): $1" >>"$TMP/daemon.log"
	"$TAGDRIFT" -c "$TMP/t.conf" --db "$DB" daemon 2>"$TMP/run.log" &
	dpid=$!
}

# crash: kill -9 the background daemon, reap it, keep its log.
crash() {
	kill -9 "$dpid"
	wait "$dpid" 2>/dev/null
	st=$?
	dpid=
	[ "$st" -eq 137 ] && ok || fail "the daemon was not killed (exit $st)"
	cat "$TMP/run.log" >>"$TMP/daemon.log"
}

# A first run: the baseline poll, a/Dockerfile's finding announced.
once "baseline"
[ "$(q "SELECT count(*) FROM outbox WHERE state = 'delivered'")" = 1 ] &&
	ok || fail "baseline: want one event delivered"

# --- kill -9 during a poll. ---
# node:latest moves; node:20 answers only after 15 s, so the poll is
# still running when the move has been recorded (with its event).
$R push "$ADDR" library/node:latest --seed 2 >/dev/null
$R fault "$TMP/reg" --path '/library/node/manifests/20$' --delay 15 \
    --times -1
nreq=$(wc -l <"$TMP/reg/requests.log")
start "poll"
# Until the poll has committed the move (and its event).
moved=
n=100
while [ "$n" -gt 0 ]; do
	moved=$(q "SELECT uid FROM outbox WHERE type = 'tag.moved'")
	case $moved in
	*[!0-9a-f]* | "") ;;
	*) break ;;
	esac
	sleep 0.1
	n=$((n - 1))
done
[ "$n" -gt 0 ] && ok || fail "poll: no tag.moved in the outbox: '$moved'"
tail -n +$((nreq + 1)) "$TMP/reg/requests.log" | grep -q 'manifests/20 ' &&
	fail "poll: node:20 answered before the kill"
grep -qE '^tagdrift: poll:' "$TMP/run.log" &&
	fail "poll: the poll ended before the kill"
crash
[ "$(q "SELECT state FROM outbox WHERE uid = '$moved'")" = pending ] && ok ||
	fail "poll: the move's event is not pending after the crash"
integrity "after the kill during a poll"
$R fault "$TMP/reg" --clear
once "restart after the kill during a poll"
jq -s -e "any(.[]; .headers[\"x-tagdrift-delivery\"] == \"$moved\" and
    .status == 200)" "$REC" >/dev/null && ok ||
	fail "poll: the move recorded before the crash was not delivered"
[ "$(q "SELECT count(*) FROM outbox WHERE type = 'tag.moved'")" = 1 ] &&
	ok || fail "poll: the move was announced more than once"
integrity "after the restart"

# --- kill -9 during a delivery. ---
# A second move and a new finding; the receiver hangs on the first POST.
$W mode "$TMP/wh" hang
$R push "$ADDR" library/node:latest --seed 3 >/dev/null
printf 'FROM %s/library/node:latest\n' "$ADDR" >"$TMP/tree/c/Dockerfile"
n0=$(wc -l <"$REC")
start "delivery"
if $W wait "$TMP/wh" $((n0 + 1)) --timeout 15 2>"$TMP/wait.err"; then
	ok
else
	fail "delivery: nothing reached the receiver: $(cat "$TMP/wait.err")"
fi
grep -qE 'webhook: event .* (delivered|failed)' "$TMP/run.log" &&
	fail "delivery: an attempt ended before the kill"
crash
hung=$(sed -n "$((n0 + 1))p" "$REC" | jq -r '.headers["x-tagdrift-delivery"]')
sed -n "$((n0 + 1))p" "$REC" >"$TMP/hung.json"
expect_jq "$TMP/hung.json" '.outcome == "hang" and .verified == true' \
    "delivery: the hung request was recorded, signed"
[ "$(q "SELECT state FROM outbox WHERE uid = '$hung'")" = pending ] && ok ||
	fail "delivery: the event in flight is not pending after the crash"
integrity "after the kill during a delivery"
$W mode "$TMP/wh" ok
once "restart after the kill during a delivery"
integrity "after the second restart"

# --- Nothing lost. ---
"$TAGDRIFT" -c "$TMP/t.conf" --db "$DB" outbox --all -f json \
    >"$TMP/all.json" 2>"$TMP/ob.err" || fail "outbox: $(cat "$TMP/ob.err")"
expect_jq "$TMP/all.json" '(map(.type) | sort) == ["finding.opened",
    "finding.opened", "tag.moved", "tag.moved"]' \
    "two findings opened and two moves, each announced once"
expect_jq "$TMP/all.json" 'all(.[]; .state == "delivered")' \
    "every event delivered"
jq -s -e "[.[] | select(.headers[\"x-tagdrift-delivery\"] == \"$hung\")] |
    (.[-1].status == 200) and
    (map([.body, .body_bytes]) | unique | length == 1)" "$REC" \
    >/dev/null && ok ||
	fail "the hung event was not sent again with the same id and body"
jq -r -s --slurpfile db "$TMP/all.json" '
    def hid: .headers["x-tagdrift-delivery"];
    . as $rec | ($db[0] | map(.id)) as $ids |
    def ok200($id): [$rec[] | select(hid == $id and .status == 200) | .seq];
    def first($id): [$rec[] | select(hid == $id) | .seq] | min;
    ($ids[] as $id | ok200($id) | length | select(. != 1) |
        "event \($id) answered 200 \(.) times"),
    ($rec[] | select(hid as $h | $ids | index($h) | not) |
        "record \(.seq): id \(hid) is not in the outbox"),
    ($rec[] | select(.verified != true) | "record \(.seq): bad signature"),
    ($rec[] | select((.body | fromjson | .id) != hid) |
        "record \(.seq): the body has another id"),
    ($rec | group_by(hid)[] |
        select(map([.body, .body_bytes]) | unique | length > 1) |
        "event \(.[0] | hid): bodies differ between attempts"),
    ($db[0] | to_entries | group_by(.value.subject)[] | sort_by(.key) |
        map(.value.id) as $s | range(1; $s | length) |
        select((ok200($s[. - 1]) | min) > first($s[.])) |
        "\($s[.]) was sent before \($s[. - 1]), of its subject, " +
        "was delivered")
    ' "$REC" >"$TMP/problems" 2>&1
if [ -s "$TMP/problems" ]; then
	fail "deliveries:"
	sed 's/^/    /' "$TMP/problems" >&2
else
	ok
fi

echo "ran in $(($(date +%s) - t0)) s"
[ "$failures" -eq 0 ] || sed 's/^/    daemon: /' "$TMP/daemon.log" >&2
finish
