#!/bin/sh
# Build and run the whole test suite (unit tests of every module and
# black-box tests of the binary).  Usage: scripts/test.sh [default|asan]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
variant=${1:-default}
"$top/scripts/build.sh" "$variant"
cd "$top/build/$variant"
status=0
make -j"$(nproc)" check >check.out 2>&1 || status=$?
grep -E '^(PASS|FAIL|XFAIL|XPASS|SKIP|ERROR):' check.out || true
if [ "$status" -ne 0 ]; then
	for log in $(grep -lE '^:test-result: (FAIL|ERROR)' tests/*.trs \
	    tests/*/*.trs 2>/dev/null); do
		echo "==== ${log%.trs}.log"
		cat "${log%.trs}.log"
	done
fi
pass=$(grep -c '^PASS:' check.out || true)
fail=$(grep -cE '^(FAIL|ERROR|XPASS):' check.out || true)
skip=$(grep -c '^SKIP:' check.out || true)
echo "tests ($variant): $pass passed, $fail failed, $skip skipped"
[ "$status" -eq 0 ] && [ "$skip" -eq 0 ] || exit 1
