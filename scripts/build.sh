#!/bin/sh
# Configure (once) and build tagdrift out of tree in build/VARIANT.
#   default  warnings are errors
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer
#   fuzz     clang libFuzzer targets (tests/fuzz)
# Usage: scripts/build.sh [default|asan|fuzz]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
variant=${1:-default}
case "$variant" in
default) flags="--enable-werror" ;;
asan) flags="--enable-werror --enable-asan" ;;
fuzz) flags="CC=clang --enable-fuzzing" ;;
*) echo "usage: $0 [default|asan|fuzz]" >&2; exit 2 ;;
esac
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi >/dev/null
fi
mkdir -p "build/$variant"
cd "build/$variant"
if [ ! -f Makefile ]; then
	# shellcheck disable=SC2086
	"$top/configure" -q $flags
fi
make -j"$(nproc)" >/dev/null
echo "build: $top/build/$variant/src/tagdrift"
