#!/bin/sh
# tagdrift daemon under a fake systemd: READY=1 once the database is open,
# STATUS= after a cycle, WATCHDOG=1 at half of WATCHDOG_USEC, SIGHUP with a
# broken configuration keeps the running one (RELOADING=1 then READY=1),
# SIGHUP with a good one reloads, SIGTERM exits 0 within 5 s with
# STOPPING=1.  The notifications are read from a NOTIFY_SOCKET this test
# listens on.
. "$(dirname "$0")/lib.sh"

start_registry
$R push "$ADDR" library/node:20 --seed 1 >/dev/null

# The listener: one line per datagram (newlines inside shown as '|'); it
# exits when this shell does.
/usr/bin/python3 - "$TMP/notify.sock" "$TMP/notify.log" $$ <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.5)
owner = int(sys.argv[3])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        try:
            m = s.recv(65536)
        except socket.timeout:
            try:
                os.kill(owner, 0)
            except OSError:
                break
            continue
        f.write(m.decode("utf-8", "replace").replace("\n", "|") + "\n")
EOF

wait_for "$TMP/notify.sock" "" 1 || [ -S "$TMP/notify.sock" ] ||
	sleep 0.5

mkdir -p "$TMP/tree"
printf 'FROM %s/library/node:20\n' "$ADDR" >"$TMP/tree/Dockerfile"
cat >"$TMP/good.conf" <<EOF
[registry $ADDR]
insecure = yes
[image $ADDR/library/node]
production = 20
[daemon]
scan = $TMP/tree
poll_interval = 1h
EOF
cp "$TMP/good.conf" "$TMP/t.conf"

NOTIFY_SOCKET="$TMP/notify.sock" WATCHDOG_USEC=400000 \
    "$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/h.db" daemon \
    2>"$TMP/daemon.log" &
dpid=$!

wait_for "$TMP/notify.log" '^READY=1$' && ok || fail "no READY=1"
wait_for "$TMP/daemon.log" 'poll: 1 tags?, 0 moved, 0 failed' && ok ||
	fail "the first poll did not run"
wait_for "$TMP/notify.log" '^STATUS=last scan: 1 references in 1 files, .*last poll: 1 tags' &&
	ok || fail "no STATUS= after the cycle"
wait_for "$TMP/notify.log" '^WATCHDOG=1$' && ok || fail "no WATCHDOG=1"
[ -s "$TMP/h.db" ] && ok || fail "no database"

# A broken configuration: reported, the running one kept.
printf '[daemon]\npoll_interval = soon\n' >"$TMP/t.conf"
kill -HUP "$dpid"
wait_for "$TMP/daemon.log" 'keeping the running configuration' && ok ||
	fail "a bad reload was not reported"
kill -0 "$dpid" 2>/dev/null && ok || fail "the daemon died on a bad reload"
wait_for "$TMP/notify.log" '^RELOADING=1$' && ok || fail "no RELOADING=1"
[ "$(grep -c '^READY=1$' "$TMP/notify.log")" -ge 2 ] && ok ||
	fail "no READY=1 after the reload"

# A good one: reloaded.
cp "$TMP/good.conf" "$TMP/t.conf"
kill -HUP "$dpid"
wait_for "$TMP/daemon.log" '^tagdrift: reloaded$' && ok ||
	fail "a good reload did not apply"

# SIGTERM: exit 0 within 5 s, STOPPING=1 first.
t0=$(date +%s)
kill -TERM "$dpid"
n=50
while kill -0 "$dpid" 2>/dev/null && [ "$n" -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
if kill -0 "$dpid" 2>/dev/null; then
	fail "still running 5 s after SIGTERM"
else
	wait "$dpid"
	st=$?
	[ "$st" -eq 0 ] && ok || fail "exit status $st after SIGTERM"
	echo "stopped in $(($(date +%s) - t0)) s"
fi
dpid=
wait_for "$TMP/notify.log" '^STOPPING=1$' 2 && ok || fail "no STOPPING=1"
sqlite3 "$TMP/h.db" 'PRAGMA integrity_check' >"$TMP/ic" 2>&1
[ "$(cat "$TMP/ic")" = ok ] && ok || fail "integrity_check: $(cat "$TMP/ic")"

# SIGTERM while a poll waits to retry (a 503 with Retry-After: 60): the
# wait is cancelled with the transfers, the exit is prompt.
$R fault "$TMP/reg" --path /manifests/ --status 503 --times -1 \
    --header 'Retry-After: 60' >/dev/null
"$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/h.db" daemon 2>"$TMP/daemon2.log" &
dpid=$!
wait_for "$TMP/reg/requests.log" '^HEAD /v2/library/node/manifests/20 503' &&
	ok || fail "the poll did not meet the 503"
sleep 0.5
kill -TERM "$dpid"
n=50
while kill -0 "$dpid" 2>/dev/null && [ "$n" -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
if kill -0 "$dpid" 2>/dev/null; then
	fail "still waiting to retry 5 s after SIGTERM"
else
	wait "$dpid" && ok || fail "exit status $? after SIGTERM in a retry wait"
fi
dpid=
$R fault "$TMP/reg" --clear >/dev/null

# --once when the database stays locked past the busy timeout: the poll
# fails, the cycle ends, nothing hangs.
/usr/bin/python3 - "$TMP/h.db" <<'EOF2' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
time.sleep(12)
EOF2
kpid=$!
sleep 1
timeout 30 "$TAGDRIFT" -c "$TMP/t.conf" --db "$TMP/h.db" daemon --once \
    2>"$TMP/daemon3.log"
st=$?
kill "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
[ "$st" -ne 124 ] && ok || fail "--once hung on a locked database"
grep -q 'database is locked' "$TMP/daemon3.log" && ok ||
	fail "the locked database was not reported"

[ "$failures" -eq 0 ] || sed 's/^/    daemon: /' "$TMP/daemon.log" \
    "$TMP/daemon2.log" "$TMP/daemon3.log" >&2 2>/dev/null
finish
