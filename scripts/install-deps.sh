#!/bin/sh
# Install every Debian package that building, testing, fuzzing and
# benchmarking tagdrift needs.  Idempotent: packages already present are
# left alone, and apt-get update runs only when something is missing.
set -eu

PACKAGES="
build-essential autoconf automake libtool pkg-config
libuv1-dev libcurl4-openssl-dev libjansson-dev libsqlite3-dev libyaml-dev
libinih-dev libssl-dev libsystemd-dev libcmocka-dev
clang libclang-rt-14-dev
python3 python3-jsonschema jq openssl curl procps strace gdb
docker-registry skopeo faketime ripgrep sqlite3 systemd
time hyperfine
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
echo "install-deps: installing:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
