#!/bin/sh
# The systemd units: the generated tagdrift.service and tagdrift-audit@
# pair carry the settings the service depends on, pass "systemd-analyze
# verify" without a warning, and tagdrift.service scores an exposure of 2.0
# or lower with "systemd-analyze security --offline=true".  Needs neither a
# running systemd nor the network: both commands only read unit files.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C SYSTEMD_PAGER=cat SYSTEMD_COLORS=0
SA=$(command -v systemd-analyze) || {
	echo "systemd.sh: systemd-analyze not found (scripts/install-deps.sh" \
	    "installs the systemd package)" >&2
	exit 1
}
MAX_EXPOSURE=2.0

# The units as make generated them; by hand, without a build tree, from the
# .in files with the paths substituted the same way.
U="$TMP/units"
mkdir -p "$U"
for f in tagdrift.service tagdrift-audit@.service; do
	if [ -f "${top_builddir:-/nonexistent}/systemd/$f" ]; then
		cp "$top_builddir/systemd/$f" "$U/$f"
	else
		sed -e 's|@bindir@|/usr/bin|g' -e 's|@sysconfdir@|/etc|g' \
		    "$top_srcdir/systemd/$f.in" >"$U/$f"
	fi
done
cp "$top_srcdir/systemd/tagdrift-audit@.timer" "$U/"

# Every @name@ of the .in files was substituted.
if grep -nE '@[a-z_]+@' "$U/tagdrift.service" "$U/tagdrift-audit@.service" \
    >"$TMP/left"; then
	fail "unsubstituted names left in the generated units:"
	sed 's/^/    /' "$TMP/left" >&2
else
	ok
fi

# expect_key FILE KEY REGEX: some KEY= line's value matches all of REGEX.
expect_key() {
	if grep -E "^$2=" "$1" | sed "s/^$2=//" | grep -qxE -- "$3"; then
		ok
	else
		fail "$(basename "$1"): no $2= matching '$3'"
	fi
}

S="$U/tagdrift.service"
expect_key "$S" Type notify
expect_key "$S" ExecStart '/.*/tagdrift daemon'
expect_key "$S" ExecReload '/.*kill -HUP \$MAINPID'
expect_key "$S" WatchdogSec '[1-9][0-9]*(s|min)?'
expect_key "$S" Restart on-failure
expect_key "$S" TimeoutStopSec '[0-9]+s?'
expect_key "$S" DynamicUser yes
expect_key "$S" StateDirectory tagdrift
expect_key "$S" ConfigurationDirectory tagdrift
expect_key "$S" LoadCredential 'webhook:[^/].*'
expect_key "$S" ProtectSystem strict
expect_key "$S" NoNewPrivileges yes
expect_key "$S" CapabilityBoundingSet ''
expect_key "$S" RestrictAddressFamilies 'AF_INET AF_INET6 AF_UNIX'
expect_key "$S" SystemCallFilter '@system-service'
A="$U/tagdrift-audit@.service"
expect_key "$A" Type oneshot
expect_key "$A" ExecStart '/.*/tagdrift audit .*%f'
expect_key "$A" DynamicUser yes
expect_key "$A" User tagdrift
expect_key "$S" User tagdrift
expect_key "$U/tagdrift-audit@.timer" Persistent yes
expect_key "$U/tagdrift-audit@.timer" OnCalendar '.+'

# verify checks that the commands exist: point ExecStart at the binary under
# test, and, on a host without procps, /bin/kill at a stand-in.
V="$TMP/verify"
mkdir -p "$V"
KILL=/bin/kill
if [ ! -x /bin/kill ]; then
	KILL="$TMP/kill"
	printf '#!/bin/sh\nexit 0\n' >"$KILL"
	chmod +x "$KILL"
	echo "systemd.sh: no /bin/kill here (procps); verifying with a stand-in"
