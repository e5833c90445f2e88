#!/bin/sh
# The command frame: --version, --help, exit statuses, option placement.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$TAGDRIFT" --version
expect_grep "$TMP/out" '^tagdrift [0-9]+\.[0-9]+\.[0-9]+$'

expect_status 0 "$TAGDRIFT" --help
for c in audit catalog check-config daemon history outbox poll ref tags; do
	expect_grep "$TMP/out" "^  $c "
done

expect_status 2 "$TAGDRIFT"
expect_status 2 "$TAGDRIFT" no-such-command
expect_grep "$TMP/err" "unknown command 'no-such-command'"
expect_status 2 "$TAGDRIFT" --no-such-option ref node
expect_status 2 "$TAGDRIFT" audit --no-such-option
expect_grep "$TMP/err" "unknown option '--no-such-option'"
expect_status 2 "$TAGDRIFT" audit --format
expect_grep "$TMP/err" "needs an argument"
expect_status 2 "$TAGDRIFT" audit --format xml .
expect_grep "$TMP/err" "invalid value 'xml' for --format"
expect_status 2 "$TAGDRIFT" audit --fail-on loud .
expect_status 2 "$TAGDRIFT" audit --as-of yesterday .

# Every command has --help with its own options and the shared ones.
for c in audit catalog check-config daemon history outbox poll ref tags; do
	expect_status 0 "$TAGDRIFT" "$c" --help
	expect_grep "$TMP/out" "^usage: tagdrift $c "
	expect_grep "$TMP/out" "--config FILE"
done
expect_status 0 "$TAGDRIFT" audit --help
expect_grep "$TMP/out" "--fail-on LEVEL"
expect_status 0 "$TAGDRIFT" daemon --help
expect_grep "$TMP/out" "--webhook-secret-file FILE"
expect_status 2 "$TAGDRIFT" daemon --poll-interval soon --once
expect_grep "$TMP/err" "--poll-interval: invalid duration"
expect_status 2 "$TAGDRIFT" daemon stray-argument
# --log-json: every log line of a daemon cycle is a JSON object.
: >"$TMP/empty.catalog"
printf '[general]\ncatalog = %s\n' "$TMP/empty.catalog" >"$TMP/empty.conf"
expect_status 0 "$TAGDRIFT" -c "$TMP/empty.conf" --db "$TMP/d.db" daemon \
    --once --log-json
expect_grep "$TMP/err" '"one cycle done"'
jq -e -s 'length > 2 and all(.[]; type == "object")' "$TMP/err" \
    >/dev/null 2>&1 && ok || fail "--log-json wrote a line that is not JSON"
expect_status 2 "$TAGDRIFT" outbox --format xml

# Global options go before or after the command; options may follow
# operands, as with git and the GNU tools.
mkdir -p "$TMP/tree"
printf 'FROM node:22-alpine\n' >"$TMP/tree/Dockerfile"
expect_status 2 "$TAGDRIFT" -c "$TMP/missing.conf" audit "$TMP/tree"
expect_status 2 "$TAGDRIFT" audit -c "$TMP/missing.conf" "$TMP/tree"
expect_status 2 "$TAGDRIFT" audit "$TMP/tree" -c "$TMP/missing.conf"
expect_status 0 "$TAGDRIFT" -q ref node:22 --format json
expect_jq "$TMP/out" '.[0].tag == "22"' "option after the operand"
expect_status 0 "$TAGDRIFT" ref --db "$TMP/x.db" node -v
# A path that does not exist is a usage error.
expect_status 2 "$TAGDRIFT" audit "$TMP/nope"
expect_grep "$TMP/err" "nope: No such file or directory"

finish
