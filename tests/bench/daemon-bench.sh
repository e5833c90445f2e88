#!/bin/sh
# Benchmark: the footprint of `tagdrift daemon`.  Against the loopback
# harness registry (20 tags in 4 repositories, watched by [image] sections
# and pinned by Dockerfiles in a scan tree) and the webhook receiver, it
# measures (1) the daemon idle between two cycles: resident memory, and the
# wakeups of every thread from /proc/PID/task/*/schedstat and the context
# switch counts, then what an strace of the idle daemon sees; and (2) the
# resident memory after cycle 1, 10, 100 and every 250 of 1,000 cycles
# (SIGUSR1), each after re-pushing two watched tags so that they move, with
# the tag.moved events the webhook received as a sanity check.
#
# usage: daemon-bench.sh [TAGDRIFT]
#   TAGDRIFT     the binary (default: $TAGDRIFT, else
#                build/default/src/tagdrift in the source tree); a wrapper
#                that execs it (valgrind) works too
# env:
#   IDLE         seconds of the idle window (default 120)
#   STRACE_SECS  seconds of the strace window after it (default 30; 0: none)
#   CYCLES       SIGUSR1 cycles (default 1000)
#   HARNESS      the harness directory (default tests/harness)
#   HEAP         1 (the default when gdb is installed): at each sample
#                after a cycle, attach gdb to read sqlite3_memory_used() and
#                glibc's malloc_stats() (written to the daemon's stderr), to
#                tell SQLite's page cache from the rest; 0: do not
#   KEEP         set: keep the work directory (logs, trace, counts)
#
# Needs python3, docker-registry (tests/harness) and jq; strace for the
# syscall listing and gdb for the heap figures (each skipped without it).
# Targets: idle RSS < 15 MB (after the first cycle, and again after the
# last), no wakeup in the idle window (no timer is due in it: both
# intervals are 1h), RSS after the last cycle no higher than after the
# first.  Exit status: 0 every target met, 1 a target missed, 2 it could
# not run.
# shellcheck disable=SC2016,SC2046,SC2086,SC2317
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tagdrift=${1:-${TAGDRIFT:-$top/build/default/src/tagdrift}}
idle=${IDLE:-120}
strace_secs=${STRACE_SECS:-30}
cycles=${CYCLES:-1000}
harness=${HARNESS:-$top/tests/harness}
heap=${HEAP:-1}
command -v gdb >/dev/null 2>&1 || heap=0
R="/usr/bin/python3 $harness/registry.py"
WH="/usr/bin/python3 $harness/webhook.py"
NREPO=4
NTAG=5
MOVERS="bench/app0:1.0.0 bench/app1:1.0.0"	# re-pushed every cycle

die() {
	echo "daemon-bench.sh: $*" >&2
	[ -n "${W:-}" ] && [ -s "$W/daemon.log" ] &&
		tail -15 "$W/daemon.log" | sed 's/^/    daemon: /' >&2
	exit 2
}

