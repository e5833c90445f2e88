#!/bin/sh
# tagdrift history and tags: read a history database filled through the
# sqlite3 CLI with the migrations of sql/; JSON shape, order, exit statuses.
. "$(dirname "$0")/lib.sh"

if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "history.sh: sqlite3 not installed, skipped"
	exit 77
fi

DB="$TMP/history.db"
# The schema as store_open leaves it: every migration, user_version the
# newest, and the application id "tagd" (0x74616764) that marks a tagdrift
# database.
newest=$(ls "$top_srcdir"/sql/[0-9][0-9][0-9]-*.sql | wc -l)
{
	cat "$top_srcdir"/sql/[0-9][0-9][0-9]-*.sql
	echo "PRAGMA user_version = $newest;"
	echo "PRAGMA application_id = 1952540516;"
} | sqlite3 "$DB" || { echo "history.sh: cannot create $DB" >&2; exit 99; }

A=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
B=sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
C=sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc
D=sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd
IDX=application/vnd.oci.image.index.v1+json
# 2025-11-01, 2025-11-20 and 2025-12-01, midnight UTC.
T1=1761955200
T2=1763596800
T3=1764547200
# node:20-alpine pointed at A (a single manifest), then moved to B, an
# index of two platforms.  Tag list 2 of node lacks 18-alpine: gone.
sqlite3 "$DB" <<EOF || { echo "history.sh: cannot fill $DB" >&2; exit 99; }
INSERT INTO repo (id, name, tags_fetched_at, tags_gen)
    VALUES (1, 'docker.io/library/node', $T3, 2);
INSERT INTO tag (id, repo_id, name, first_seen, last_seen, listed_gen,
    gone_since) VALUES
    (1, 1, '20-alpine', $T1, $T3, 2, NULL),
    (2, 1, '20.18.1-alpine', $T1, $T3, 2, NULL),
    (3, 1, '22-alpine', $T1, $T3, 2, NULL),
    (4, 1, '22.11.0-alpine', $T1, $T3, 2, NULL),
    (5, 1, '22-slim', $T1, $T3, 2, NULL),
    (6, 1, '24.0.0rc1-slim', $T1, $T3, 2, NULL),
    (7, 1, '22.11.0', $T1, $T3, 2, NULL),
    (8, 1, 'latest', $T1, $T3, 2, NULL),
    (9, 1, 'lts-alpine', $T1, $T3, 2, NULL),
    (10, 1, '18-alpine', $T1, $T2, 1, $T3);
INSERT INTO period (tag_id, digest, media_type, first_seen, last_seen,
    closed_at) VALUES
    (1, '$A', 'application/vnd.oci.image.manifest.v1+json', $T1, $T2, $T2),
    (1, '$B', '$IDX', $T2, $T3, NULL);
INSERT INTO manifest_index (digest, media_type, fetched_at)
    VALUES ('$B', '$IDX', $T2);
INSERT INTO platform (index_digest, position, os, architecture, variant,
    digest) VALUES
    ('$B', 0, 'linux', 'amd64', '', '$C'),
    ('$B', 1, 'linux', 'arm64', 'v8', '$D');
EOF

# history: newest first, options after the operand.
expect_status 0 "$TAGDRIFT" history node:20-alpine --db "$DB" --format json
cp "$TMP/out" "$TMP/h.json"
expect_jq "$TMP/h.json" '.image == "docker.io/library/node" and .tag == "20-alpine"'
expect_jq "$TMP/h.json" '.periods | length == 2'
expect_jq "$TMP/h.json" "[.periods[].digest] == [\"$B\", \"$A\"]" "newest period first"
expect_jq "$TMP/h.json" '[.periods[].current] == [true, false]'
expect_jq "$TMP/h.json" '.periods[0].first_seen == "2025-11-20T00:00:00Z" and .periods[0].last_seen == "2025-12-01T00:00:00Z"' "RFC 3339 UTC times"
expect_jq "$TMP/h.json" '.periods[1].last_seen == "2025-11-20T00:00:00Z"'
expect_jq "$TMP/h.json" ".periods[0].media_type == \"$IDX\""
expect_jq "$TMP/h.json" ".periods[0].platforms == [{\"os\":\"linux\",\"architecture\":\"amd64\",\"variant\":null,\"digest\":\"$C\"},{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\",\"digest\":\"$D\"}]" "index platforms in order"
expect_jq "$TMP/h.json" '.periods[1].platforms == []' "a single manifest has no platforms"
expect_jq "$TMP/h.json" '.periods[0] | keys_unsorted == ["digest","media_type","first_seen","last_seen","current","platforms"]'

