#!/bin/sh
# tagdrift audit on the bundled examples and on fixture trees: the JSON
# contract, every offline rule, --fail-on and exit statuses, --as-of.
. "$(dirname "$0")/lib.sh"

EX="$top_srcdir/examples"
DAY=2026-12-04
audit() {
	"$TAGDRIFT" audit --offline --as-of "$DAY" "$@"
}

# The JSON document's shape.
expect_status 1 audit --format json "$EX"
cp "$TMP/out" "$TMP/ex.json"
J="$TMP/ex.json"
expect_jq "$J" '.version == 1 and .tool.name == "tagdrift" and (.tool.version | length > 0)'
expect_jq "$J" '(keys - ["notice"]) == ["findings","references","skipped","tool","version"]'
expect_jq "$J" 'all(.references[]; (keys - ["problem"]) == ["column","digest","file","final_stage","kind","line","registry","repository","resolved","stage","tag","text"])' "reference fields"
expect_jq "$J" 'all(.findings[]; (keys - ["column"]) == ["evidence","file","line","message","rule","severity","suggestion","text"])' "finding fields"
expect_jq "$J" 'all(.references[]; .file | startswith("/") | not)' "files are relative to the root"
expect_jq "$J" 'all(.references[]; .line >= 1 and .column >= 1)'
expect_jq "$J" '[.references[].kind] | unique == ["compose","dockerfile","github-actions","kubernetes"]' "every example kind"

# References as the issue defines them.
expect_jq "$J" '[.references[] | select(.file == "services/api/Dockerfile")] | length == 2' "api: golang + distroless (stage reference is not a reference)"
expect_jq "$J" '.references[] | select(.file == "services/api/Dockerfile" and .line == 5) | .text == "golang:${GO_VERSION}-alpine" and .tag == "1.22-alpine" and .stage == "build" and .final_stage == false and .resolved'
expect_jq "$J" '.references[] | select(.file == "services/api/Dockerfile" and .line == 12) | .final_stage == true and .stage == null and .registry == "gcr.io" and .repository == "distroless/static-debian12" and .tag == "nonroot"'
expect_jq "$J" '.references[] | select(.file == "services/legacy/Dockerfile" and .line == 4) | .resolved == false and .registry == null and .repository == null and .tag == null and .digest == null'
expect_jq "$J" '.references[] | select(.file == "compose.yaml" and .text == "postgres:${POSTGRES_VERSION:-16}-alpine") | .tag == "16-alpine" and .line == 9 and .kind == "compose"'
expect_jq "$J" '.references[] | select(.file == ".github/workflows/ci.yml" and .text == "hadolint/hadolint:v2.12.0") | .repository == "hadolint/hadolint" and .final_stage == false'
expect_jq "$J" '[.references[] | select(.file == "deploy/k8s/worker.yaml")] | map(.line) == [16, 20, 22, 37]' "kubernetes lines, both documents"

# Every offline rule except opt-in 'unpinned' fires on the examples.
for r in latest eol non-minimal build-image-final not-recommended unresolved; do
	expect_jq "$J" "any(.findings[]; .rule == \"$r\")" "rule $r fires"
done
expect_jq "$J" 'any(.findings[]; .rule == "unpinned") | not' "unpinned is opt-in"
expect_jq "$J" '.findings[] | select(.rule == "eol" and .file == "services/web/Dockerfile") | .severity == "error" and .line == 7 and .suggestion == "node:26-alpine" and .evidence.eol == "2026-04-30"' "node 20 eol with its replacement"
expect_jq "$J" '[.findings[] | select(.rule == "non-minimal") | [.file, .suggestion]] == [["services/legacy/Dockerfile", "golang:1.22-alpine"], ["services/worker/Dockerfile", "python:3.12-slim"]]'
expect_jq "$J" '[.findings[] | select(.rule == "build-image-final") | .file] == ["services/legacy/Dockerfile"]' "build image only where it ships"
expect_jq "$J" '[.findings[] | select(.rule == "latest") | .text] | sort == ["busybox","redis:latest"]'
expect_jq "$J" '[.findings[] | select(.rule == "unresolved") | .text] | sort == ["${BASE_IMAGE}","${QUEUE_IMAGE}"]'
expect_jq "$J" 'all(.findings[] | select(.file == "services/web/Dockerfile" and .line == 2); .rule == "not-recommended" | not)' "node is in the catalog"
expect_jq "$J" '[.findings[] | select(.rule == "eol") | .text] | index("node:22-alpine") == null' "node 22 is supported"

# --fail-on and exit statuses.
expect_status 1 audit "$EX"
expect_status 0 audit --fail-on never "$EX"
expect_status 1 audit --fail-on info "$EX"
mkdir -p "$TMP/clean"
printf 'FROM node:24-alpine\n' >"$TMP/clean/Dockerfile"
expect_status 0 audit --format json "$TMP/clean"
expect_jq "$TMP/out" '.findings == [] and (.references | length) == 1'
expect_status 0 audit --fail-on warning "$TMP/clean"
expect_grep "$TMP/out" '^0 findings'