[ -x "$tagdrift" ] || die "$tagdrift is not executable"
case $tagdrift in
/*) ;;
*) tagdrift=$(pwd)/$tagdrift ;;
esac
for t in jq /usr/bin/python3 /usr/bin/docker-registry; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found"
done

W=$(mktemp -d "${TMPDIR:-/tmp}/tagdrift-dbench.XXXXXX")
dpid=
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
	$R stop "$W/reg" >/dev/null 2>&1
	$WH stop "$W/wh" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP
export XDG_STATE_HOME="$W/state" NO_COLOR=1
unset NOTIFY_SOCKET WATCHDOG_USEC	# no watchdog timer in the idle window
life=$((idle + strace_secs + cycles * 2 + 600))
ADDR=$($R start "$W/reg" --owner $$ --max-lifetime "$life") ||
    die "the harness registry did not start"
WADDR=$($WH start "$W/wh" --owner $$ --max-lifetime "$life") ||
    die "the webhook receiver did not start"
RECV="$W/wh/received.jsonl"
LOG="$W/daemon.log"

# now: seconds since the epoch with nanoseconds.
now() {
	date +%s.%N
}

# elapsed START END: seconds between two now() values, 1 decimal.
elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
}

# status_kb FIELD: that line of /proc/$dpid/status, in kB.
status_kb() {
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$dpid/status"
}

# mb KB: kB as MB, 1 decimal.
mb() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

# polls: the number of "poll: N tags" lines logged so far.
polls() {
	grep -cE 'poll: [0-9]+ tags?, [0-9]+ moved, [0-9]+ failed' "$LOG"
}

# wait_polls N SECONDS: until N poll lines are logged; 1 on timeout or if
# the daemon is gone.
wait_polls() {
	_n=$(($2 * 50))
	while [ "$(polls)" -lt "$1" ]; do
		kill -0 "$dpid" 2>/dev/null || return 1
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.02
	done
	return 0
}

# received: the number of POSTs the webhook recorded.
received() {
	if [ -f "$RECV" ]; then wc -l <"$RECV" | tr -d ' '; else echo 0; fi
}

# quiet SECONDS MAX: until the webhook count has not changed for SECONDS
# (at most MAX seconds).
quiet() {
	_last=-1 _same=0 _t=0
	while [ "$_same" -lt "$1" ] && [ "$_t" -lt "$2" ]; do
		_c=$(received)
		if [ "$_c" = "$_last" ]; then
			_same=$((_same + 1))
		else
			_same=0
		fi
		_last=$_c
		sleep 1
		_t=$((_t + 1))
	done
}

# threads FILE: one line per thread: tid name timeslices ctxt-switches.
threads() {
	for t in /proc/"$dpid"/task/*; do
		tid=${t##*/}
		name=$(tr ' ' '_' <"$t/comm" 2>/dev/null) || continue
		ts=$(awk '{ print $3 }' "$t/schedstat" 2>/dev/null) || continue
		cs=$(awk '/^(non)?voluntary_ctxt_switches:/ { n += $2 }
		    END { print n }' "$t/status" 2>/dev/null) || continue
		echo "$tid $name $ts $cs"
	done >"$1"
}

# --- the registry, the tree, the configuration ---

echo "registry: $ADDR; webhook: $WADDR"
echo "pushing $((NREPO * NTAG)) tags in $NREPO repositories"
: >"$W/tags"
i=0
while [ "$i" -lt "$NREPO" ]; do
	j=0
	while [ "$j" -lt "$NTAG" ]; do
		echo "bench/app$i:1.0.$j s$i-$j" >>"$W/tags"
		j=$((j + 1))
	done
	i=$((i + 1))
done
xargs -P 8 -n 2 sh -c '$0 push "$1" "$2" --seed "$3" >/dev/null' "$R" \
    "$ADDR" <"$W/tags" || die "a push failed"

# One Dockerfile per tag, pinning it by tag; the final stages of half of
# them build FROM another image of the tree's.
mkdir -p "$W/tree"
n=0
while read -r ref _; do
	d="$W/tree/svc$n"
	mkdir -p "$d"
	if [ $((n % 2)) -eq 0 ]; then
		printf 'FROM %s/%s\nRUN true\n' "$ADDR" "$ref" >"$d/Dockerfile"
	else
		printf 'FROM %s/%s AS build\nRUN make\nFROM %s/%s\n' "$ADDR" \
		    "$ref" "$ADDR" "$prev" >"$d/Dockerfile"
	fi
	prev=$ref
	n=$((n + 1))
done <"$W/tags"

# cache_ttl = 0: every cycle lists the tags too, as a daemon's polls
# poll_interval apart do.
{
	printf '[general]\ncache_ttl = 0s\n'
	printf '[registry %s]\ninsecure = yes\n' "$ADDR"
	i=0
	while [ "$i" -lt "$NREPO" ]; do
		printf '[image %s/bench/app%d]\nproduction =' "$ADDR" "$i"
		j=0
		while [ "$j" -lt "$NTAG" ]; do
			printf ' 1.0.%d' "$j"
			j=$((j + 1))
		done
		printf '\n'
		i=$((i + 1))
	done
	printf '[daemon]\nscan = %s\nscan_interval = 1h\n' "$W/tree"
	printf 'poll_interval = 1h\n'
	printf '[webhook]\nurl = http://%s/hook\n' "$WADDR"
} >"$W/t.conf"
"$tagdrift" -c "$W/t.conf" check-config >"$W/check" 2>&1 ||
    die "check-config: $(head -5 "$W/check")"

# --- the daemon, its first cycle ---

t0=$(now)
"$tagdrift" -c "$W/t.conf" --db "$W/h.db" daemon 2>"$LOG" &
dpid=$!
wait_polls 1 60 || die "no first poll within 60 s"
first=$(grep -E 'poll: [0-9]+ tags?,' "$LOG" | head -1 | sed 's/.*poll: //')
echo "daemon: pid $dpid, first cycle in $(elapsed "$t0" "$(now)") s" \
    "(poll: $first)"
