#!/bin/sh
# tagdrift audit judged from a history database filled by tagdrift poll
# against the loopback harness registry: stale-digest after a re-push (for
# the index and for a platform manifest), fresh pins, --offline's data age,
# the default database path, and no database at all (a notice, no registry
# findings, --fail-on still decides); outdated from the polled tag list.
. "$(dirname "$0")/lib.sh"

R="/usr/bin/python3 $top_srcdir/tests/harness/registry.py"
trap '$R stop "$TMP/reg" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP
ADDR=$($R start "$TMP/reg" --owner $$ --max-lifetime 300) || {
	echo "audit-db.sh: the harness registry did not start" >&2
	exit 1
}
DB="$TMP/db/history.db"
IMG="$ADDR/library/node"

# Two pushes of node:20, each polled: the tag moved once.
$R push "$ADDR" library/node:20 --platforms linux/amd64,linux/arm64 \
    --seed 1 --json >"$TMP/push1.json"
expect_status 0 "$TAGDRIFT" poll --db "$DB" "$IMG:20"
$R push "$ADDR" library/node:20 --platforms linux/amd64,linux/arm64 \
    --seed 2 --json >"$TMP/push2.json"
expect_status 0 "$TAGDRIFT" poll --db "$DB" "$IMG:20"
d1=$(jq -r .digest "$TMP/push1.json")
d2=$(jq -r .digest "$TMP/push2.json")
arm1=$(jq -r '.manifests[] | select(.platform == "linux/arm64") | .digest' \
    "$TMP/push1.json")
arm2=$(jq -r '.manifests[] | select(.platform == "linux/arm64") | .digest' \
    "$TMP/push2.json")
[ "$d1" != "$d2" ] && [ -n "$arm2" ] && ok || fail "the re-push moved nothing"

# The old index pinned: stale-digest, the new digest as replacement.
mkdir -p "$TMP/src/old" "$TMP/src/new"
printf 'FROM %s:20@%s\n' "$IMG" "$d1" >"$TMP/src/old/Dockerfile"
expect_status 0 "$TAGDRIFT" audit --db "$DB" --format json "$TMP/src/old"
J="$TMP/old.json"
cp "$TMP/out" "$J"
expect_jq "$J" "[.findings[] | select(.rule == \"stale-digest\")] | length
    == 1" "one stale-digest"
expect_jq "$J" ".findings[] | select(.rule == \"stale-digest\") |
    .severity == \"warning\" and .line == 1 and
    .suggestion == \"$IMG:20@$d2\" and .evidence.pinned == \"$d1\" and
    .evidence.current == \"$d2\" and .evidence.rebuilds_behind == \"1\" and
    (.evidence.moved_at | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T\"))" \
    "stale-digest evidence and replacement"
expect_jq "$J" '.findings[] | select(.rule == "stale-digest") |
    .message | test("rebuilt 1 time since")'
expect_jq "$J" '(.notice // "") | test("not checked") | not' \
    "every reference had data"
# --fail-on decides the exit status of a warning.
expect_status 1 "$TAGDRIFT" audit --db "$DB" --fail-on warning "$TMP/src/old"
expect_grep "$TMP/out" "stale-digest"
# Every tag was seen within cache_ttl: the audit asks no registry and
# adds nothing to the database (not even a poll row).
sum=$(cksum <"$DB")
nreq=$(wc -l <"$TMP/reg/requests.log")
expect_status 0 "$TAGDRIFT" audit --db "$DB" "$TMP/src/old"
[ "$(cksum <"$DB")" = "$sum" ] && ok || fail "audit wrote to the database"
[ "$(wc -l <"$TMP/reg/requests.log")" -eq "$nreq" ] && ok ||
	fail "audit asked the registry about tags seen within cache_ttl"

# The old arm64 manifest: replaced by the new arm64 manifest.
printf 'FROM %s:20@%s\n' "$IMG" "$arm1" >"$TMP/src/old/Dockerfile"
expect_status 0 "$TAGDRIFT" audit --db "$DB" --format json "$TMP/src/old"
expect_jq "$TMP/out" ".findings[] | select(.rule == \"stale-digest\") |
    .suggestion == \"$IMG:20@$arm2\"" "a platform pin keeps its platform"

# The current index, or one of its platform manifests: fresh.
printf 'FROM %s:20@%s AS a\nFROM %s:20@%s\n' "$IMG" "$d2" "$IMG" "$arm2" \
    >"$TMP/src/new/Dockerfile"
expect_status 0 "$TAGDRIFT" audit --db "$DB" --format json \
    --fail-on warning "$TMP/src/new"
expect_jq "$TMP/out" '[.findings[] | select(.rule == "stale-digest" or
    .rule == "unknown-digest" or .rule == "missing-tag")] == []' \
    "current pins are fresh"

