#!/bin/sh
# tagdrift daemon --once against a webhook receiver that is down for
# several cycles: connection refused, then 503, then hanging.  Nothing is
# lost: once the receiver is back every event in the outbox arrives with a
# 200, exactly once, and for each subject in the order the events were
# written; a request sent again (after a refusal, a 503 or a hang whose
# answer never came) carries the same idempotency id, byte-identical body
# and a valid signature.  Then: 429 with Retry-After 7 holds the next
# attempt back at least 7 s; a 400 makes the event dead at once, and
# `outbox --retry` queues it for the next cycle.
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
start_registry
printf 's3cret-for-the-outage\n' >"$TMP/secret"
start_webhook "$TMP/secret"
REC="$TMP/wh/received.jsonl"
$R push "$ADDR" library/node:20 --seed 1 >/dev/null
$R push "$ADDR" library/node:latest --seed 1 >/dev/null

# Two files pinning :latest (two 'latest' findings), one that is fine.
mkdir -p "$TMP/tree/a" "$TMP/tree/b"
pin() {
	printf 'FROM %s/library/node:%s\n' "$ADDR" "$2" >"$TMP/tree/$1"
}
pin a/Dockerfile latest
pin b/Dockerfile latest
pin Dockerfile 20
cat >"$TMP/t.conf" <<EOF
[registry $ADDR]
insecure = yes
[registries]
timeout = 3s
[image $ADDR/library/node]
production = 20
[webhook]
url = http://$WADDR/hook
secret_file = $TMP/secret
[daemon]
scan = $TMP/tree
poll_interval = 1h
EOF

