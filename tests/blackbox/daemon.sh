#!/bin/sh
# tagdrift daemon end to end, with the loopback registry and webhook
# receiver: a watched tag re-pushed gives exactly one tag.moved, signed; a
# scanned file pinning the old digest gives one finding.opened; fixing the
# file gives one finding.resolved; ten more cycles send nothing; a newer
# tag of a watched family gives one tag.added; each format's body.
. "$(dirname "$0")/lib.sh"

start_registry
printf 's3cret-for-the-test\n' >"$TMP/secret"
start_webhook "$TMP/secret"
RECV="$TMP/wh/received.jsonl"
IMG="$ADDR/library/node"

# cache_ttl = 0: every cycle lists the tags (the cycles here are seconds
# apart; a daemon's polls are poll_interval apart).
cat >"$TMP/t.conf" <<EOF
[general]
cache_ttl = 0s
[registry $ADDR]
insecure = yes
[registries]
timeout = 5s
[image $IMG]
production = 20
[daemon]
scan = $TMP/tree
[webhook]
url = http://$WADDR/hook
secret_file = $TMP/secret
EOF
cycle() {
	"$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/h.db" daemon --once "$@" \
	    >>"$TMP/daemon.log" 2>&1
}
# received [FILTER]: the requests received so far, as one JSON array.
received() {
	jq -s "${1:-.}" "$RECV" 2>/dev/null || echo '[]'
}
count() {
	[ -f "$RECV" ] && wc -l <"$RECV" || echo 0
}

d1=$($R push "$ADDR" library/node:20 --seed 1)
mkdir -p "$TMP/tree"
printf 'FROM %s:20@%s\n' "$IMG" "$d1" >"$TMP/tree/Dockerfile"

# First cycle: the tag is new (no event) and the pin is fresh.
cycle && ok || fail "first cycle failed"
base=$(count)
received >"$TMP/r0.json"
expect_jq "$TMP/r0.json" '[.[] | .body | fromjson | select(.type ==
    "tag.moved" or (.data.rule // "") == "stale-digest")] == []' \
    "nothing moved or stale yet"

# The tag moves: one tag.moved, signed; the pin is stale: one
# finding.opened.
d2=$($R push "$ADDR" library/node:20 --seed 2)
cycle && ok || fail "second cycle failed"
received ".[$base:]" >"$TMP/r1.json"
expect_jq "$TMP/r1.json" 'length == 2' "two alerts for the move"
expect_jq "$TMP/r1.json" "[.[] | .body | fromjson | select(.type ==
    \"tag.moved\")] | length == 1 and .[0].data.image == \"$IMG\" and
    .[0].data.tag == \"20\" and .[0].data.digest == \"$d2\" and
    .[0].data.previous == \"$d1\"" "one tag.moved with both digests"
expect_jq "$TMP/r1.json" "[.[] | .body | fromjson | select(.type ==
    \"finding.opened\")] | length == 1 and
    .[0].data.rule == \"stale-digest\" and .[0].data.file == \"Dockerfile\"
    and .[0].data.suggestion == \"$IMG:20@$d2\"" \
    "one finding.opened for the stale pin"
expect_jq "$TMP/r1.json" 'all(.[]; .verified == true and .status == 200 and
    .path == "/hook" and
    .headers["x-tagdrift-event"] == (.body | fromjson | .type) and
    .headers["x-tagdrift-delivery"] == (.body | fromjson | .id) and
    (.headers["content-type"] | startswith("application/json")) and
    (.signature | test("^sha256=[0-9a-f]{64}$")))' \
    "signed, with the event and delivery headers"
expect_jq "$TMP/r1.json" 'all(.[]; .body | fromjson |
    .schema == "tagdrift.event/v1" and (.id | test("^[0-9a-f]{32}$")) and
    (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")))' \
    "generic bodies are tagdrift.event/v1 documents"

# Fixed: one finding.resolved, the data of the opened one.
n=$(count)
printf 'FROM %s:20@%s\n' "$IMG" "$d2" >"$TMP/tree/Dockerfile"
cycle && ok || fail "third cycle failed"
received ".[$n:]" >"$TMP/r2.json"
expect_jq "$TMP/r2.json" 'length == 1 and (.[0].body | fromjson |
    .type == "finding.resolved" and .data.rule == "stale-digest")' \
    "one finding.resolved"

# Ten more cycles: nothing.
n=$(count)
i=0
while [ $i -lt 10 ]; do
	cycle || fail "quiet cycle $i failed"
	i=$((i + 1))
done
[ "$(count)" -eq "$n" ] && ok || fail "quiet cycles sent $(($(count) - n)) alerts"
expect_status 0 "$TAGDRIFT" --db "$TMP/h.db" outbox --all --format json
expect_jq "$TMP/out" 'all(.[]; .state == "delivered" and .attempts == 1)' \
    "every event delivered at the first attempt"
expect_jq "$TMP/out" "length == $n" "the outbox holds what was sent"
expect_status 0 "$TAGDRIFT" --db "$TMP/h.db" outbox
expect_grep "$TMP/out" "^the outbox is empty$"
expect_status 0 "$TAGDRIFT" --db "$TMP/h.db" outbox --all
[ "$(grep -c '^delivered [0-9a-f]\{32\} ' "$TMP/out")" -eq "$n" ] && ok ||
	fail "outbox --all does not list the $n delivered events"

