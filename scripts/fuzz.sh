#!/bin/sh
# Run every fuzz target for SECONDS (default 30) from its seed corpus.
# Usage: scripts/fuzz.sh [SECONDS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-30}
"$top/scripts/build.sh" fuzz
cd "$top/build/fuzz"
make -j"$(nproc)" tests/fuzz/fuzz_ref tests/fuzz/fuzz_dockerfile \
    tests/fuzz/fuzz_yaml tests/fuzz/fuzz_http_header \
    tests/fuzz/fuzz_registry_json tests/fuzz/fuzz_alert >/dev/null
for t in ref dockerfile yaml http_header registry_json alert; do
	work=$(mktemp -d)
	cp -r "$top/tests/data/fuzz/$(echo "$t" | tr _ -)/." "$work/"
	echo "fuzz_$t: ${secs}s"
	./tests/fuzz/fuzz_$t -max_total_time="$secs" -max_len=65536 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 "$work" \
	    >"fuzz_$t.log" 2>&1 || { tail -50 "fuzz_$t.log"; rm -rf "$work"; exit 1; }
	grep -E '^(#[0-9]+.*DONE|Done)' "fuzz_$t.log" | tail -1 || true
	rm -rf "$work"
done
echo "fuzz: all targets ran clean"
