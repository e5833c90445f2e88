#!/bin/sh
# tagdrift poll against the loopback harness registry: history recorded,
# one HEAD per distinct tag, no manifest GET for an unchanged index, tag
# lists recorded once per cache_ttl (and counted apart from manifest GETs),
# a failed tag list not changing the exit status, JSON shape, and exit 3
# once the registry is gone.
. "$(dirname "$0")/lib.sh"

R="/usr/bin/python3 $top_srcdir/tests/harness/registry.py"
trap '$R stop "$TMP/reg" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP
ADDR=$($R start "$TMP/reg" --owner $$ --max-lifetime 300) || {
	echo "poll.sh: the harness registry did not start" >&2
	exit 1
}
DB="$TMP/db/history.db"
# Count lines of the front's request log.
nlog() {
	grep -c "$1" "$TMP/reg/requests.log"
}

d1=$($R push "$ADDR" library/node:20 --platforms linux/amd64,linux/arm64 \
    --seed 1)
d2=$($R push "$ADDR" team/app:1.0 --seed 1)
$R push "$ADDR" library/node:18 --seed 3 >/dev/null

# First poll: both new; the same tag named three ways costs one HEAD.
expect_status 0 "$TAGDRIFT" poll --db "$DB" --format json \
    "$ADDR/library/node:20" "$ADDR/library/node:20" "$ADDR/team/app:1.0" \
    "$ADDR/team/app:nope"
F="$TMP/first.json"
cp "$TMP/out" "$F"
expect_jq "$F" '.results | length == 3' "duplicates polled once"
expect_jq "$F" ".results[0].status == \"new\" and
    .results[0].digest == \"$d1\"" "index digest recorded"
expect_jq "$F" '.results[0].platforms == 2 and .results[0].media_type ==
    "application/vnd.oci.image.index.v1+json"'
expect_jq "$F" ".results[1].status == \"new\" and
    .results[1].digest == \"$d2\""
expect_jq "$F" '.results[2].status == "not-found" and
    .results[2].digest == null and (.results[2].error | type) == "string"'
expect_jq "$F" '.results[0] | keys == ["digest", "error", "image",
    "media_type", "platforms", "previous", "status", "tag"]' "result keys"
expect_jq "$F" '(.poll | type) == "number" and (.registries | length) == 1'
expect_jq "$F" ".registries[0] | .name == \"$ADDR\" and .head == 3 and
    .get == 1 and .tag_lists == 2 and .requests == 6 and .errors == 1 and
    .ratelimit_remaining == null" "tag-list GETs counted apart"