quiet 3 60	# the first cycle's findings and events delivered
echo "webhook: $(received) POSTs after the first cycle"

# --- idle ---

echo "idle: ${idle} s"
threads "$W/th0"
rss_min="" rss_max=0 t=0
while :; do
	r=$(status_kb VmRSS)
	[ -n "$r" ] || die "the daemon died while idle"
	[ -z "$rss_min" ] || [ "$r" -lt "$rss_min" ] && rss_min=$r
	[ "$r" -gt "$rss_max" ] && rss_max=$r
	[ "$t" -ge "$idle" ] && break
	step=$((idle - t < 10 ? idle - t : 10))
	sleep "$step"
	t=$((t + step))
done
threads "$W/th1"
idle_hwm=$(status_kb VmHWM)
idle_anon=$(status_kb RssAnon)
# Per thread: tid name wakeups (timeslices run) ctxt-switches; threads
# born or gone in the window are marked.
awk 'NR == FNR { ts[$1] = $3; cs[$1] = $4; nm[$1] = $2; next }
    { if ($1 in ts) { printf "%s %s %d %d\n", $1, $2, $3 - ts[$1],
	$4 - cs[$1]; delete ts[$1] }
      else printf "%s %s(new) %d %d\n", $1, $2, $3, $4 }
    END { for (t in ts) printf "%s %s(gone) 0 0\n", t, nm[t] }' \
    "$W/th0" "$W/th1" >"$W/wake"
wake=$(awk '{ n += $3 } END { print n + 0 }' "$W/wake")
csw=$(awk '{ n += $4 } END { print n + 0 }' "$W/wake")
nthr=$(wc -l <"$W/wake" | tr -d ' ')
echo "idle RSS $(mb "$rss_min")..$(mb "$rss_max") MB (RssAnon" \
    "$(mb "$idle_anon") MB, VmHWM $(mb "$idle_hwm") MB);" \
    "$nthr threads, $wake wakeups, $csw context switches"
printf '    %-8s %-18s %8s %8s\n' tid thread wakeups ctxsw
awk '{ printf "    %-8s %-18s %8d %8d\n", $1, $2, $3, $4 }' "$W/wake"

# What the idle daemon does, as strace sees it (after the count: ptrace
# itself wakes every thread on attach and detach).
strace_calls=-
if [ "$strace_secs" -gt 0 ] && command -v strace >/dev/null 2>&1; then
	strace -f -tt -o "$W/strace" -p "$dpid" 2>"$W/strace.err" &
	spid=$!
	sleep "$strace_secs"
	kill -INT "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	spid=
	# A thread's first line is the call the attach found it blocked in;
	# every later line but a "resumed" half is a call made in the window.
	awk 'seen[$1]++ == 0 { split($3, a, "("); print $1, a[1] }' \
	    "$W/strace" | sort -n >"$W/blocked"
	awk 'seen[$1]++ == 0 || $3 ~ /^<\.\.\./ { next }
	    { print }' "$W/strace" >"$W/new"
	awk '{ split($3, a, "("); n[a[1]]++ }
	    END { for (s in n) printf "%s %d\n", s, n[s] }' "$W/new" |
	    sort >"$W/calls"
	strace_calls=$(wc -l <"$W/new" | tr -d ' ')
	echo "strace -f over ${strace_secs} s: $strace_calls system calls" \
	    "made$( [ -s "$W/calls" ] && printf ' (%s)' \
	    "$(awk '{ printf "%s%s %d", s, $1, $2; s = ", " }' "$W/calls")")"
	echo "    blocked at attach: $(awk -v p="$dpid" '{ printf "%s%s%s %s",
	    s, $1, ($1 == p ? " (main)" : ""), $2; s = ", " }' "$W/blocked")"
	if [ "$strace_calls" -gt 0 ]; then
		echo "    first calls made:"
		head -20 "$W/new" | cut -c1-150 | sed 's/^/    /'
	fi
	[ -s "$W/strace.err" ] && grep -v -e attached -e detached \
	    "$W/strace.err" | head -3 | sed 's/^/    strace: /'
elif [ "$strace_secs" -gt 0 ]; then
	echo "strace: not installed, no syscall listing"
fi

