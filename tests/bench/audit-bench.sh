#!/bin/sh
# Benchmark: `tagdrift audit --offline --format json` against ripgrep listing
# the same lines of the same files, on a generated tree of 50,000 files
# (tests/bench/gen-tree.sh).  Prints the wall time of each, the ratio and
# tagdrift's peak RSS, against the targets: within 2x of rg, under 50 MB.
#
# usage: audit-bench.sh [DIR]
#   DIR      where the tree is (generated there if missing; reused if it
#            holds a tree from this generator); default $TMPDIR/tagdrift-bench
# env:
#   TAGDRIFT the binary (default ./src/tagdrift, run from the build dir)
#   RUNS     timed runs of each command (default 10, after 2 warm-up runs)
#
# Uses hyperfine when installed, else a loop timed with date(1).  Needs rg
# (ripgrep), jq and GNU time (/usr/bin/time, Debian package "time").
# Exit status: 0 both targets met, 1 a target missed, 2 cannot run.
set -u

here=$(cd "$(dirname "$0")" && pwd)
tagdrift=${TAGDRIFT:-./src/tagdrift}
runs=${RUNS:-10}
dir=${1:-${TMPDIR:-/tmp}/tagdrift-bench}
marker=.tagdrift-bench-tree-v2

die() {
	echo "audit-bench.sh: $*" >&2
	exit 2
}

[ -x "$tagdrift" ] || die "$tagdrift is not executable (set TAGDRIFT)"
case $tagdrift in
/*)	;;
*)	tagdrift=$(pwd)/$tagdrift ;;
esac
command -v rg >/dev/null 2>&1 || die "rg (ripgrep) not found"
command -v jq >/dev/null 2>&1 || die "jq not found"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (Debian package time)"

if [ ! -f "$dir/$marker" ]; then
	if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
		die "$dir is not empty and holds no benchmark tree"
	fi
	echo "generating the tree in $dir ..."
	sh "$here/gen-tree.sh" "$dir" || die "gen-tree.sh failed"
	: > "$dir/$marker"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tagdrift-bench-run.XXXXXX") ||
    die "mktemp failed"
trap 'rm -rf "$work"' EXIT
trap 'exit 2' HUP INT TERM

# The same files tagdrift reads (the Dockerfile family, every YAML file, not
# under .git, node_modules, vendor, .hg, .svn; hidden directories included)
# and the lines it reports (FROM, image:).
cat > "$work/rg.sh" <<EOF
exec rg --no-config --no-ignore --hidden --no-messages -n --no-heading \\
    --color never \$RGFLAGS \\
    --iglob 'dockerfile' --iglob 'dockerfile.*' --iglob '*.dockerfile' \\
    --iglob 'containerfile' --iglob 'containerfile.*' \\
    -g '*.yml' -g '*.yaml' \\
    -g '!.git/' -g '!node_modules/' -g '!vendor/' -g '!.hg/' -g '!.svn/' \\
    -e '(?i)^\\s*FROM\\s' -e '^\\s*(-\\s*)?image:\\s' '$dir'
EOF
cat > "$work/tagdrift.sh" <<EOF
HOME='$work' XDG_STATE_HOME='$work' XDG_CACHE_HOME='$work' \\
    exec '$tagdrift' audit --offline --format json --db '$work/history.db' \\
    '$dir'
EOF

# One checked run of each first: tagdrift must work and find about as much.
sh "$work/tagdrift.sh" > "$work/out.json" 2> "$work/err.txt"
status=$?
if [ $status -gt 1 ] || ! jq -e . "$work/out.json" > /dev/null 2>&1; then
	sed -n 1,20p "$work/err.txt" >&2
	die "tagdrift audit failed (exit status $status) or printed no JSON"
fi
nrefs=$(jq '.references | length' "$work/out.json")
nlines=$(sh "$work/rg.sh" | wc -l)
files=$(find "$dir" -type f ! -name "$marker" | wc -l)
echo "tree: $dir ($files files)"
echo "tagdrift: $nrefs references; rg: $nlines lines"

# seconds (mean) of a command, as hyperfine or a timed loop measures it
measure() {
	if command -v hyperfine >/dev/null 2>&1; then
		hyperfine --style none --warmup 2 --runs "$runs" -i \
		    --export-json "$work/h.json" "$1" > /dev/null 2>&1 ||
		    die "hyperfine failed on: $1"
		jq '.results[0].mean' "$work/h.json"
		return
	fi
	i=0
	while [ $i -lt 2 ]; do
		sh -c "$1" > /dev/null 2>&1
		i=$((i + 1))
	done
	i=0
	: > "$work/t.txt"
	while [ $i -lt "$runs" ]; do
		t0=$(date +%s%N)
		sh -c "$1" > /dev/null 2>&1
		t1=$(date +%s%N)
		echo $((t1 - t0)) >> "$work/t.txt"
		i=$((i + 1))
	done
	awk '{ s += $1 } END { printf "%.6f\n", s / NR / 1e9 }' "$work/t.txt"
}

# peak RSS in kB of one run of a script (which execs the program)
peak() {
	/usr/bin/time -v sh "$1" 2>&1 > /dev/null |
	    awk -F': ' '/Maximum resident set size/ { print $2 }'
}

if command -v hyperfine >/dev/null 2>&1; then
	echo "timing with hyperfine, $runs runs each after 2 warm-up runs"
else
	echo "timing with a loop, $runs runs each after 2 warm-up runs" \
	    "(install hyperfine for more)"
fi
t_td=$(measure "sh $work/tagdrift.sh")
t_rg=$(measure "sh $work/rg.sh")
t_rg1=$(measure "RGFLAGS=-j1 sh $work/rg.sh")
rss_td=$(peak "$work/tagdrift.sh")
rss_rg=$(peak "$work/rg.sh")

awk -v td="$t_td" -v rg="$t_rg" -v rg1="$t_rg1" -v rss="$rss_td" \
    -v rssrg="$rss_rg" 'BEGIN {
	ratio = td / rg
	printf "%-34s %8.1f ms  peak RSS %6.1f MB\n", \
	    "tagdrift audit --offline", td * 1000, rss / 1024
	printf "%-34s %8.1f ms  peak RSS %6.1f MB\n", \
	    "rg (default threads)", rg * 1000, rssrg / 1024
	printf "%-34s %8.1f ms\n", "rg -j1 (for reference)", rg1 * 1000
	printf "ratio tagdrift/rg: %.2f (target <= 2.00): %s\n", ratio, \
	    ratio <= 2 ? "met" : "MISSED"
	printf "tagdrift peak RSS: %.1f MB (target < 50 MB): %s\n", \
	    rss / 1024, rss < 50 * 1024 ? "met" : "MISSED"
	exit (ratio <= 2 && rss < 50 * 1024) ? 0 : 1
}'
