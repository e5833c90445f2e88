#!/bin/sh
# tagdrift poll through a Docker Hub-like token-auth front
# (tests/harness/authfront.py) of the loopback registry: anonymous pulls
# with one token per scope, reused; a token expiring mid-poll renewed once;
# an unknown repository (insufficient_scope) reported without a loop while
# the other tags succeed; a private repository with credentials from the
# tagdrift config and from Docker's config.json, and denied with wrong
# ones; the password in no output, log or database.
. "$(dirname "$0")/lib.sh"

R="/usr/bin/python3 $top_srcdir/tests/harness/registry.py"
A="/usr/bin/python3 $top_srcdir/tests/harness/authfront.py"
trap '$A stop "$TMP/af" >/dev/null 2>&1; $R stop "$TMP/reg" >/dev/null 2>&1;
    rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP
BACK=$($R start "$TMP/reg" --owner $$ --max-lifetime 300) || {
	echo "auth.sh: the harness registry did not start" >&2
	exit 1
}
# Images go straight to the registry; the front only serves pulls.
d20=$($R push "$BACK" library/node:20 --platforms linux/amd64,linux/arm64 \
    --seed 1)
d18=$($R push "$BACK" library/node:18 --seed 2)
dapp=$($R push "$BACK" team/app:1.0 --seed 3)
dsec=$($R push "$BACK" team/secret:1 --seed 4)
PW="Pw-$$-sekrit-tagdrift"
B64=$(printf 'robot:%s' "$PW" | base64 | tr -d '\n')
ADDR=$($A start "$TMP/af" --backend "$BACK" --owner $$ --expires 2 \
    --max-lifetime 300 --private team/secret --user "robot:$PW") || {
	echo "auth.sh: the auth front did not start" >&2
	exit 1
}
LOG="$TMP/af/authfront.log"
DB="$TMP/db/history.db"
# Docker's config.json directory for run; none by default, so a stray
# ~/.docker/config.json plays no part.
DC="$TMP/no-docker"
printf '# empty\n' >"$TMP/empty.conf"

# Lines of the front's log matching a regex; token fetches (200) for a
# repository; requests for it.
nlog() {
	grep -c "$1" "$LOG"
}
ntok() {
	grep -c "^token GET /token 200 .* scope=repository:$1:pull " "$LOG"
}
nreq() {
	grep -c "^registry [A-Z]* /v2/$1/" "$LOG"
}
# run WANT ARGS...: tagdrift ARGS with DOCKER_CONFIG=$DC, keeping every
# output for the final grep.
run() {
	want=$1
	shift
	expect_status "$want" env DOCKER_CONFIG="$DC" "$TAGDRIFT" "$@"
	cat "$TMP/out" >>"$TMP/all.out"
	cat "$TMP/err" >>"$TMP/all.err"
}
# check COND MESSAGE: a shell test.
check() {
	if eval "$1"; then ok; else fail "$2 ($1)"; fi
}

# Anonymous pulls: one token per scope, reused by every request of it.
run 0 -c "$TMP/empty.conf" poll --db "$DB" --format json \
    "$ADDR/library/node:20" "$ADDR/library/node:18" "$ADDR/team/app:1.0"
expect_jq "$TMP/out" "[.results[] | .status] == [\"new\", \"new\", \"new\"]
    and [.results[] | .digest] == [\"$d20\", \"$d18\", \"$dapp\"]" \
    "anonymous pulls recorded"
expect_jq "$TMP/out" '.results[0].platforms == 2'
sleep 0.3
check '[ "$(ntok library/node)" -eq 1 ]' "one token for library/node"
check '[ "$(ntok team/app)" -eq 1 ]' "one token for team/app"
n=$(grep -c '^registry [A-Z]* /v2/library/node/.* 200 token=valid$' "$LOG")
check '[ "$n" -ge 4 ]' "token reused: HEAD x2, index GET, tag list"
check '[ "$(nreq library/node)" -le 6 ]' "library/node: bounded requests"

# Expiry: the HEAD takes longer than the token lives, so the index GET
# after it is refused (invalid_token) and a fresh token fetched, once.
d20b=$($R push "$BACK" library/node:20 --platforms linux/amd64,linux/arm64 \
    --seed 5)
$R fault "$TMP/reg" --method HEAD --path '/library/node/manifests/20$' \
    --delay 2.5 >/dev/null
t0=$(ntok library/node)
r0=$(nreq library/node)
run 0 -c "$TMP/empty.conf" poll --db "$DB" --format json \
    "$ADDR/library/node:20"
expect_jq "$TMP/out" ".results[0] | .status == \"moved\" and
    .digest == \"$d20b\" and .previous == \"$d20\" and .platforms == 2" \
    "index fetched after the token expired"
sleep 0.3
EXPIRED='^registry GET /v2/library/node/manifests/sha256:.* 401 token=expired$'
check '[ "$(nlog "$EXPIRED")" -eq 1 ]' "the expired token was refused once"
check '[ "$(ntok library/node)" -eq $((t0 + 2)) ]' \
    "a fresh token after expiry (and one at the start)"
check '[ "$(nreq library/node)" -le $((r0 + 6)) ]' "no loop on expiry"

# A later poll (its token from before long expired) starts afresh.
$R fault "$TMP/reg" --clear >/dev/null
sleep 2.1
t0=$(ntok library/node)
r0=$(nreq library/node)
run 0 -c "$TMP/empty.conf" poll --db "$DB" --format json \
    "$ADDR/library/node:20"
expect_jq "$TMP/out" '.results[0].status == "unchanged" and
    .registries[0].errors == 0'
sleep 0.3
check '[ "$(ntok library/node)" -eq $((t0 + 1)) ]' "second poll: one token"
check '[ "$(nreq library/node)" -eq $((r0 + 2)) ]' \
    "second poll: a 401 and a HEAD"

# An unknown repository: a token with no access, insufficient_scope,
# reported, no loop; the other tags of the poll still resolve.
run 0 -c "$TMP/empty.conf" poll --db "$DB" --format json \
    "$ADDR/no/such:1" "$ADDR/team/app:1.0" "$ADDR/no/such:2" \
    "$ADDR/library/node:18"
expect_jq "$TMP/out" '[.results[] | .status] ==
    ["not-found", "unchanged", "not-found", "unchanged"]'
expect_jq "$TMP/out" '.results[0] | .digest == null and
    (.error | test("not found|denied"))' "unknown repository reported"
sleep 0.3
check '[ "$(ntok no/such)" -eq 1 ]' "one token fetch for no/such"
grep -q '^token GET /token 200 .* scope=repository:no/such:pull grant=-$' \
    "$LOG" && ok || fail "the no/such token grants nothing"
check '[ "$(nreq no/such)" -le 5 ]' \
    "no/such: bounded requests (two HEADs, each twice; a tag list)"

# A private repository: anonymous is denied; the tagdrift config's
# credentials work, and so do Docker's config.json's.
run 0 -c "$TMP/empty.conf" poll --db "$DB" --format json \
    "$ADDR/team/secret:1"
expect_jq "$TMP/out" '.results[0] | (.status == "not-found" or
    .status == "denied") and .digest == null' "private: anonymous denied"