# --- cycles ---

# heap: "SQLITE MALLOC", the kB sqlite3_memory_used() reports and the kB
# in use in glibc's malloc arenas (from malloc_stats() on the daemon's
# stderr), read with gdb; "- -" when that is off or fails.
heap() {
	[ "$heap" = 1 ] || { echo "- -"; return; }
	_s=$(gdb -p "$dpid" -batch -nx -ex 'print (long long)
	    ((long long (*)(void)) sqlite3_memory_used)()' \
	    -ex 'call (void) malloc_stats()' 2>/dev/null |
	    sed -n 's/^\$1 = \([0-9]*\)$/\1/p')
	_m=$(awk '/^Total \(incl\. mmap\):/ { t = 1; next }
	    t && /in use bytes/ { v = $NF; t = 0 } END { print v }' "$LOG")
	if [ -n "$_s" ] && [ -n "$_m" ]; then
		echo "$((_s / 1024)) $((_m / 1024))"
	else
		echo "- -"
	fi
}

# sample N: record VmRSS, RssAnon and the heap after cycle N; print them.
: >"$W/rss"
sample() {
	_e=$(elapsed "$t0" "$(now)")
	_r=$(status_kb VmRSS)
	_a=$(status_kb RssAnon)
	set -- "$1" "$_r" "$_a" $(heap)
	echo "$*" >>"$W/rss"
	printf '    after cycle %4d: RSS %s MB (RssAnon %s MB), %s s' "$1" \
	    "$(mb "$2")" "$(mb "$3")" "$_e"
	[ "$4" = - ] || printf '; SQLite %s kB, malloc in use %s kB' "$4" "$5"
	printf '\n'
}

# rss_after N [COLUMN]: what sample N recorded, in kB: VmRSS (2), RssAnon
# (3), SQLite (4), malloc in use (5).
rss_after() {
	awk -v n="$1" -v c="${2:-2}" '$1 == n { print $c }' "$W/rss"
}

echo "cycles: $cycles, each re-pushing $MOVERS; sampled after 1, 10, 100" \
    "and every 250"
before_recv=$(received)
before_moved=$(grep -c 'moved .* -> ' "$LOG")
odd=0
threads "$W/th2"
t0=$(now)
i=1
while [ "$i" -le "$cycles" ]; do
	pids=
	for ref in $MOVERS; do
		$R push "$ADDR" "$ref" --seed "c$i-$ref" >/dev/null &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || die "cycle $i: a push failed"
	done
	np=$(polls)
	kill -USR1 "$dpid" 2>/dev/null || die "cycle $i: the daemon is gone"
	wait_polls $((np + 1)) 60 ||
	    die "cycle $i: no poll line within 60 s (daemon $(kill -0 \
	    "$dpid" 2>/dev/null && echo alive || echo gone))"
	grep -E 'poll: [0-9]+ tags?,' "$LOG" | tail -1 |
	    grep -q "poll: $((NREPO * NTAG)) tags, 2 moved, 0 failed" ||
	    odd=$((odd + 1))
	case $i in
	1 | 10 | 100 | *[05]00 | *[27]50 | "$cycles") sample "$i" ;;
	esac
	i=$((i + 1))
done
t1=$(now)
cyc_wall=$(elapsed "$t0" "$t1")
threads "$W/th3"
# The same count over the cycles, to show that it counts.
cyc_wake=$(awk 'NR == FNR { ts[$1] = $3; next }
    { n += $3 - ts[$1] } END { print n + 0 }' "$W/th2" "$W/th3")
moved=$(($(grep -c 'moved .* -> ' "$LOG") - before_moved))
want=$((cycles * 2))
n=0
while [ "$(jq -s '[.[] | select(.headers["x-tagdrift-event"] ==
    "tag.moved")] | length' "$RECV")" -lt "$want" ] && [ "$n" -lt 60 ]; do
	sleep 1
	n=$((n + 1))
done
quiet 2 30
# Idle again, the last events delivered.
rss_end=$(status_kb VmRSS)
hwm_end=$(status_kb VmHWM)
got_moved=$(jq -s '[.[] | select(.headers["x-tagdrift-event"] ==
    "tag.moved")] | length' "$RECV")
