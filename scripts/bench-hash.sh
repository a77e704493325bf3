#!/usr/bin/env bash
# Measures `winnow hash` end to end on generated 12 MP camera-like JPEGs:
# throughput (--stats) and peak memory (max RSS), for the fast path and the
# pure-Go path. Usage: scripts/bench-hash.sh [N_PHOTOS] [WORKERS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-40}
workers=${2:-$(nproc)}
dir=${WINNOW_BENCH_DIR:-.cache/bench-12mp-$n}
if [ ! -f "$dir/photo-$(printf %04d $((n - 1))).jpg" ]; then
	go run ./triage/triagetest/genphotos -n "$n" -out "$dir"
fi
make -s build
cat "$dir"/*.jpg >/dev/null # warm the page cache: measure hashing, not the disk
for mode in fast go; do
	flags=()
	[ "$mode" = go ] && flags+=(--no-fast-jpeg)
	echo "== $mode path, $workers workers, $n photos"
	/usr/bin/time -f "peak RSS %M KiB, %e s wall, %U s user" \
		bin/winnow hash --stats --no-progress --workers "$workers" "${flags[@]}" "$dir" >/dev/null
	echo "== $mode path, 1 worker (per-core figure)"
	/usr/bin/time -f "peak RSS %M KiB, %e s wall, %U s user" \
		bin/winnow hash --stats --no-progress --workers 1 "${flags[@]}" "$dir" >/dev/null
done