# A digest the tag never had; an image never polled: counted, not fresh.
printf 'FROM %s:20@sha256:%064d\nFROM %s/other/app:1\n' "$IMG" 7 "$ADDR" \
    >"$TMP/src/new/Dockerfile"
expect_status 0 "$TAGDRIFT" audit --db "$DB" --format json "$TMP/src/new"
expect_jq "$TMP/out" '[.findings[] | .rule] | index("unknown-digest") != null'
expect_jq "$TMP/out" '.notice |
    test("1 reference not checked against a registry [(]no data[)]")' \
    "the unpolled image is unknown"

# --offline says how old the data is.
expect_status 0 "$TAGDRIFT" audit --db "$DB" --offline "$TMP/src/old"
expect_grep "$TMP/out" "registry data from the last poll at \
[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z \(0 days ago\)"
expect_status 0 "$TAGDRIFT" audit --db "$DB" --offline --format json \
    "$TMP/src/old"
expect_jq "$TMP/out" '.notice | test("^registry data from the last poll at ")'

# The configured (default) path is used when --db is not given: that
# database saw only the second push, so the old manifest is unknown there.
expect_status 0 "$TAGDRIFT" poll "$IMG:20"
expect_status 1 "$TAGDRIFT" audit --fail-on warning --format json \
    "$TMP/src/old"
expect_jq "$TMP/out" '[.findings[] | select(.rule == "stale-digest" or
    .rule == "unknown-digest") | .rule] == ["unknown-digest"]' \
    "the default database is read"

# No database and --offline: a notice, no registry findings, never fresh;
# exit per --fail-on.
printf 'FROM %s:20@%s\n' "$IMG" "$d1" >"$TMP/src/old/Dockerfile"
for fo in error warning; do
	expect_status 0 "$TAGDRIFT" audit --offline --db "$TMP/none.db" \
	    --format json --fail-on "$fo" "$TMP/src/old"
	expect_jq "$TMP/out" '[.findings[] | select(.rule == "stale-digest"
	    or .rule == "unknown-digest" or .rule == "missing-tag" or
	    .rule == "stale-tag")] == []' "no registry findings ($fo)"
	expect_jq "$TMP/out" '.notice | test("^no history database at " +
	    ".*none[.]db: the registry rules [(].*[)] were not checked; " +
	    "1 reference not checked against a registry [(]no data[)]$")' \
	    "no-database notice ($fo)"
done
expect_status 1 "$TAGDRIFT" audit --offline --db "$TMP/none.db" \
    --fail-on info "$TMP/src/old"
expect_grep "$TMP/out" "^note: no history database"
[ ! -e "$TMP/none.db" ] && ok || fail "audit --offline created a database"

# Without --offline, audit asks the registry itself, through a database it
# creates: the pinned digest was never the tag's (that history starts now).
heads() {
	grep -c "^HEAD /v2/library/node/manifests/20 " "$TMP/reg/requests.log"
}
h0=$(heads)
expect_status 0 "$TAGDRIFT" audit --db "$TMP/new.db" --format json \
    "$TMP/src/old"
[ -s "$TMP/new.db" ] && ok || fail "audit did not create its database"
expect_jq "$TMP/out" '[.findings[] | .rule] | index("unknown-digest") != null' \
    "audit resolved the tag itself"
expect_jq "$TMP/out" '.notice | test("^registries asked about 1 tag$")' \
    "the notice counts what was asked"