by_type=$(jq -rs '[.[] | .headers["x-tagdrift-event"]] | group_by(.) |
    map("\(.[0]) \(length)") | join(", ")' "$RECV")
echo "cycles: $cycles in $cyc_wall s; $odd poll lines other than" \
    "\"$((NREPO * NTAG)) tags, 2 moved, 0 failed\""
echo "moves logged: $moved (expected $want); webhook tag.moved received:" \
    "$got_moved; all POSTs: $(received) ($by_type)," \
    "$(($(received) - before_recv)) during the cycles"

# SIGTERM: the daemon should exit 0 promptly (waited for up to 60 s, for
# a TAGDRIFT wrapper running it under valgrind).
t0=$(now)
kill -TERM "$dpid"
n=600
while kill -0 "$dpid" 2>/dev/null && [ "$n" -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
if kill -0 "$dpid" 2>/dev/null; then
	stop="still running 60 s after SIGTERM"
else
	wait "$dpid"
	stop="exit status $? after $(elapsed "$t0" "$(now)") s"
	dpid=
fi
echo "SIGTERM: $stop"
db_kb=$(du -k "$W/h.db"* | awk '{ n += $1 } END { print n }')

# --- summary ---

# verdict OK: "met" or "missed".
verdict() {
	if [ "$1" -eq 1 ]; then echo met; else echo missed; fi
}
r1=$(rss_after 1)
rl=$(rss_after "$cycles")
growth=$((rl - r1))
ok_rss=$(awk -v r="$rss_max" 'BEGIN { print (r < 15 * 1024) ? 1 : 0 }')
ok_wake=$([ "$wake" -eq 0 ] && echo 1 || echo 0)
ok_grow=$([ "$growth" -le 0 ] && echo 1 || echo 0)
ok_end=$(awk -v r="$rss_end" 'BEGIN { print (r < 15 * 1024) ? 1 : 0 }')
echo
printf '%-36s %-14s %-16s %s\n' measure value target verdict
printf '%-36s %-14s %-16s %s\n' "idle RSS (max over ${idle} s)" \
    "$(mb "$rss_max") MB" "< 15 MB" "$(verdict "$ok_rss")"
printf '%-36s %-14s %-16s %s\n' "idle wakeups, all $nthr threads" \
    "$wake" "0" "$(verdict "$ok_wake")"
printf '%-36s %-14s %-16s\n' "idle context switches" "$csw" ""
printf '%-36s %-14s %-16s\n' "idle syscalls (strace ${strace_secs} s)" \
    "$strace_calls" ""
for c in 1 10 100 1000; do
	[ "$c" -le "$cycles" ] || continue
	printf '%-36s %-14s\n' "RSS after cycle $c" "$(mb "$(rss_after "$c")") MB"
done
printf '%-36s %-14s %-16s %s\n' "growth, cycle 1 -> $cycles" \
    "$growth kB" "<= 0" "$(verdict "$ok_grow")"
printf '%-36s %-14s\n' "  of which RssAnon" \
    "$(($(rss_after "$cycles" 3) - $(rss_after 1 3))) kB"
if [ "$(rss_after 1 4)" != - ] && [ "$(rss_after "$cycles" 4)" != - ]; then
	printf '%-36s %-14s\n' "SQLite memory, cycle 1 -> $cycles" \
	    "$(rss_after 1 4) -> $(rss_after "$cycles" 4) kB"
	printf '%-36s %-14s\n' "malloc in use, cycle 1 -> $cycles" \
	    "$(rss_after 1 5) -> $(rss_after "$cycles" 5) kB"
fi
printf '%-36s %-14s\n' "VmHWM at the end" "$(mb "$hwm_end") MB"
printf '%-36s %-14s %-16s %s\n' "RSS at the end (idle again)" \
    "$(mb "$rss_end") MB" "< 15 MB" "$(verdict "$ok_end")"
printf '%-36s %-14s %-16s\n' "tag.moved delivered" "$got_moved" "$want"
printf '%-36s %-14s\n' "time for $cycles cycles" "$cyc_wall s"
printf '%-36s %-14s\n' "wakeups during the cycles" "$cyc_wake"
printf '%-36s %-14s\n' "history database (with -wal)" "$db_kb kB"
[ "$got_moved" -eq "$want" ] && [ "$moved" -eq "$want" ] ||
    echo "note: moves or deliveries differ from the expected $want"
[ "$ok_rss" -eq 1 ] && [ "$ok_wake" -eq 1 ] && [ "$ok_grow" -eq 1 ] &&
    [ "$ok_end" -eq 1 ] || exit 1
exit 0