# The same image spelled otherwise is the same identity.
expect_status 0 "$TAGDRIFT" --db "$DB" history -f json docker.io/library/node:20-alpine
expect_jq "$TMP/out" '.periods | length == 2'

# Text form.
expect_status 0 "$TAGDRIFT" history --db "$DB" node:20-alpine
expect_grep "$TMP/out" "^docker.io/library/node:20-alpine \\(2 periods\\)"
expect_grep "$TMP/out" "2025-11-20T00:00:00Z +2025-12-01T00:00:00Z +current +$B"
expect_grep "$TMP/out" "linux/arm64/v8 +$D"
expect_grep "$TMP/out" "past +$A"

# No tag is latest, which has no periods: exit 1 and a clear message.
expect_status 1 "$TAGDRIFT" history --db "$DB" node
expect_grep "$TMP/err" 'no history for docker.io/library/node:latest \(run tagdrift poll first\)'
expect_status 1 "$TAGDRIFT" history --db "$DB" python:3.12-slim --format json
expect_grep "$TMP/err" 'no history for docker.io/library/python:3.12-slim'

# Usage errors: exit 2.
expect_status 2 "$TAGDRIFT" history --db "$DB"
expect_status 2 "$TAGDRIFT" history --db "$DB" node:20 node:22
expect_status 2 "$TAGDRIFT" history --db "$DB" 'NODE:20'
expect_status 2 "$TAGDRIFT" history --db "$DB" "node@$A"
expect_status 2 "$TAGDRIFT" history --db "$DB" node --format sarif

# tags: variants, newest, EOL as of a date, gone tags.
expect_status 0 "$TAGDRIFT" tags node --db "$DB" --format json --as-of 2026-12-04
cp "$TMP/out" "$TMP/t.json"
expect_jq "$TMP/t.json" '.image == "docker.io/library/node" and .fetched_at == "2025-12-01T00:00:00Z"'
expect_jq "$TMP/t.json" '[.variants[].variant] == ["", "alpine", "slim"]' "variants by name"
expect_jq "$TMP/t.json" '.variants[1].tags == ["22.11.0-alpine", "22-alpine", "20.18.1-alpine", "20-alpine"]' "newest version first"
expect_jq "$TMP/t.json" '.variants[1].newest == "22.11.0-alpine"'
expect_jq "$TMP/t.json" '.variants[2].newest == "22-slim"' "a pre-release is not the newest"
expect_jq "$TMP/t.json" '.variants[2].tags == ["24.0.0rc1-slim", "22-slim"]'
expect_jq "$TMP/t.json" '.variants[1].eol.product == "node" and .variants[1].eol.cycle == "22" and .variants[1].eol.state == "supported"'
expect_jq "$TMP/t.json" '[.variants[1].eol.cycles[] | [.cycle, .state]] == [["22","supported"],["20","past"]]' "EOL of each cycle"
expect_jq "$TMP/t.json" '.unversioned == ["latest", "lts-alpine"]'
expect_jq "$TMP/t.json" '.gone == [{"tag":"18-alpine","gone_since":"2025-12-01T00:00:00Z"}]'
expect_jq "$TMP/t.json" '[.variants[].tags[]] | index("18-alpine") == null' "gone tags are not listed as existing"

# --as-of moves the EOL judgement: node 22 ends 2027-04-30.
expect_status 0 "$TAGDRIFT" tags --db "$DB" -f json --as-of 2027-03-01 node
expect_jq "$TMP/out" '.variants[1].eol.state == "soon"'
expect_status 0 "$TAGDRIFT" tags --db "$DB" -f json --as-of 2027-05-01 node
expect_jq "$TMP/out" '.variants[1].eol.state == "past"'
expect_status 2 "$TAGDRIFT" tags --db "$DB" --as-of 2027-13-45 node