# Warnings do not fail by default; they do with --fail-on warning.
mkdir -p "$TMP/warn"
printf 'FROM python:3.12\n' >"$TMP/warn/Dockerfile"
expect_status 0 audit "$TMP/warn"
expect_status 1 audit --fail-on warning "$TMP/warn"

# End of life is judged as of a date: node 20 was fine in 2025, close to
# its end in spring 2026, past it after 2026-04-30.
mkdir -p "$TMP/eol"
printf 'FROM node:20.18.1-alpine\n' >"$TMP/eol/Dockerfile"
"$TAGDRIFT" audit --offline --as-of 2025-06-01 --format json "$TMP/eol" >"$TMP/e1.json"
expect_jq "$TMP/e1.json" 'any(.findings[]; .rule == "eol") | not' "node 20 supported in 2025"
"$TAGDRIFT" audit --offline --as-of 2026-03-01 --format json "$TMP/eol" >"$TMP/e2.json"
expect_jq "$TMP/e2.json" '.findings[] | select(.rule == "eol") | .severity == "warning" and .evidence.days_left == "60"' "warned ahead of the date"
"$TAGDRIFT" audit --offline --as-of 2026-12-04 --format json "$TMP/eol" >"$TMP/e3.json"
expect_jq "$TMP/e3.json" '.findings[] | select(.rule == "eol") | .severity == "error" and .evidence.days_past == "218"'

# Configuration changes rules: unpinned on, eol off.
cat >"$TMP/t.conf" <<'CONF'
[rules]
unpinned = warning
eol = off
CONF
expect_status 0 audit -c "$TMP/t.conf" --format json "$TMP/eol"
expect_jq "$TMP/out" '[.findings[].rule] == ["unpinned"]'

# With several roots, files are named from the current directory so two
# roots' Dockerfiles stay apart; with one, relative to that root.
mkdir -p "$TMP/r1/a" "$TMP/r2"
printf 'FROM node:24-alpine\n' >"$TMP/r1/a/Dockerfile"
printf 'FROM node:24-alpine\n' >"$TMP/r2/Dockerfile"
(cd "$TMP" && "$TAGDRIFT" audit --offline --format json r1/ r2 r2/Dockerfile) >"$TMP/multi.json"
expect_jq "$TMP/multi.json" '[.references[].file] == ["r1/a/Dockerfile", "r2/Dockerfile", "r2/Dockerfile"]' "several roots"
(cd "$TMP" && "$TAGDRIFT" audit --offline --format json r1) >"$TMP/one.json"
expect_jq "$TMP/one.json" '[.references[].file] == ["a/Dockerfile"]' "one root"

# -o writes the report to a file.
expect_status 1 audit -o "$TMP/report.json" --format json "$EX"
expect_jq "$TMP/report.json" '.version == 1'

# The text report groups by file and ends with a summary.
expect_status 1 audit "$EX"
expect_grep "$TMP/out" '^services/web/Dockerfile$'
expect_grep "$TMP/out" '-> node:26-alpine'
expect_grep "$TMP/out" '^[0-9]+ findings \([0-9]+ errors'
if grep -q "$(printf '\033')" "$TMP/out"; then fail "colour when not on a TTY"; else ok; fi

# The catalog audits itself and flags its own end-of-life entries.
expect_status 1 "$TAGDRIFT" catalog --check --as-of "$DAY" --format json
cp "$TMP/out" "$TMP/cat.json"
for t in node:20-alpine golang:1.22-alpine rust:1.77-alpine alpine:3.19 \
    mcr.microsoft.com/dotnet/aspnet:8.0-alpine \
    mcr.microsoft.com/dotnet/runtime:8.0-alpine \
    mcr.microsoft.com/dotnet/runtime-deps:8.0-alpine; do
	expect_jq "$TMP/cat.json" "any(.findings[]; .rule == \"eol\" and .text == \"$t\")" "catalog --check flags $t"
done
expect_jq "$TMP/cat.json" 'any(.findings[]; .rule == "eol" and .text == "python:3.12-slim") | not' "python 3.12 is supported"
# Catalog findings point at the line that lists the tag.
gl=$(grep -n '^build *= *1.22-alpine' "$top_srcdir/etc/catalog.conf" | cut -d: -f1)
expect_jq "$TMP/cat.json" ".findings[] | select(.text == \"golang:1.22-alpine\") | .line == ${gl:-0}" "catalog finding on the tag's line"
expect_jq "$TMP/cat.json" 'any(.findings[]; .rule == "not-recommended") | not'
expect_status 0 "$TAGDRIFT" catalog
expect_grep "$TMP/out" '^node$'
expect_grep "$TMP/out" 'production: 20-alpine 20-slim 20-bookworm-slim'

finish