printf '%s\n' "$PW" >"$TMP/pw"
printf 'wrong-%s\n' "$PW" >"$TMP/badpw"
printf '[registry %s]\nusername = robot\npassword_file = %s\n' \
    "$ADDR" "$TMP/pw" >"$TMP/good.conf"
printf '[registry %s]\nusername = robot\npassword_file = %s\n' \
    "$ADDR" "$TMP/badpw" >"$TMP/bad.conf"
SECRET_TOKEN='^token GET /token 200 auth=basic '\
'scope=repository:team/secret:pull grant=repository:team/secret:pull$'
b0=$(nlog "$SECRET_TOKEN")
run 0 -c "$TMP/good.conf" poll --db "$DB" --format json \
    "$ADDR/team/secret:1" "$ADDR/team/app:1.0"
expect_jq "$TMP/out" ".results[0] | .status == \"new\" and
    .digest == \"$dsec\"" "private: tagdrift config credentials"
expect_jq "$TMP/out" '.results[1].status == "unchanged"'
mkdir "$TMP/docker"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$ADDR" "$B64" \
    >"$TMP/docker/config.json"
DC="$TMP/docker"
run 0 -c "$TMP/empty.conf" poll --db "$DB" --format json \
    "$ADDR/team/secret:1"
expect_jq "$TMP/out" ".results[0] | .status == \"unchanged\" and
    .digest == \"$dsec\"" "private: Docker config.json credentials"
sleep 0.3
check '[ "$(nlog "$SECRET_TOKEN")" -eq $((b0 + 2)) ]' \
    "one credentialed token per poll"

# Wrong credentials: the token endpoint says 401; denied, cleanly.
n0=$(nlog '^token GET /token 401 auth=bad-basic')
run 0 -c "$TMP/bad.conf" poll --db "$DB" --format json \
    "$ADDR/team/secret:1"
expect_jq "$TMP/out" '.results[0] | .status == "denied" and
    .digest == null and (.error | test("token request: HTTP 401"))' \
    "wrong password (tagdrift config)"
printf '{"auths": {"http://%s": {"username": "robot", "password": "%s"}}}\n' \
    "$ADDR" "x$PW" >"$TMP/docker/config.json"
run 0 -c "$TMP/empty.conf" poll --db "$DB" "$ADDR/team/secret:1"
expect_grep "$TMP/out" \
    "^denied +$ADDR/team/secret:1: .*token request: HTTP 401"
check '[ ! -s "$TMP/err" ]' "a denial is reported, not an error on stderr"
sleep 0.3
check '[ "$(nlog "^token GET /token 401 auth=bad-basic")" -eq $((n0 + 2)) ]' \
    "one token attempt per wrong-password poll"
# Configured credentials come first: a bad config.json does not matter.
run 0 -v -c "$TMP/good.conf" poll --db "$DB" --format json \
    "$ADDR/team/secret:1"
expect_jq "$TMP/out" '.results[0].status == "unchanged"' \
    "tagdrift config before config.json"

# The secret appears nowhere: outputs (one run with -v), the database,
# the front's log.
for f in "$TMP/all.out" "$TMP/all.err" "$DB" "$DB-wal" "$LOG"; do
	[ -e "$f" ] || continue
	if grep -a -q -e "$PW" -e "$B64" "$f"; then
		fail "the password is in $f"
	else
		ok
	fi
done
check '[ -s "$TMP/all.err" ]' "the -v run logged something to check"
check '[ -s "$DB" ]' "there is a database to check"

finish