# Text form.
expect_status 0 "$TAGDRIFT" tags --db "$DB" --as-of 2026-12-04 node
expect_grep "$TMP/out" '^alpine: newest 22.11.0-alpine, 4 tags'
expect_grep "$TMP/out" '20 LTS past end of life \(2026-04-30\)'
expect_grep "$TMP/out" '^gone:'
expect_grep "$TMP/out" '18-alpine since 2025-12-01T00:00:00Z'

# An image the table does not know has no EOL; an unknown image exits 1.
sqlite3 "$DB" "INSERT INTO repo (id, name) VALUES (2, 'ghcr.io/o/app');
    INSERT INTO tag (repo_id, name, first_seen, last_seen)
    VALUES (2, 'v1.2-alpine', $T1, $T1);"
expect_status 0 "$TAGDRIFT" tags --db "$DB" -f json ghcr.io/o/app
expect_jq "$TMP/out" '.variants == [{"variant":"alpine","newest":"v1.2-alpine","tags":["v1.2-alpine"],"eol":null}] and .fetched_at == null'
expect_status 1 "$TAGDRIFT" tags --db "$DB" python
expect_grep "$TMP/err" 'no tags known for docker.io/library/python'
expect_status 2 "$TAGDRIFT" tags --db "$DB" node:20
expect_status 2 "$TAGDRIFT" tags --db "$DB"

# Databases that cannot be used: exit 3, a message, no crash.
expect_status 3 "$TAGDRIFT" history --db "$TMP/missing.db" node:20-alpine
expect_grep "$TMP/err" "no history database at $TMP/missing.db \\(run tagdrift poll first\\)"
[ ! -e "$TMP/missing.db" ] && ok || fail "history created the missing database"
expect_status 3 "$TAGDRIFT" tags --db "$TMP/missing.db" node
expect_grep "$TMP/err" 'no history database at'
# Without --db: the default path under XDG_STATE_HOME, missing here.
expect_status 3 "$TAGDRIFT" history node:20-alpine
expect_grep "$TMP/err" "no history database at $TMP/state/tagdrift/history.db"

expect_status 3 "$TAGDRIFT" tags --db "$TMP" node
expect_grep "$TMP/err" 'is a directory'

: >"$TMP/empty.db"
expect_status 3 "$TAGDRIFT" history --db "$TMP/empty.db" node:20-alpine
expect_grep "$TMP/err" 'empty database'

printf 'this is not an SQLite database, only some text\n%.0s' \
    1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 >"$TMP/junk.db"
expect_status 3 "$TAGDRIFT" history --db "$TMP/junk.db" node:20-alpine
expect_grep "$TMP/err" 'junk.db'
expect_status 3 "$TAGDRIFT" tags --db "$TMP/junk.db" node

sqlite3 "$TMP/other.db" 'CREATE TABLE t (x); PRAGMA application_id = 42;'
expect_status 3 "$TAGDRIFT" history --db "$TMP/other.db" node:20-alpine
expect_grep "$TMP/err" 'not a tagdrift database'

# A damaged page behind a valid header: overwrite the period table's root.
cp "$DB" "$TMP/bad.db"
root=$(sqlite3 "$TMP/bad.db" "SELECT rootpage FROM sqlite_master WHERE name = 'period'")
psize=$(sqlite3 "$TMP/bad.db" 'PRAGMA page_size')
head -c "$psize" /dev/urandom | dd of="$TMP/bad.db" bs="$psize" \
    seek=$((root - 1)) conv=notrunc 2>/dev/null
expect_status 3 "$TAGDRIFT" history --db "$TMP/bad.db" node:20-alpine
expect_grep "$TMP/err" 'bad.db'

# A newer schema is refused, not misread.
cp "$DB" "$TMP/new.db"
sqlite3 "$TMP/new.db" 'PRAGMA user_version = 99'
expect_status 3 "$TAGDRIFT" tags --db "$TMP/new.db" node
expect_grep "$TMP/err" 'newer tagdrift'

# Read-only: the commands leave the database as they found it.
sum1=$(cksum <"$DB")
expect_status 0 "$TAGDRIFT" history --db "$DB" node:20-alpine
expect_status 0 "$TAGDRIFT" tags --db "$DB" node
[ "$(cksum <"$DB")" = "$sum1" ] && ok || fail "the database changed"

finish
