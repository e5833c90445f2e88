#!/bin/sh
# tagdrift audit on a hostile tree: a FIFO named Dockerfile, a symlink loop,
# a symlink out of the root, an unreadable directory, a 100 MB Dockerfile
# (sparse), a Dockerfile that is one 1 MB line, a Dockerfile with NUL bytes,
# a compose file with invalid UTF-8, 10,000 nested directories with a
# Dockerfile at the bottom, and one normal Dockerfile.  The audit must finish
# (no hang on the FIFO, no crash), print JSON with the normal reference, and
# say in "skipped" what it did not scan and why.
#
# Run by `make check` with TAGDRIFT (the binary) and TESTDATA set.  The
# unreadable directory is unreadable only to a user other than root, so as
# root the audit runs as nobody (setpriv, util-linux) on a copy of the
# binary, in a world-readable tree.  The tree goes to /dev/shm when it can
# (10,000 nested directories take half a minute to delete on some disks),
# else to TMPDIR or /tmp.
set -u

: "${TAGDRIFT:?TAGDRIFT is not set}"
if ! command -v jq >/dev/null 2>&1; then
	echo "hostile.sh: jq not found" >&2
	exit 77
fi

base=${TMPDIR:-/tmp}
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	base=/dev/shm
fi
work=$(mktemp -d "$base/tagdrift-hostile.XXXXXX") || exit 99
cleanup() {
	chmod -R u+rwx "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
chmod 755 "$work"
umask 022

tree=$work/tree
state=$work/state
mkdir -p "$tree" "$state" && chmod 777 "$state" || exit 99

fail=0
check() {
	# check DESCRIPTION JQ-FILTER: the filter must print true.
	if [ "$(jq -r "$2" "$work/out.json" 2>/dev/null)" != true ]; then
		echo "FAIL: $1" >&2
		fail=1
	else
		echo "ok: $1"
	fi
}

# The normal one.
mkdir -p "$tree/app" &&
printf 'FROM node:22-alpine\nRUN npm ci\n' > "$tree/app/Dockerfile" || exit 99

# A FIFO: opening it for reading would block forever.
mkdir -p "$tree/fifo" && mkfifo "$tree/fifo/Dockerfile" || exit 99

# A symlink loop and a symlink out of the root.
mkdir -p "$tree/loop" && ln -s .. "$tree/loop/self" || exit 99
ln -s / "$tree/escape" || exit 99
ln -s /etc/passwd "$tree/passwd.Dockerfile" || exit 99

# A directory only its owner (root, when run as root) could read.
mkdir -p "$tree/locked" &&
printf 'FROM alpine:3.19\n' > "$tree/locked/Dockerfile" &&
chmod 000 "$tree/locked" || exit 99

# 100 MB, sparse: costs no disk, must not be read.
mkdir -p "$tree/big" && truncate -s 100M "$tree/big/Dockerfile" || exit 99

# One line of 1 MB (under the default 4 MiB limit: it is read).
mkdir -p "$tree/longline" &&
awk 'BEGIN { s = "aaaaaaaaaaaaaaaa"; s = s s s s; printf "RUN echo ";
    for (i = 0; i < 16384; i++) printf "%s", s; printf "\n" }' \
    > "$tree/longline/Dockerfile" || exit 99

# NUL bytes.
mkdir -p "$tree/nul" &&
printf 'FROM alpine:3.19\000\000\001\nRUN x\n' > "$tree/nul/Dockerfile" ||
    exit 99

# Invalid UTF-8 in a compose file.
mkdir -p "$tree/badutf8" &&
printf 'services:\n  web:\n    image: \377\376nginx:\300\200\n  db:\n%s\n' \
    '    image: postgres:16-alpine' > "$tree/badutf8/compose.yaml" || exit 99

# 10,000 nested directories, made 1,000 at a time by relative paths (the
# whole path is longer than PATH_MAX), a Dockerfile at the bottom.
(
	cd "$tree" && mkdir deep && cd deep || exit 1
	chunk=$(awk 'BEGIN { for (i = 0; i < 1000; i++) printf "d/" }')
	i=0
	while [ $i -lt 10 ]; do
		mkdir -p "$chunk" && cd -P "$chunk" || exit 1
		i=$((i + 1))
	done
	printf 'FROM alpine:3.19\n' > Dockerfile
) || exit 99