# check_records: every request the receiver recorded against every event
# of the database ($TMP/all.json).  A problem is a line of text; none
# expected.
check_records() {
	jq -r -s --slurpfile db "$TMP/all.json" '
	    def hid: .headers["x-tagdrift-delivery"];
	    . as $rec | $db[0] as $db | ($db | map(.id)) as $ids |
	    def ok200($id):
	        [$rec[] | select(hid == $id and .status == 200) | .seq];
	    def first($id): [$rec[] | select(hid == $id) | .seq] | min;
	    ($db[] | .id as $id | ok200($id) | length |
	        select(. != 1) | "event \($id) answered 200 \(.) times"),
	    ($rec[] | select(hid as $h | $ids | index($h) | not) |
	        "record \(.seq): unknown id \(hid)"),
	    ($rec[] | select(.verified != true) |
	        "record \(.seq): bad signature"),
	    ($rec[] | select((.body | fromjson | .id) != hid or
	        .headers["x-tagdrift-event"] != (.body | fromjson | .type)) |
	        "record \(.seq): headers do not match the body"),
	    ($rec | group_by(hid)[] |
	        select(map([.body, .body_bytes]) | unique | length > 1) |
	        "event \(.[0] | hid): bodies differ between attempts"),
	    ($db | to_entries | group_by(.value.subject)[] | sort_by(.key) |
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
	dups=$(jq -s '[group_by(.headers["x-tagdrift-delivery"])[] |
	    select(length > 1)] | length' "$REC")
	echo "$(nrec) requests recorded, $dups events sent more than once"
}

cycles=0
# cycle: one `daemon --once`, which must exit 0; its log is kept.
cycle() {
	cycles=$((cycles + 1))
	echo "--- cycle $cycles: $*" >>"$TMP/daemon.log"
	"$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/h.db" daemon --once \
	    2>>"$TMP/daemon.log"
	st=$?
	[ "$st" -eq 0 ] && ok || fail "cycle $cycles ($*): exit $st"
}

# outbox [ARGS]: `tagdrift outbox -f json` into $TMP/ob.json.
outbox() {
	"$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/h.db" outbox -f json "$@" \
	    >"$TMP/ob.json" 2>"$TMP/ob.err" ||
	    fail "outbox $*: $(cat "$TMP/ob.err")"
}

nrec() {
	if [ -f "$REC" ]; then wc -l <"$REC" | tr -d ' '; else echo 0; fi
}

# wait_due [min]: until the next_attempt of every subject's first pending
# event has come (with min: of the first of them), as the outbox says: the
# backoff is random.  An event queued behind another keeps its creation
# time there.
wait_due() {
	outbox
	at=$(jq "[to_entries[] | select(.value.state == \"pending\")] |
	    group_by(.value.subject) | map(min_by(.key).value.next_attempt |
	    fromdateiso8601) | ${1:-max} // 0" "$TMP/ob.json")
	n=300
	while [ "$(date +%s)" -lt "$at" ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
}

# new_since N FILTER: jq FILTER over the records after the first N.
new_since() {
	tail -n +"$(($1 + 1))" "$REC" 2>/dev/null | jq -s "$2"
}

# --- Down: connection refused, two cycles. ---
$W down "$TMP/wh"
cycle "down: two findings open"
outbox
expect_jq "$TMP/ob.json" 'length == 2 and
    all(.[]; .type == "finding.opened" and .state == "pending" and
    .attempts == 1 and .last_status == null and .last_error != null)' \
    "down: two finding.opened pending after one refused attempt"
$R push "$ADDR" library/node:latest --seed 2 >/dev/null
pin a/Dockerfile 20		# resolves a's finding, queued behind it
wait_due
cycle "down: tag moves, a/Dockerfile fixed"
outbox
expect_jq "$TMP/ob.json" '(map(.type) | sort) == ["finding.opened",
    "finding.opened", "finding.resolved", "tag.moved"] and
    all(.[]; .state == "pending" and .last_status == null)' \
    "down: four events pending, none answered"
expect_jq "$TMP/ob.json" '[.[] | select(.type == "finding.opened") |
    .attempts] == [2, 2]' "down: the findings were tried again"
[ "$(nrec)" -eq 0 ] && ok || fail "down: the receiver recorded requests"

# --- Up, answering 503. ---
$W up "$TMP/wh"
$W mode "$TMP/wh" status 503
$R push "$ADDR" library/node:latest --seed 3 >/dev/null
pin a/Dockerfile latest			# opens a's finding again
wait_due
n0=$(nrec)
cycle "503: tag moves again, a/Dockerfile broken again"
outbox
expect_jq "$TMP/ob.json" 'length == 6 and all(.[]; .state == "pending")' \
    "503: six events pending"
res=$(new_since "$n0" 'length > 0 and all(.[]; .status == 503)')
[ "$res" = true ] && ok || fail "503: no request answered 503 ($res)"

# --- Hanging (one request), then ok for the rest. ---
# The first event due (the first move, its backoff shorter than the
# findings') hangs, with the second move queued behind it.
$W mode "$TMP/wh" hang --count 1
wait_due min
n0=$(nrec)
cycle "hang: one request never answered"
res=$(new_since "$n0" '.[0].outcome == "hang"')
[ "$res" = true ] && ok || fail "hang: the first request did not hang"
hung=$(sed -n "$((n0 + 1))p" "$REC" |
    jq -r '.headers["x-tagdrift-delivery"]')
outbox
expect_jq "$TMP/ob.json" "any(.[]; .id == \"$hung\" and
    .state == \"pending\" and .last_status == null)" \
    "hang: the hung event is pending again"

# --- Back: ok until nothing is pending. ---
$W mode "$TMP/wh" ok
i=0
while [ $i -lt 6 ]; do
	wait_due
	cycle "ok: until the outbox is empty"
	outbox
	[ "$(jq length "$TMP/ob.json")" -eq 0 ] && break
	i=$((i + 1))
done
expect_jq "$TMP/ob.json" 'length == 0' "ok: the outbox drained"

outbox --all
cp "$TMP/ob.json" "$TMP/all.json"
expect_jq "$TMP/all.json" 'length == 6 and all(.[]; .state == "delivered")' \
    "all six events delivered"
expect_jq "$TMP/all.json" '[.[] | select(.type == "tag.moved")] | length == 2
    and .[0].subject == .[1].subject' "two tag.moved on one subject"
expect_jq "$TMP/all.json" '[.[] | select(.type | startswith("finding"))] |
    group_by(.subject) | map(length) | sort == [1, 3]' \
    "a's finding: opened, resolved, opened on one subject"

jq -s -e 'any(.[]; .outcome == "hang" and .headers["x-tagdrift-delivery"] ==
    "'"$hung"'")' "$REC" >/dev/null && [ "$(jq -s "[.[] |
    select(.headers[\"x-tagdrift-delivery\"] == \"$hung\" and
    .status == 200)] | length" "$REC")" -eq 1 ] && ok ||
	fail "the hung event was not delivered afterwards under its id"

