#!/bin/sh
# tagdrift ref: JSON shape, order, and exit status.
. "$(dirname "$0")/lib.sh"

H=a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4
expect_status 0 "$TAGDRIFT" ref --format json node "ghcr.io/o/r:v1@sha256:$H" \
    index.docker.io/library/ubuntu:22.04 localhost:5000/app
expect_jq "$TMP/out" 'length == 4'
expect_jq "$TMP/out" '.[0] == {"input":"node","valid":true,"registry":"docker.io","repository":"library/node","tag":null,"digest":null,"canonical":"docker.io/library/node:latest"}' "node normalizes"
expect_jq "$TMP/out" ".[1].digest == \"sha256:$H\" and .[1].tag == \"v1\" and .[1].registry == \"ghcr.io\"" "tag and digest as written"
expect_jq "$TMP/out" '.[2].registry == "docker.io" and .[2].canonical == "docker.io/library/ubuntu:22.04"' "index.docker.io is docker.io"
expect_jq "$TMP/out" '.[3].registry == "localhost:5000" and .[3].repository == "app"'

# One invalid reference: exit 1, an error, order kept.
expect_status 1 "$TAGDRIFT" ref --format json node UPPER:tag "nginx@sha256:${H%?}"
expect_jq "$TMP/out" '[.[].valid] == [true, false, false]'
expect_jq "$TMP/out" '.[1] | keys == ["error","input","valid"]' "invalid entries carry input, valid, error"
expect_jq "$TMP/out" '.[1].error | test("lowercase")'
expect_jq "$TMP/out" '.[2].error | test("length")'

# Text form.
expect_status 0 "$TAGDRIFT" ref python:3.12-slim
expect_grep "$TMP/out" 'canonical +docker.io/library/python:3.12-slim'
expect_status 1 "$TAGDRIFT" ref 'https://ghcr.io/foo'
expect_grep "$TMP/out" 'invalid: invalid reference format'
expect_status 2 "$TAGDRIFT" ref

finish