expect_jq "$F" ".tag_lists == [
    {\"image\": \"$ADDR/library/node\", \"status\": \"listed\",
     \"tags\": 2, \"error\": null},
    {\"image\": \"$ADDR/team/app\", \"status\": \"listed\",
     \"tags\": 1, \"error\": null}]" "one tag list per repository"
sleep 0.3	# the front logs a HEAD after answering it
[ "$(nlog 'HEAD /v2/library/node/manifests/20 ')" -eq 1 ] && ok ||
    fail "one HEAD for a tag named twice"
[ "$(nlog 'GET /v2/library/node/tags/list')" -eq 1 ] && ok ||
    fail "one tag list per repository"
# The list is recorded: 18 was never polled, yet tags knows it.
expect_status 0 "$TAGDRIFT" tags --db "$DB" --format json \
    "$ADDR/library/node"
expect_grep "$TMP/out" '"18"'
expect_grep "$TMP/out" '"20"'

# Five unchanged polls: no new manifest GET, still one period.
gets=$(nlog 'GET /v2/library/node/manifests/')
for i in 1 2 3 4 5; do
	expect_status 0 "$TAGDRIFT" poll --db "$DB" --format json \
	    "$ADDR/library/node:20"
done
expect_jq "$TMP/out" '.results[0] | .status == "unchanged" and
    .previous == null and .platforms == 2'
expect_jq "$TMP/out" '.registries[0] | .get == 0 and .tag_lists == 0 and
    .requests == 1' "an unchanged poll costs one HEAD"
expect_jq "$TMP/out" '.tag_lists[0] | .status == "cached" and .tags == null'
sleep 0.3
[ "$(nlog 'GET /v2/library/node/manifests/')" -eq "$gets" ] && ok || \
    fail "an unchanged index was fetched again"
[ "$(nlog 'GET /v2/library/node/tags/list')" -eq 1 ] && ok ||
    fail "the tag list was fetched again within cache_ttl"

# cache_ttl = 0: every poll lists again.
printf '[general]\ncache_ttl = 0\n' >"$TMP/ttl0.conf"
expect_status 0 "$TAGDRIFT" -c "$TMP/ttl0.conf" poll --db "$DB" \
    --format json "$ADDR/library/node:20"
expect_jq "$TMP/out" '.registries[0].tag_lists == 1 and
    .tag_lists[0].status == "listed"'
sleep 0.3
[ "$(nlog 'GET /v2/library/node/tags/list')" -eq 2 ] && ok ||
    fail "cache_ttl = 0 did not list again"

# A tag new to the history refreshes a recent list; a failed list is
# reported but the exit status stays 0 since the digest was resolved.
$R push "$ADDR" team/app:3.0 --seed 4 >/dev/null
$R fault "$TMP/reg" --path /tags/list --status 403 --times -1 >/dev/null
expect_status 0 "$TAGDRIFT" poll --db "$DB" --format json \
    "$ADDR/team/app:3.0"
expect_jq "$TMP/out" '.results[0].status == "new"'
expect_jq "$TMP/out" '.tag_lists[0] | .status == "failed" and
    (.error | type) == "string"' "failed tag list reported"
expect_status 0 "$TAGDRIFT" -c "$TMP/ttl0.conf" poll --db "$DB" \
    "$ADDR/team/app:3.0"
expect_grep "$TMP/out" "^failed +$ADDR/team/app: tags: "
$R fault "$TMP/reg" --clear >/dev/null
expect_status 0 "$TAGDRIFT" history --db "$DB" --format json \
    "$ADDR/library/node:20"
expect_grep "$TMP/out" "$d1"

# A re-push moves the tag: text output names both digests.
d3=$($R push "$ADDR" library/node:20 --platforms linux/amd64,linux/arm64 \
    --seed 2)
expect_status 0 "$TAGDRIFT" poll --db "$DB" "$ADDR/library/node:20"
expect_grep "$TMP/out" "^moved +$ADDR/library/node:20 $d1 -> $d3"
expect_grep "$TMP/out" "^$ADDR: 2 requests \(1 HEAD, 1 GET, 0 tag list GET\)"

# -q prints only errors: a move and the summary stay quiet.
d4=$($R push "$ADDR" library/node:20 --platforms linux/amd64,linux/arm64 \
    --seed 3)
expect_status 0 "$TAGDRIFT" -q poll --db "$DB" "$ADDR/library/node:20"
[ ! -s "$TMP/out" ] && ok || fail "poll -q printed: $(head -3 "$TMP/out")"
expect_status 0 "$TAGDRIFT" history --db "$DB" --format json \
    "$ADDR/library/node:20"
expect_jq "$TMP/out" ".periods[0].digest == \"$d4\"" "-q still records"

# No REF: the catalog's image:tags (scratch skipped); RateLimit recorded.
cat >"$TMP/tagdrift.conf" <<EOF
[image $ADDR/team/app]
production = 1.0 2.0
[image scratch]
note = static binaries
EOF
$R fault "$TMP/reg" --path /team/app/manifests/ --times -1 \
    --header 'RateLimit-Remaining: 7;w=21600' >/dev/null
expect_status 0 "$TAGDRIFT" -c "$TMP/tagdrift.conf" poll --db "$DB" \
    --format json
expect_jq "$TMP/out" '[.results[] | .tag] == ["1.0", "2.0"]' \
    "catalog tags polled"
expect_jq "$TMP/out" '[.results[] | .status] == ["unchanged", "not-found"]'
expect_jq "$TMP/out" '.registries[0].ratelimit_remaining == 7'
$R fault "$TMP/reg" --clear >/dev/null

# --mirror: Docker Hub's node:20 asked at the loopback registry, recorded
# under its own name.
cur=$($R digest "$ADDR" library/node:20)
before=$(nlog "^HEAD /v2/library/node/manifests/20 ")
expect_status 0 "$TAGDRIFT" poll --db "$TMP/mirror.db" --format json \
    --mirror "docker.io=http://$ADDR/" node:20
expect_jq "$TMP/out" ".results[0].image == \"docker.io/library/node\" and
    .results[0].digest == \"$cur\" and
    .registries[0].name == \"docker.io\" and
    .registries[0].base == \"http://$ADDR\"" "a mirror keeps the name"
[ "$(nlog "^HEAD /v2/library/node/manifests/20 ")" -eq $((before + 1)) ] &&
	ok || fail "the mirror was not asked"
expect_status 0 "$TAGDRIFT" history --db "$TMP/mirror.db" --format json node:20
expect_jq "$TMP/out" ".periods[0].digest == \"$cur\""
expect_status 2 "$TAGDRIFT" poll --db "$DB" --mirror docker.io node:20
expect_grep "$TMP/err" "want REGISTRY=URL"
expect_status 2 "$TAGDRIFT" poll --db "$DB" \
    --mirror docker.io=http://mirror.example node:20
expect_grep "$TMP/err" "plain http:// needs insecure"

# Usage errors.
expect_status 2 "$TAGDRIFT" poll --db "$DB" 'UPPER:tag'
expect_status 2 "$TAGDRIFT" poll --db "$DB" --format xml "$ADDR/team/app:1.0"

# The registry gone: nothing answers, exit 3.
$R stop "$TMP/reg" >/dev/null
expect_status 3 "$TAGDRIFT" poll --db "$DB" --format json "$ADDR/team/app:1.0"
expect_jq "$TMP/out" '.results[0].status == "failed" and
    .registries[0].errors == 1'

finish