check_records

# --- 429 with Retry-After: 7. ---
$W mode "$TMP/wh" status 429 --count 1 --retry-after 7
$R push "$ADDR" library/node:latest --seed 4 >/dev/null
n0=$(nrec)
cycle "429: a third move"
outbox
expect_jq "$TMP/ob.json" 'length == 1 and .[0].type == "tag.moved" and
    .[0].last_status == 429 and .[0].attempts == 1 and
    (.[0].next_attempt | fromdateiso8601) -
    (.[0].last_attempt | fromdateiso8601) >= 7' \
    "429: the next attempt at least 7 s after the last"
m3=$(jq -r '.[0].id' "$TMP/ob.json")

# --- 400: dead at once; --retry; delivered next cycle. ---
$W mode "$TMP/wh" status 400 --count 1
pin b/Dockerfile 20			# resolves b's finding
cycle "400: b/Dockerfile fixed"
outbox
expect_jq "$TMP/ob.json" "length == 2 and any(.[]; .id != \"$m3\" and
    .type == \"finding.resolved\" and .state == \"dead\" and
    .attempts == 1 and .last_status == 400 and .next_attempt == null)" \
    "400: the event is dead at once with last_status 400"
dead=$(jq -r '.[] | select(.state == "dead") | .id' "$TMP/ob.json")
"$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/h.db" outbox --retry -f json \
    >"$TMP/ob.json" 2>"$TMP/ob.err"
expect_jq "$TMP/ob.json" "any(.[]; .id == \"$dead\" and
    .state == \"pending\" and .attempts == 0)" "--retry requeues it"
expect_grep "$TMP/ob.err" '^1 dead delivery queued again$'
# Past the ordinary first backoff (2 s +-25%), short of the Retry-After.
at=$(jq ".[] | select(.id == \"$m3\") | .last_attempt | fromdateiso8601 + 3" \
    "$TMP/ob.json")
while [ "$(date +%s)" -lt "$at" ]; do sleep 0.1; done
n0=$(nrec)
cycle "retry: the requeued event goes out"
res=$(new_since "$n0" "map(.headers[\"x-tagdrift-delivery\"] + \" \" +
    (.status | tostring)) == [\"$dead 200\"]")
[ "$res" = true ] && ok ||
	fail "the requeued event was not delivered alone next cycle ($res)"
outbox
expect_jq "$TMP/ob.json" "length == 1 and .[0].id == \"$m3\" and
    .[0].attempts == 1" "the 429'd event waits for its Retry-After"
wait_due
cycle "after Retry-After"
outbox
expect_jq "$TMP/ob.json" 'length == 0' "the 429'd event delivered"
jq -s -e "[.[] | select(.headers[\"x-tagdrift-delivery\"] == \"$m3\") |
    .status] == [429, 200] and all(.[]; .verified == true)" "$REC" \
    >/dev/null && ok || fail "$m3: want 429 then 200"

"$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/h.db" outbox --all -f json \
    >"$TMP/all.json"
expect_jq "$TMP/all.json" 'length == 8 and all(.[]; .state == "delivered")' \
    "all eight events delivered in the end"
check_records

echo "ran in $(($(date +%s) - t0)) s, $cycles cycles"
[ "$failures" -eq 0 ] || sed 's/^/    daemon: /' "$TMP/daemon.log" >&2
finish
