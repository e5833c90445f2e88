#!/bin/sh
# SARIF output validates against the SARIF 2.1.0 JSON schema and carries
# what GitHub code scanning needs: rule metadata, levels, file regions.
. "$(dirname "$0")/lib.sh"

"$TAGDRIFT" audit --offline --as-of 2026-12-04 --format sarif "$top_srcdir/examples" \
    >"$TMP/out.sarif"
st=$?
[ "$st" -eq 1 ] && ok || fail "audit --format sarif exit $st, want 1"

/usr/bin/python3 - "$TESTDATA/sarif-schema-2.1.0.json" "$TMP/out.sarif" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
jsonschema.Draft7Validator.check_schema(schema)
errors = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
for e in errors[:10]:
    print("schema error at", list(e.path), ":", e.message)
sys.exit(1 if errors else 0)
PY
[ $? -eq 0 ] && ok || fail "SARIF does not validate against the 2.1.0 schema"

# A broken document must not validate: the check can fail.
jq '.runs[0].results[0].level = "fatal"' "$TMP/out.sarif" >"$TMP/bad.sarif"
/usr/bin/python3 -c '
import json, sys, jsonschema
s = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
sys.exit(0 if list(jsonschema.Draft7Validator(s).iter_errors(d)) else 1)
' "$TESTDATA/sarif-schema-2.1.0.json" "$TMP/bad.sarif" && ok ||
    fail "the schema check accepted an invalid level"

S="$TMP/out.sarif"
expect_jq "$S" '.version == "2.1.0" and (.runs | length) == 1'
expect_jq "$S" '.runs[0].tool.driver.name == "tagdrift"'
expect_jq "$S" '[.runs[0].tool.driver.rules[].id] | length == 12 and index("stale-digest") != null'
expect_jq "$S" 'all(.runs[0].tool.driver.rules[]; .shortDescription.text != "" and .help.text != "" and .defaultConfiguration.level != null)'
expect_jq "$S" '.runs[0].results | length > 5'
expect_jq "$S" '. as $d | all($d.runs[0].results[]; . as $x | $d.runs[0].tool.driver.rules[$x.ruleIndex].id == $x.ruleId)' "ruleIndex points at ruleId"
expect_jq "$S" 'all(.runs[0].results[]; .level | IN("error","warning","note"))'
expect_jq "$S" 'all(.runs[0].results[].locations[0].physicalLocation; (.artifactLocation.uri | startswith("/") | not) and .region.startLine >= 1)'
expect_jq "$S" 'any(.runs[0].results[]; .ruleId == "eol" and .locations[0].physicalLocation.artifactLocation.uri == "services/web/Dockerfile" and .locations[0].physicalLocation.region.startLine == 7)'

finish
