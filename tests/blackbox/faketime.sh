#!/bin/sh
# Dates and day counts under a faked clock: tagdrift poll run by faketime
# at fixed past dates against the loopback harness registry records those
# times in the history, and audit --offline, run later under faketime,
# derives stale-digest's move date, stale-tag's day count and the notice's
# data age from the clock it reads.  Only tagdrift is faked: the registry
# and the rest of the script keep the real time.
. "$(dirname "$0")/lib.sh"

if ! command -v faketime >/dev/null 2>&1; then
	echo "faketime.sh: FAIL: the faketime command is missing (Debian" \
	    "packages faketime and libfaketime; scripts/install-deps.sh)" >&2
	exit 1
fi

# at 'YYYY-MM-DD hh:mm:ss' CMD...: run CMD with the wall clock frozen at
# that UTC time.  The monotonic clock stays real, so libuv and libcurl
# timers still run.  FT_ASAN is set below for an ASan build only.
FT_ASAN=
at() {
	at_when=$1
	shift
	env ${FT_ASAN:+"ASAN_OPTIONS=$FT_ASAN"} TZ=UTC0 \
	    faketime --exclude-monotonic -f "$at_when" "$@"
}

# An ASan runtime refuses to start when libfaketime is preloaded ahead of
# it ("ASan runtime does not come first"); preloading libasan ahead of
# libfaketime hung in a trial instead.  Detect the refusal and turn the
# link-order check off for the faked runs only.
at '2026-03-01 12:00:00' "$TAGDRIFT" --version >"$TMP/probe" 2>&1
if grep -q 'ASan runtime does not come first' "$TMP/probe"; then
	FT_ASAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	echo "faketime.sh: ASan build: faked runs use verify_asan_link_order=0"
	at '2026-03-01 12:00:00' "$TAGDRIFT" --version >"$TMP/probe" 2>&1
fi
if ! grep -q '^tagdrift ' "$TMP/probe"; then
	echo "faketime.sh: FAIL: tagdrift does not run under faketime:" >&2
	sed 's/^/    /' "$TMP/probe" | head -10 >&2
	exit 1
fi

R="/usr/bin/python3 $top_srcdir/tests/harness/registry.py"
trap '$R stop "$TMP/reg" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP
ADDR=$($R start "$TMP/reg" --owner $$ --max-lifetime 300) || {
	echo "faketime.sh: the harness registry did not start" >&2
	exit 1
}
DB="$TMP/db/history.db"
IMG="$ADDR/library/node"

# T0, T0 + 10 days, T0 + 12 days.
T0='2026-03-01 12:00:00'
T10='2026-03-11 12:00:00'
T12='2026-03-13 12:00:00'

# node:20 moves at T0 + 10 days; node:18 never moves.
d1=$($R push "$ADDR" library/node:20 --seed 1)
d18=$($R push "$ADDR" library/node:18 --seed 3)
expect_status 0 at "$T0" "$TAGDRIFT" poll --db "$DB" --format json \
    "$IMG:20" "$IMG:18"
expect_jq "$TMP/out" '[.results[].status] == ["new", "new"]'
d2=$($R push "$ADDR" library/node:20 --seed 2)
[ -n "$d1" ] && [ -n "$d2" ] && [ "$d1" != "$d2" ] && ok ||
    fail "the re-push did not move node:20"
expect_status 0 at "$T10" "$TAGDRIFT" poll --db "$DB" --format json \
    "$IMG:20" "$IMG:18"