# A 2xx with a body over the deliverer's 64 KiB cap still delivers (once).
n=$(count)
$W mode "$TMP/wh" status 200 --count 1 --body-bytes 100000 >/dev/null
$R push "$ADDR" library/node:20 --seed 8 >/dev/null
cycle && ok || fail "cycle with a big answer failed"
received ".[$n:]" >"$TMP/big.json"
expect_jq "$TMP/big.json" '[.[] | .body | fromjson | .type] == ["tag.moved",
    "finding.opened"]' "a big 200 counts as delivered, nothing resent"
expect_status 0 "$TAGDRIFT" --db "$TMP/h.db" outbox --format json
expect_jq "$TMP/out" 'length == 0' "nothing pending after the big 200"
printf 'FROM %s:20@%s\n' "$IMG" "$($R digest "$ADDR" library/node:20)" \
    >"$TMP/tree/Dockerfile"
cycle && ok || fail "cycle after the fix failed"

# A newer release of the watched family: tag.added, once.
n=$(count)
$R push "$ADDR" library/node:22 --seed 3 >/dev/null
$R push "$ADDR" library/node:20.19.0 --seed 4 >/dev/null
cycle && ok || fail "cycle after the new tags failed"
cycle && ok || fail "cycle after the new tags failed"
received ".[$n:]" >"$TMP/r3.json"
expect_jq "$TMP/r3.json" "[.[] | .body | fromjson |
    select(.type == \"tag.added\")] | length == 1 and
    .[0].data.tag == \"22\" and .[0].data.replaces == \"20\" and
    .[0].data.image == \"$IMG\"" \
    "one tag.added for 22, none for 20.19.0 (another precision)"
expect_jq "$TMP/r3.json" "[.[] | .body | fromjson |
    select(.type != \"tag.added\") | [.type, .data.rule]] ==
    [[\"finding.opened\", \"outdated\"]]" \
    "and the pin to 20 is now outdated"

# No scan paths (an empty --scan list is the config's; here a config
# without [daemon] scan): the poll's own tag.moved still goes out.
n=$(count)
sed '/^\[daemon\]/,/^scan =/d' "$TMP/t.conf" >"$TMP/noscan.conf"
"$TAGDRIFT" -c "$TMP/noscan.conf" --db "$TMP/noscan.db" daemon --once \
    >>"$TMP/daemon.log" 2>&1
$R push "$ADDR" library/node:20 --seed 7 >/dev/null
"$TAGDRIFT" -c "$TMP/noscan.conf" --db "$TMP/noscan.db" daemon --once \
    >>"$TMP/daemon.log" 2>&1
received ".[$n:]" >"$TMP/noscan.json"
expect_jq "$TMP/noscan.json" '[.[] | .body | fromjson | .type] ==
    ["tag.moved"]' "tag.moved delivered without a scan"

# Two scan roots holding the same relative path: two findings, told apart.
n=$(count)
mkdir -p "$TMP/r1" "$TMP/r2"
printf 'FROM %s:latest\n' "$IMG" >"$TMP/r1/Dockerfile"
printf 'FROM %s:latest\n' "$IMG" >"$TMP/r2/Dockerfile"
"$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/roots.db" daemon --once \
    --scan "$TMP/r1" --scan "$TMP/r2" >>"$TMP/daemon.log" 2>&1
received ".[$n:]" >"$TMP/roots.json"
expect_jq "$TMP/roots.json" "[.[] | .body | fromjson |
    select(.data.rule == \"latest\") | .data.file] | sort ==
    [\"$TMP/r1/Dockerfile\", \"$TMP/r2/Dockerfile\"]" \
    "one latest finding per root"
n=$(count)
printf 'FROM %s:20\n' "$IMG" >"$TMP/r1/Dockerfile"
"$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/roots.db" daemon --once \
    --scan "$TMP/r1" --scan "$TMP/r2" >>"$TMP/daemon.log" 2>&1
received ".[$n:]" >"$TMP/roots2.json"
expect_jq "$TMP/roots2.json" "[.[] | .body | fromjson |
    select(.data.rule == \"latest\") | [.type, .data.file]] ==
    [[\"finding.resolved\", \"$TMP/r1/Dockerfile\"]]" \
    "fixing one root resolves only its finding"

# The other formats, on a fresh database with the re-push to tell.
for fmt in slack cloudevents; do
	n=$(count)
	rm -f "$TMP/$fmt.db"
	"$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/$fmt.db" daemon --once \
	    --webhook-format "$fmt" >>"$TMP/daemon.log" 2>&1
	$R push "$ADDR" library/node:20 --seed "1$fmt" >/dev/null 2>&1 ||
	    $R push "$ADDR" library/node:20 --seed 9 >/dev/null
	"$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/$fmt.db" daemon --once \
	    --webhook-format "$fmt" >>"$TMP/daemon.log" 2>&1
	received ".[$n:]" >"$TMP/$fmt.json"
	case $fmt in
	slack)
		expect_jq "$TMP/$fmt.json" 'length >= 1 and all(.[];
		    .verified == true and (.body | fromjson |
		    (.text | type) == "string" and (.blocks | type) ==
		    "array"))' "slack bodies" ;;
	cloudevents)
		expect_jq "$TMP/$fmt.json" 'length >= 1 and all(.[];
		    .verified == true and
		    (.headers["content-type"] |
		    startswith("application/cloudevents+json")) and
		    (.body | fromjson | .specversion == "1.0" and
		    (.type | startswith("dev.tagdrift.")) and
		    .id == .id and (.data | type) == "object"))' \
		    "cloudevents bodies" ;;
	esac
done

[ "$failures" -eq 0 ] || sed 's/^/    daemon: /' "$TMP/daemon.log" | tail -40 >&2
finish
