#!/usr/bin/env bash
# Compares `winnow scan` with `winnow hash` on the same files: CPU time
# (user+sys, robust on a shared machine) and wall time, best of REPS runs
# each, alternating. "hash+dih" is winnow hash computing what scan computes
# (the dihedral PDQ hashes too), which splits the scan's extra cost into
# the dihedral hashes and the rest of the pipeline. The photos are generated benign 12 MP JPEGs; half of
# them go into a hash set, so the scan matches, groups and writes reports.
# Usage: scripts/bench-scan.sh [N_PHOTOS] [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-40}
reps=${2:-3}
dir=${WINNOW_BENCH_DIR:-.cache/bench-12mp-$n}
if [ ! -f "$dir/photo-$(printf %04d $((n - 1))).jpg" ]; then
	go run ./triage/triagetest/genphotos -n "$n" -out "$dir"
fi
make -s build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/half"
cp "$dir"/photo-00[0-1]*.jpg "$work/half/"
bin/winnow hashset build --out "$work/half.wset" --category vic-us:1 "$work/half" 2>/dev/null
cat "$dir"/*.jpg >/dev/null # warm the page cache: measure the work, not the disk

# run LABEL CMD...: prints "LABEL cpu_s wall_s"
run() {
	local label=$1
	shift
	/usr/bin/time -f "$label %U %S %e" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
	tail -1 "$work/err" | awk '{printf "%s %.2f %.2f\n", $1, $2 + $3, $4}'
}
for inputs in "$dir" demo/seizure; do
	echo "== $inputs ($(find "$inputs" -type f | wc -l) files), best of $reps"
	for r in $(seq "$reps"); do
		run hash bin/winnow hash --no-progress "$inputs"
		run hash+dih bin/winnow hash --no-progress --algo md5,sha1,sha256,pdq-dihedral,phash,dhash "$inputs"
		rm -rf "$work/out"
		run scan bin/winnow scan --no-progress --log-every 0 --hashset "$work/half.wset" --out "$work/out" "$inputs"
	done | sort -k1,1 -k2,2n | awk '
		!($1 in cpu) { cpu[$1] = $2; wall[$1] = $3 }
		$3 < wall[$1] { wall[$1] = $3 }
		END {
			printf "hash: %.2f s CPU, %.2f s wall\nhash+dih: %.2f s CPU, %.2f s wall\nscan: %.2f s CPU, %.2f s wall\n", cpu["hash"], wall["hash"], cpu["hash+dih"], wall["hash+dih"], cpu["scan"], wall["scan"]
			printf "scan costs %+.0f%% CPU, %+.0f%% wall against hash (dihedral PDQ alone: %+.0f%% CPU)\n", 100 * (cpu["scan"] / cpu["hash"] - 1), 100 * (wall["scan"] / wall["hash"] - 1), 100 * (cpu["hash+dih"] / cpu["hash"] - 1)
		}'
done