expect_jq "$TMP/out" "[.results[] | [.status, .digest, .previous]] ==
    [[\"moved\", \"$d2\", \"$d1\"], [\"unchanged\", \"$d18\", null]]" \
    "node:20 moved at T0 + 10 days"
expect_status 0 at "$T12" "$TAGDRIFT" poll --db "$DB" --format json \
    "$IMG:20" "$IMG:18"
expect_jq "$TMP/out" '[.results[].status] == ["unchanged", "unchanged"]'

# The history holds the faked times exactly.  A closed period keeps the
# last poll that saw its digest as last_seen.
expect_status 0 "$TAGDRIFT" history --db "$DB" -f json "$IMG:20"
expect_jq "$TMP/out" "[.periods[] | [.digest, .first_seen, .last_seen,
    .current]] == [
    [\"$d2\", \"2026-03-11T12:00:00Z\", \"2026-03-13T12:00:00Z\", true],
    [\"$d1\", \"2026-03-01T12:00:00Z\", \"2026-03-01T12:00:00Z\", false]]" \
    "node:20 periods at the faked times"
expect_status 0 "$TAGDRIFT" history --db "$DB" -f json "$IMG:18"
expect_jq "$TMP/out" "[.periods[] | [.digest, .first_seen, .last_seen,
    .current]] == [
    [\"$d18\", \"2026-03-01T12:00:00Z\", \"2026-03-13T12:00:00Z\", true]]" \
    "node:18: one period over the three polls"

# The tree pins the old node:20 digest and follows node:18.  stale-tag
# fires when node:18 is older than stale_tag_days while node:20 moved
# within them: 38 days puts T0 + 40 and T0 + 45 inside that window.
mkdir -p "$TMP/src"
printf 'FROM %s:20@%s\nFROM %s:18\n' "$IMG" "$d1" "$IMG" \
    >"$TMP/src/Dockerfile"
printf '[policy]\nstale_tag_days = 38\n' >"$TMP/stale.conf"

# audit_at DATE: audit --offline at DATE into $TMP/audit.json.
audit_at() {
	expect_status 0 at "$1" "$TAGDRIFT" -c "$TMP/stale.conf" audit \
	    --offline --db "$DB" --format json "$TMP/src"
	cp "$TMP/out" "$TMP/audit.json"
}
# stale_digest: jq filter checking the finding (same at every date: the
# tag moved at T0 + 10 days, once).
stale_digest=".findings[] | select(.rule == \"stale-digest\") |
    .line == 1 and .evidence.pinned == \"$d1\" and
    .evidence.current == \"$d2\" and .suggestion == \"$IMG:20@$d2\" and
    .evidence.moved_at == \"2026-03-11T12:00:00Z\" and
    .evidence.rebuilds_behind == \"1\" and (.message | test(
    \"the tag moved off it on 2026-03-11 and has been rebuilt 1 time \" +
    \"since\$\"))"
# moved_days: days from stale-digest's moved_at to the faked date $1.
moved_days() {
	jq -r --arg now "$1" '.findings[] | select(.rule == "stale-digest") |
	    ((($now | strptime("%Y-%m-%d %H:%M:%S") | mktime) -
	    (.evidence.moved_at | fromdateiso8601)) / 86400 | floor)' \
	    "$TMP/audit.json"
}

# T0 + 40 days: moved 30 days before, node:18 unbuilt for 40 days, data
# from the T0 + 12 poll 28 days old.
T40='2026-04-10 12:00:00'
audit_at "$T40"
expect_jq "$TMP/audit.json" "[.findings[] | select(.rule ==
    \"stale-digest\")] | length == 1" "one stale-digest at T0 + 40"
expect_jq "$TMP/audit.json" "$stale_digest" "stale-digest evidence at T0 + 40"
[ "$(moved_days "$T40")" = 30 ] && ok ||
    fail "stale-digest: moved $(moved_days "$T40") days before T0 + 40, want 30"
expect_jq "$TMP/audit.json" "[.findings[] | select(.rule == \"stale-tag\")] ==
    [{\"rule\": \"stale-tag\", \"severity\": \"warning\",
    \"file\": \"Dockerfile\", \"line\": 2, \"column\": 6,
    \"text\": \"$IMG:18\",
    \"message\": (\"$IMG:18: tag '18' has not been rebuilt for 40 days \" +
    \"(since 2026-03-01) while tag '20' of the same image moved on \" +
    \"2026-03-11: it is probably no longer maintained\"),
    \"suggestion\": null,
    \"evidence\": {\"last_rebuild\": \"2026-03-01T12:00:00Z\",
    \"newest_move\": \"2026-03-11T12:00:00Z\", \"newest_tag\": \"20\"}}]" \
    "stale-tag counts 40 days at T0 + 40"
expect_jq "$TMP/audit.json" '.notice | test("^registry data from the last " +
    "poll at 2026-03-13T12:00:00Z [(]28 days ago[)]")' \
    "the data is 28 days old at T0 + 40"

# T0 + 45 days: the same audit counts five days more.
T45='2026-04-15 12:00:00'
audit_at "$T45"
expect_jq "$TMP/audit.json" "$stale_digest" "stale-digest evidence at T0 + 45"
[ "$(moved_days "$T45")" = 35 ] && ok ||
    fail "stale-digest: moved $(moved_days "$T45") days before T0 + 45, want 35"
expect_jq "$TMP/audit.json" '[.findings[] | select(.rule == "stale-tag") |
    .message | test("tag .18. has not been rebuilt for 45 days [(]since " +
    "2026-03-01[)] while tag .20. of the same image moved on 2026-03-11")] ==
    [true]' "stale-tag counts 45 days at T0 + 45"
expect_jq "$TMP/audit.json" '.notice | test("^registry data from the last " +
    "poll at 2026-03-13T12:00:00Z [(]33 days ago[)]")' \
    "the data is 33 days old at T0 + 45"

# Text form at T0 + 45: the notice and the stale-tag message.
expect_status 0 at "$T45" "$TAGDRIFT" -c "$TMP/stale.conf" audit \
    --offline --db "$DB" "$TMP/src"
expect_grep "$TMP/out" "last poll at 2026-03-13T12:00:00Z \(33 days ago\)"
expect_grep "$TMP/out" "has not been rebuilt for 45 days \(since 2026-03-01\)"

# The window moves with the clock: at T0 + 20 node:18 is 20 days old,
# under 38; at T0 + 55 node:20's move (45 days ago) is outside the window
# too.  stale-digest holds at both.
for d in '2026-03-21 12:00:00:8' '2026-04-25 12:00:00:43'; do
	when=${d%:*}
	age=${d##*:}
	audit_at "$when"
	expect_jq "$TMP/audit.json" '[.findings[] | select(.rule ==
	    "stale-tag")] == []' "no stale-tag at $when"
	expect_jq "$TMP/audit.json" "$stale_digest" "stale-digest at $when"
	expect_jq "$TMP/audit.json" ".notice | test(\"[(]$age days ago[)]\")" \
	    "the data is $age days old at $when"
done

# The default threshold (90 days) keeps node:18 fresh at T0 + 45.
expect_status 0 at "$T45" "$TAGDRIFT" audit --offline --db "$DB" \
    --format json "$TMP/src"
expect_jq "$TMP/out" '[.findings[] | select(.rule == "stale-tag")] == []' \
    "stale_tag_days = 90 by default"

# A clock before the last poll: the age is never negative.
expect_status 0 at '2026-03-05 12:00:00' "$TAGDRIFT" audit --offline \
    --db "$DB" --format json "$TMP/src"
expect_jq "$TMP/out" '.notice | test("[(]0 days ago[)]")' \
    "a poll in the future counts 0 days"

finish