run=
bin=$TAGDRIFT
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
		group=nogroup
		getent group nogroup >/dev/null 2>&1 || group=nobody
		# The build tree may be out of nobody's reach.
		cp "$TAGDRIFT" "$work/tagdrift" && chmod 755 "$work/tagdrift" ||
		    exit 99
		bin=$work/tagdrift
		run="setpriv --reuid=nobody --regid=$group --clear-groups"
	else
		echo "hostile.sh: root without setpriv: the locked directory" \
		    "stays readable" >&2
	fi
fi

cd "$work" || exit 99
HOME=$state XDG_STATE_HOME=$state XDG_CACHE_HOME=$state \
    XDG_CONFIG_HOME=$state XDG_DATA_HOME=$state
export HOME XDG_STATE_HOME XDG_CACHE_HOME XDG_CONFIG_HOME XDG_DATA_HOME
# shellcheck disable=SC2086
timeout 60 $run "$bin" audit --format json --offline --db "$state/history.db" \
    "$tree" > "$work/out.json" 2> "$work/err.txt"
status=$?
echo "audit exit status: $status"
case $status in
0|1)	;;
124)	echo "FAIL: audit timed out (hung on the FIFO?)" >&2; fail=1 ;;
*)	echo "FAIL: audit exit status $status" >&2; fail=1 ;;
esac
if [ $status -ge 128 ] && [ $status -ne 124 ]; then
	echo "FAIL: audit died of signal $((status - 128))" >&2
fi

if ! jq -e . "$work/out.json" > /dev/null 2>&1; then
	echo "FAIL: output is not JSON" >&2
	head -c 2000 "$work/out.json" >&2
	sed -n 1,20p "$work/err.txt" >&2
	exit 1
fi

# Paths may be written relative to the root or with the root in front.
check "the normal Dockerfile's reference is reported" \
    '[.references[] | select((.file | test("(^|/)app/Dockerfile$")) and
     .text == "node:22-alpine" and .tag == "22-alpine")] | length == 1'
check "the FIFO is skipped as a FIFO" \
    '[.skipped[] | select((.path | test("(^|/)fifo/Dockerfile$")) and
     .reason == "not a regular file (fifo)")] | length == 1'
check "the symlink loop is cut" \
    '[.skipped[] | select((.path | test("(^|/)loop/self$")) and
     (.reason | test("symlink loop")))] | length == 1'
check "the symlink out of the root is not followed" \
    '[.skipped[] | select((.path | test("(^|/)escape$")) and
     .reason == "symlink points outside the scanned root")] | length == 1'
check "the file symlink out of the root is not followed" \
    '[.skipped[] | select((.path | test("(^|/)passwd.Dockerfile$")) and
     .reason == "symlink points outside the scanned root")] | length == 1'
if [ -n "$run" ] || [ "$(id -u)" -ne 0 ]; then
	check "the unreadable directory is reported" \
	    '[.skipped[] | select((.path | test("(^|/)locked$")) and
	     .reason == "permission denied")] | length == 1'
fi
check "the 100 MB file is not read" \
    '[.skipped[] | select((.path | test("(^|/)big/Dockerfile$")) and
     (.reason | startswith("file too large (104857600 bytes")))] |
     length == 1'
check "the file with NUL bytes is skipped as binary" \
    '[.skipped[] | select((.path | test("(^|/)nul/Dockerfile$")) and
     .reason == "binary file")] | length == 1'
check "the deep nesting is cut, once" \
    '[.skipped[] | select((.path | test("(^|/)deep(/d)+$")) and
     (.reason | startswith("directory nesting deeper than")))] | length == 1'
check "nothing under the root is listed twice" \
    '[.skipped[].path] | length == (unique | length)'

if [ $fail -ne 0 ]; then
	echo "--- stderr of the audit:" >&2
	sed -n 1,40p "$work/err.txt" >&2
	echo "--- skipped:" >&2
	jq -c '.skipped' "$work/out.json" 2>/dev/null | cut -c1-2000 >&2
fi
exit $fail