[ "$(heads)" -eq $((h0 + 1)) ] && ok || fail "audit made $(($(heads) - h0)) HEADs, want 1"
# The current digest pinned: fresh.  A re-push within cache_ttl is not
# seen (the history answers, no request); with cache_ttl = 0 it is.
printf 'FROM %s:20@%s\n' "$IMG" "$d2" >"$TMP/src/new/Dockerfile"
$R push "$ADDR" library/node:20 --platforms linux/amd64,linux/arm64 \
    --seed 3 --json >"$TMP/push3.json"
d3=$(jq -r .digest "$TMP/push3.json")
h0=$(heads)
expect_status 0 "$TAGDRIFT" audit --db "$TMP/new.db" --format json \
    --fail-on warning "$TMP/src/new"
[ "$(heads)" -eq "$h0" ] && ok || fail "a tag seen within cache_ttl was asked"
expect_jq "$TMP/out" '[.findings[] | select(.rule == "stale-digest")] == []'
expect_jq "$TMP/out" '.notice | test("^registries asked about 0 tags " +
    "[(]1 more from the history, seen within cache_ttl[)]$")'
printf '[general]\ncache_ttl = 0s\n' >"$TMP/ttl0.conf"
expect_status 0 "$TAGDRIFT" -c "$TMP/ttl0.conf" audit --db "$TMP/new.db" \
    --format json "$TMP/src/new"
[ "$(heads)" -eq $((h0 + 1)) ] && ok || fail "cache_ttl = 0 did not ask"
expect_jq "$TMP/out" ".findings[] | select(.rule == \"stale-digest\") |
    .suggestion == \"$IMG:20@$d3\"" "the re-push seen with cache_ttl = 0"

# A registry that does not answer: the offline rules still run, the
# registry rules say unknown, the notice names the registry, the exit
# status is the findings' (a port nothing listens on: connection refused).
mkdir -p "$TMP/src/dead"
printf 'FROM 127.0.0.1:1/library/dead:1\nFROM node:latest\n' \
    >"$TMP/src/dead/Dockerfile"
expect_status 1 timeout 60 "$TAGDRIFT" audit --db "$TMP/new.db" \
    --format json --fail-on error "$TMP/src/dead"
expect_jq "$TMP/out" '[.findings[] | .rule] | index("latest") != null' \
    "the offline rules ran"
expect_jq "$TMP/out" '.notice | test("127[.]0[.]0[.]1:1 did not answer ")' \
    "the notice names the registry that did not answer"
expect_jq "$TMP/out" '.notice | test("2 references not checked against a " +
    "registry [(]no data[)]$")'

# A file that is not a database: operational failure.
echo garbage >"$TMP/bad.db"
expect_status 3 "$TAGDRIFT" audit --db "$TMP/bad.db" "$TMP/src/old"

# outdated: a pin to an older pushed tag, judged from the tag list poll
# recorded (the new tag makes poll list again despite cache_ttl).
old=$($R push "$ADDR" library/node:20.18.1-alpine --seed 5)
$R push "$ADDR" library/node:20.19.2-alpine --seed 6 >/dev/null
expect_status 0 "$TAGDRIFT" poll --db "$DB" --format json \
    "$IMG:20.18.1-alpine"
expect_jq "$TMP/out" '.tag_lists[0].tags == 3' "the new tags were listed"
mkdir -p "$TMP/src/outdated"
printf 'FROM %s:20.18.1-alpine@%s\n' "$IMG" "$old" \
    >"$TMP/src/outdated/Dockerfile"
expect_status 0 "$TAGDRIFT" audit --db "$DB" --format json \
    "$TMP/src/outdated"
expect_jq "$TMP/out" "[.findings[] | select(.rule == \"outdated\")] == [{
    \"rule\": \"outdated\", \"severity\": \"warning\",
    \"file\": \"Dockerfile\", \"line\": 1, \"column\": 6,
    \"text\": \"$IMG:20.18.1-alpine@$old\",
    \"message\": \"$IMG:20.18.1-alpine@$old: 20.19.2-alpine is newer (minor)\",
    \"suggestion\": \"$IMG:20.19.2-alpine\",
    \"evidence\": {\"newest\": \"20.19.2-alpine\", \"level\": \"minor\"}}]" \
    "outdated names the newer tag, the digest dropped"

finish
