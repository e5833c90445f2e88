#!/bin/sh
# Smoke test of the local registry harness: start, push, page, move a tag,
# cross-check digests, inject a fault, stop, and leave no process behind.
# Needs docker-registry (Debian package) and /usr/bin/python3; no network.

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
R="$PY $HERE/registry.py"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/tagdrift-harness.XXXXXX")
DIR2="$DIR/owned"
DIR3="$DIR/tls"
pass=0
fail=0

cleanup()
{
	$R stop "$DIR2" 2>/dev/null
	$R stop "$DIR3" 2>/dev/null
	$R stop "$DIR"
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok()
{
	pass=$((pass + 1))
	echo "ok - $1"
}

bad()
{
	fail=$((fail + 1))
	echo "not ok - $1"
}

# check DESCRIPTION COMMAND...: the command's exit status decides.
check()
{
	desc=$1
	shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}

same()
{
	[ -n "$1" ] && [ "$1" = "$2" ]
}

differ()
{
	[ -n "$1" ] && [ -n "$2" ] && [ "$1" != "$2" ]
}

none_left()
{
	! pgrep -f "$DIR/" >/dev/null
}

is_digest()
{
	printf '%s\n' "$1" | grep -Eq '^sha256:[0-9a-f]{64}$'
}

if ! command -v docker-registry >/dev/null 2>&1 &&
    [ ! -x /usr/bin/docker-registry ]; then
	echo "selftest: docker-registry is not installed" \
	    "(apt-get install docker-registry)" >&2
	exit 1
fi

t0=$(date +%s)

ADDR=$($R start "$DIR" --owner $$ --hub) ||
    { echo "start failed" >&2; exit 1; }
check "start prints 127.0.0.1:PORT" \
    sh -c "printf '%s\n' '$ADDR' | grep -Eq '^127\.0\.0\.1:[0-9]+$'"
check "registry.port matches" same "127.0.0.1:$(cat "$DIR/registry.port")" \
    "$ADDR"
check "registry.pid is a live docker-registry" \
    sh -c "tr '\\0' ' ' </proc/$(cat "$DIR/registry.pid")/cmdline |
    grep -q docker-registry"

# Single-platform image.
d1=$($R push "$ADDR" smoke/single:1.0 --seed 1)
check "push single prints a digest" is_digest "$d1"
check "HEAD digest of single equals pushed" \
    same "$($R digest "$ADDR" smoke/single:1.0)" "$d1"
check "GET body of single hashes to its digest" \
    same "$($R digest --get "$ADDR" smoke/single:1.0)" "$d1"

# Two-platform OCI index, its children reachable by digest.
$R push "$ADDR" smoke/multi:2 --platforms linux/amd64,linux/arm64 \
    --seed 1 --json >"$DIR/multi.json"
d2=$($PY -c 'import json,sys; print(json.load(sys.stdin)["digest"])' \
    <"$DIR/multi.json")
check "HEAD digest of index equals pushed" \
    same "$($R digest "$ADDR" smoke/multi:2)" "$d2"
kids=$($PY -c 'import json,sys
for m in json.load(sys.stdin)["manifests"]: print(m["digest"])' \
    <"$DIR/multi.json")
nkids=0
for k in $kids; do
	nkids=$((nkids + 1))
	check "index child $nkids HEAD by digest" \
	    same "$($R digest "$ADDR" "smoke/multi@$k")" "$k"
done
check "index has two children" same "$nkids" 2
check "HEAD of an index without the index type in Accept fails" \
    sh -c "! $R digest --accept \
    application/vnd.oci.image.manifest.v1+json $ADDR smoke/multi:2 \
    2>/dev/null"

# Docker manifest list: registry serves a child when Accept lacks the list.
d3=$($R push "$ADDR" smoke/dlist:2 --platforms linux/amd64,linux/arm64 \
    --docker --seed 1)
check "HEAD digest of manifest list equals pushed" \
    same "$($R digest "$ADDR" smoke/dlist:2)" "$d3"
check "manifest list without list type in Accept gives another digest" \
    differ "$($R digest --accept \
    application/vnd.docker.distribution.manifest.v2+json "$ADDR" \
    smoke/dlist:2)" "$d3"

# Index with attestation entries.
d4=$($R push "$ADDR" smoke/att:1 --platforms linux/amd64,linux/arm64 \
    --attestation --seed 1)
check "HEAD digest of attested index equals pushed" \
    same "$($R digest --get "$ADDR" smoke/att:1)" "$d4"
natt=$($R manifest "$ADDR" smoke/att:1 | $PY -c 'import json,sys
m = json.load(sys.stdin)["manifests"]
print(sum(1 for e in m if e["platform"]["os"] == "unknown" and
    e["annotations"]["vnd.docker.reference.type"] == "attestation-manifest"))')
check "attested index has two attestation entries" same "$natt" 2

# 120 tags, listed 50 at a time by following Link.
$R many "$ADDR" smoke/many 120 >"$DIR/many.txt"
check "many pushed 120 tags" same "$(wc -l <"$DIR/many.txt" | tr -d ' ')" 120
$R tags "$ADDR" smoke/many --n 50 >"$DIR/tags.txt" 2>"$DIR/tags.err"
check "tags/list n=50 took 3 pages" \
    same "$(cat "$DIR/tags.err")" "pages=3 tags=120"
cut -d' ' -f1 <"$DIR/many.txt" | LC_ALL=C sort >"$DIR/want.txt"
check "paged tags equal the pushed tags, sorted" \
    cmp -s "$DIR/want.txt" "$DIR/tags.txt"
if command -v curl >/dev/null 2>&1; then
	link=$(curl -s -D - -o /dev/null \
	    "http://$ADDR/v2/smoke/many/tags/list?n=50" | tr -d '\r' |
	    sed -n 's/^[Ll]ink: //p')
	check "first page Link is relative with last= and n=50" \
	    same "$link" "</v2/smoke/many/tags/list?last=$(sed -n 50p \
	    "$DIR/want.txt")&n=50>; rel=\"next\""
fi

# Moving a tag: new seed, new digest; same seed again, same digest.
d5=$($R push "$ADDR" smoke/single:1.0 --seed 2)
check "re-push with a new seed moves the tag" differ "$d5" "$d1"
check "HEAD follows the moved tag" \
    same "$($R digest "$ADDR" smoke/single:1.0)" "$d5"
check "re-push with the same seed keeps the digest" \
    same "$($R push "$ADDR" smoke/single:1.0 --seed 2)" "$d5"

# Docker Hub's tag API (--hub) from the manifest PUTs the front saw.
hub=$($PY -c 'import http.client, json, sys
c = http.client.HTTPConnection(sys.argv[1], timeout=5)
c.request("GET", "/v2/namespaces/smoke/repositories/single/tags"
          "?page_size=100&ordering=last_updated")
r = c.getresponse()
d = json.loads(r.read())
print(r.status, d["count"], d["results"][0]["name"],
      d["results"][0]["tag_last_pushed"][:2])' "$ADDR")
check "--hub lists the pushed tag with its push time" \
    same "$hub" "200 1 1.0 20"
check "--hub answers 404 for a repository never pushed" \
    same "$($PY -c 'import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], timeout=5)
c.request("GET", "/v2/namespaces/no/repositories/such/tags")
print(c.getresponse().status)' "$ADDR")" 404

# Errors and injected faults.
check "unknown tag fails" \
    sh -c "! $R digest $ADDR smoke/single:nope 2>/dev/null"
$R fault "$DIR" --method HEAD --path /manifests/ --status 429 \
    --header 'Retry-After: 1' --times 1
check "injected 429 fails one HEAD" \
    sh -c "! $R digest $ADDR smoke/single:1.0 2>/dev/null"
check "next HEAD passes again" \
    same "$($R digest "$ADDR" smoke/single:1.0)" "$d5"
check "request log shows the 429" \
    grep -q '^HEAD /v2/smoke/single/manifests/1.0 429$' "$DIR/requests.log"

# An HTTPS front with a throwaway CA: verified with that CA only.
if command -v openssl >/dev/null 2>&1; then
	ca=$($R tls-certs "$DIR/certs")
	TADDR=$($R start "$DIR3" --owner $$ --tls "$DIR/certs/server.pem" \
	    "$DIR/certs/server.key")
	tget() # CAFILE URL: the status of a GET, or the error's class name
	{
		$PY -c 'import http.client, ssl, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[2])
ctx = ssl.create_default_context(cafile=sys.argv[1] or None)
try:
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx,
                                    timeout=5)
    c.request("GET", u.path)
    print(c.getresponse().status)
except Exception as e:
    print(type(e).__name__)' "$1" "$2"
	}
	check "tls-certs prints the CA" same "$ca" "$DIR/certs/ca.pem"
	check "TLS front answers GET /v2/ with the CA" \
	    same "$(tget "$ca" "https://$TADDR/v2/")" 200
	check "TLS front fails verification without the CA" \
	    same "$(tget "" "https://$TADDR/v2/")" SSLCertVerificationError
	check "TLS front logs the failed handshake" \
	    grep -q '^TLS-FAIL ' "$DIR3/requests.log"
	$PY -c 'import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], timeout=5)
try:
    c.request("GET", "/v2/"); c.getresponse()
except Exception:
    pass' "$TADDR"
	check "TLS front logs plain HTTP as PLAIN" \
	    grep -q '^PLAIN GET /v2/ HTTP/1.1 0$' "$DIR3/requests.log"
	$R stop "$DIR3"
else
	bad "openssl is not installed (scripts/install-deps.sh)"
fi

# A registry whose owner dies stops by itself.
sleep 60 &
owner=$!
$R start "$DIR2" --owner $owner >/dev/null
reg2=$(cat "$DIR2/registry.pid")
kill $owner
wait $owner 2>/dev/null
i=0
while [ $i -lt 100 ] && [ ! -s "$DIR2/registry.exit" ]; do
	sleep 0.1
	i=$((i + 1))
done
check "registry stops when its owner pid dies" \
    grep -qs "owner pid" "$DIR2/registry.exit"
$R stop "$DIR2"

# Stop, twice, and nothing of ours is left.
$R stop "$DIR"
check "stop is idempotent" $R stop "$DIR"
sleep 0.1
check "no process of this test left" none_left
if pgrep -f docker-registry >/dev/null; then
	echo "# note: other docker-registry processes run (not ours):"
	pgrep -af docker-registry | sed 's/^/#   /'
fi

t1=$(date +%s)
check "selftest ran in under 30 s" [ $((t1 - t0)) -lt 30 ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
