#!/usr/bin/env bash
# The matching index's figures (README, "Index: measured"), one command:
#
#   scripts/bench-index.sh [faiss|near|add|exact|all]   (default all)
#
#   faiss  winnow match vs FAISS IndexBinaryMultiHash, 1M PDQ hashes, radius
#          31, random and clustered, 10k queries (half near-duplicates of
#          indexed hashes); checks both report the same pairs. Needs Debian's
#          python3-faiss (apt-get install python3-faiss).
#   near   10M PDQ hashes: queries per CPU-second (hits and misses, random and
#          clustered), build time and memory per entry.
#   add    latency of Add into a 10M index while queries see the new entries.
#   exact  a 50M-entry MD5 set: load time (checksums included), index bytes,
#          process RSS (writes a 2.5 GB set file into .cache/benchload once).
#
# Generated data only (random and clustered hashes; no media). Figures are
# per core: the Go benchmarks pin one thread and report CPU time, FAISS runs
# one thread.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
wb=.cache/bench-index
mkdir -p "$wb"

faiss() {
	local S=scripts/bench-faiss.py
	if ! /usr/bin/python3 -c 'import faiss' 2>/dev/null; then
		echo "bench-index: FAISS missing: apt-get install python3-faiss" >&2
		return 1
	fi
	[ -s "$wb/rand.txt" ] || /usr/bin/python3 $S gen random --n 1000000 --seed 1 >"$wb/rand.txt"
	[ -s "$wb/clus.txt" ] || /usr/bin/python3 $S gen clustered --n 1000000 --centres 300 --spread 40 --seed 2 >"$wb/clus.txt"
	[ -s "$wb/rand-q.txt" ] || /usr/bin/python3 $S gen queries --from "$wb/rand.txt" --n 10000 --hit 0.5 --max-flips 16 --seed 3 >"$wb/rand-q.txt"
	[ -s "$wb/clus-q.txt" ] || /usr/bin/python3 $S gen queries --from "$wb/clus.txt" --n 10000 --hit 0.5 --max-flips 16 --seed 4 >"$wb/clus-q.txt"
	make -s build
	for k in rand clus; do
		echo "== 1M $k, radius 31"
		/usr/bin/python3 $S bench --index "$wb/$k.txt" --queries "$wb/$k-q.txt" --radius 31 --winnow bin/winnow
	done
}

near() {
	go test -run '^$' -bench 'Near256Query/n=10M' -benchtime 4000x -timeout 60m ./triage/index | grep Benchmark
	go test -run '^$' -bench 'Near256Build/n=10M' -benchtime 1x -timeout 60m ./triage/index | grep Benchmark
}

add() {
	go test -run '^$' -bench 'Near256Add' -benchtime 20000x -timeout 30m ./triage/index | grep Benchmark
}

exact() {
	go run ./triage/triagetest/benchload -n 50000000 -algos md5 -dir .cache/benchload
}

case $what in
faiss | near | add | exact) $what ;;
all) faiss; near; add; exact ;;
*) echo "usage: scripts/bench-index.sh [faiss|near|add|exact|all]" >&2; exit 2 ;;
esac