fi
# Any path will do: verify does not look at it.
inst=$(systemd-escape --path /srv/repos/app)
for f in tagdrift.service "tagdrift-audit@$inst.service"; do
	sed -e "s|^ExecStart=/[^ ]*/tagdrift |ExecStart=$TAGDRIFT |" \
	    -e "s|^ExecReload=/bin/kill |ExecReload=$KILL |" \
	    "$U/$(echo "$f" | sed 's/@.*\./@./')" >"$V/$f"
done
cp "$U/tagdrift-audit@.timer" "$V/tagdrift-audit@$inst.timer"
grep -q "^ExecStart=$TAGDRIFT daemon\$" "$V/tagdrift.service" && ok ||
    fail "ExecStart not rewritten to the binary under test"

# verify_units DIR UNIT...: exit 0 and not a word on stderr (unknown keys
# and bad values are only warnings).
verify_units() {
	d=$1
	shift
	(cd "$d" && "$SA" verify --man=no "$@") >"$TMP/vout" 2>"$TMP/verr"
	st=$?
	if [ "$st" -ne 0 ] || [ -s "$TMP/verr" ]; then
		return 1
	fi
	return 0
}
if verify_units "$V" tagdrift.service "tagdrift-audit@$inst.service" \
    "tagdrift-audit@$inst.timer"; then
	ok
else
	fail "systemd-analyze verify (exit $st):"
	sed 's/^/    /' "$TMP/verr" | head -20 >&2
fi
# The check can fail: a misspelt key and a missing binary are both caught.
mkdir -p "$TMP/bad1" "$TMP/bad2"
sed 's/^ProtectClock=/ProtectClok=/' "$V/tagdrift.service" \
    >"$TMP/bad1/tagdrift.service"
sed "s|^ExecStart=[^ ]*|ExecStart=$TMP/missing/tagdrift|" \
    "$V/tagdrift.service" >"$TMP/bad2/tagdrift.service"
verify_units "$TMP/bad1" tagdrift.service && fail "verify missed a bad key" ||
    ok
verify_units "$TMP/bad2" tagdrift.service &&
    fail "verify missed a missing ExecStart binary" || ok

# exposure DIR UNIT: the overall exposure level security prints.
exposure() {
	(cd "$1" && "$SA" security --offline=true --no-pager "./$2") \
	    >"$TMP/sec" 2>&1
	sed -n "s/.*Overall exposure level for $2: \([0-9][0-9.]*\).*/\1/p" \
	    "$TMP/sec"
}
# at_most X Y: X <= Y, as decimals.
at_most() {
	awk -v x="$1" -v y="$2" 'BEGIN { exit !(x + 0 <= y + 0) }'
}

for f in tagdrift.service "tagdrift-audit@$inst.service"; do
	e=$(exposure "$V" "$f")
	echo "systemd.sh: $f exposure ${e:-?} (at most $MAX_EXPOSURE)"
	if [ -z "$e" ]; then
		fail "no exposure level in the output of security for $f:"
		tail -5 "$TMP/sec" | sed 's/^/    /' >&2
	elif at_most "$e" "$MAX_EXPOSURE"; then
		ok
	else
		fail "$f: exposure $e above $MAX_EXPOSURE; the items that cost:"
		grep '^- ' "$TMP/sec" | sed 's/^/    /' >&2
	fi
done

# The threshold bites: without the sandbox settings of the file system,
# users and system calls the same unit scores above it.
W="$TMP/weak"
mkdir -p "$W"
grep -vE '^(ProtectSystem|ProtectHome|PrivateUsers|PrivateDevices|SystemCallFilter|RestrictNamespaces|ProtectKernelTunables|ProtectProc|ProcSubset)=' \
    "$V/tagdrift.service" >"$W/tagdrift.service"
e=$(exposure "$W" tagdrift.service)
echo "systemd.sh: weakened tagdrift.service exposure ${e:-?}"
if [ -n "$e" ] && ! at_most "$e" "$MAX_EXPOSURE"; then
	ok
else
	fail "a weakened unit scored ${e:-nothing}, not above $MAX_EXPOSURE"
fi

finish
