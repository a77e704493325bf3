#!/usr/bin/env bash
# Lab service figures on this machine (see README, "Lab service: measured").
#
#   scripts/bench-lab.sh [N]   N mixed benign photos (0.3-12 MP, default 2000)
#
# Starts its own MinIO, Redis, winnow serve and one winnow worker on loopback
# (PostgreSQL: a fresh schema in database "test"), then measures:
#   1. winnow hash on the files (files/s), then winnow submit --wait of the same
#      files until all are analysed (files/s), and the ratio;
#   2. the upload path (winnow submit with the worker stopped) against a plain
#      minio-go PutObject loop of the same files, same concurrency;
#   3. 50 concurrent clients polling exhibit status for 20 s: latency p50/p99;
#   4. the API's peak RSS while 8 clients each upload 1 GiB of random bytes
#      (generated on the fly).
# The photos are generated once into .cache/bench-lab/photos-N: N/8 distinct
# generated photos, each written in 8 variants that differ only in a JPEG
# comment (distinct files and digests, same pixels), because generating 2,000
# distinct photos takes this 2-core machine about half an hour.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
mkdir -p .cache/bench-lab
B=$(realpath .cache/bench-lab)
PH=$B/photos-$N
make -s build
scripts/services.sh check >/dev/null

if [ ! -f "$PH.done" ]; then
	echo "bench: generating $N photos in $PH"
	rm -rf "$PH"
	go run ./triage/triagetest/genphotos -mixed -variants 8 -n "$N" -out "$PH"
	touch "$PH.done"
fi

PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	psql -h 127.0.0.1 -U postgres -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" test >/dev/null 2>&1 || true
	rm -rf "$B/minio" "$B/redis"
}
trap cleanup EXIT
SCHEMA=bench_$$
MINIO_PORT=19100; API_PORT=19101; REDIS_PORT=19102; WMETRICS=19103
mkdir -p "$B/minio" "$B/redis"
MINIO_ROOT_USER=bench MINIO_ROOT_PASSWORD=bench-secret-key MINIO_BROWSER=off MINIO_UPDATE=off \
	"$(scripts/services.sh minio-bin)" server --quiet --address 127.0.0.1:$MINIO_PORT --console-address 127.0.0.1:$((MINIO_PORT + 10)) "$B/minio" >"$B/minio.log" 2>&1 &
MINIO=$!; PIDS+=($MINIO)
redis-server --bind 127.0.0.1 --port $REDIS_PORT --save "" --appendonly no --dir "$B/redis" >"$B/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -fsS -o /dev/null http://127.0.0.1:$MINIO_PORT/minio/health/ready 2>/dev/null && break; sleep 0.2; done

export WINNOW_PG_URL="postgres://postgres@127.0.0.1:5432/test?sslmode=disable" WINNOW_PG_SCHEMA=$SCHEMA
export WINNOW_REDIS_ADDR=127.0.0.1:$REDIS_PORT WINNOW_MINIO_ENDPOINT=127.0.0.1:$MINIO_PORT
export WINNOW_MINIO_ACCESS_KEY=bench WINNOW_MINIO_SECRET_KEY=bench-secret-key WINNOW_MINIO_BUCKET=bench
export WINNOW_LISTEN=127.0.0.1:$API_PORT WINNOW_LOG_LEVEL=warn
bin/winnow serve >"$B/serve.log" 2>&1 &
SERVE=$!; PIDS+=($SERVE)
for _ in $(seq 100); do curl -fsS -o /dev/null http://127.0.0.1:$API_PORT/readyz 2>/dev/null && break; sleep 0.2; done
export WINNOW_SERVER=http://127.0.0.1:$API_PORT
WINNOW_TOKEN=$(bin/winnow admin bootstrap --name bench)
export WINNOW_TOKEN

cputime() { awk '{print ($14+$15)/100}' "/proc/$1/stat"; }
# busy: the machine's busy CPU seconds so far, all cores (user, system, irq;
# not idle, iowait or steal).
busy() { awk '/^cpu /{print ($2+$3+$4+$7+$8)/100}' /proc/stat; }
echo "bench: $N files, $(du -sh "$PH" | cut -f1); machine: $(nproc) cores, shared"

# 1. winnow hash vs winnow submit --wait, both from the page cache (a cold
# first read would make winnow hash wait on the disk and flatter the ratio).
cat "$PH"/* >/dev/null
c0=$(busy); t0=$(date +%s.%N); bin/winnow hash --workers "$(nproc)" "$PH" >/dev/null; t1=$(date +%s.%N); c1=$(busy)
hash_cpu=$(echo "$c1 - $c0" | bc -l)
hash_fps=$(echo "$N / ($t1 - $t0)" | bc -l)
WINNOW_WORKER_METRICS=127.0.0.1:$WMETRICS bin/winnow worker >"$B/worker.log" 2>&1 &
WORKER=$!; PIDS+=($WORKER)
for _ in $(seq 100); do curl -fsS -o /dev/null http://127.0.0.1:$WMETRICS/healthz 2>/dev/null && break; sleep 0.2; done
m0=$(cputime $MINIO); c0=$(busy); t0=$(date +%s.%N)
bin/winnow submit --case bench --exhibit all --wait --json --no-progress "$PH" | tail -1 >"$B/submit.json"
t1=$(date +%s.%N); c1=$(busy); m1=$(cputime $MINIO)
submit_cpu=$(echo "$c1 - $c0" | bc -l); minio_cpu=$(echo "$m1 - $m0" | bc -l)
submit_fps=$(echo "$N / ($t1 - $t0)" | bc -l)
printf 'winnow hash:           %7.1f files/s\n' "$hash_fps"
printf 'winnow submit --wait:  %7.1f files/s  (%.0f%% of winnow hash)  %s\n' "$submit_fps" "$(echo "100 * $submit_fps / $hash_fps" | bc -l)" "$(cat "$B/submit.json")"
printf 'CPU seconds so far: serve %s, worker %s, minio %s\n' "$(cputime $SERVE)" "$(cputime $WORKER)" "$(cputime $MINIO)"
# The worker's perceptual hashing plus the API's digests cost at least what
# winnow hash spends, so MinIO's share alone caps the ratio on one machine.
printf 'machine CPU-s: winnow hash %.1f, submission %.1f (MinIO %.1f of it); with everything but winnow hash'"'"'s work and MinIO free, the ratio could be at most %.0f%%\n' \
	"$hash_cpu" "$submit_cpu" "$minio_cpu" "$(echo "100 * $hash_cpu / ($hash_cpu + $minio_cpu)" | bc -l)"

curl -fsS http://127.0.0.1:$WMETRICS/metrics | grep -E '^winnow_worker_analyze_seconds_(sum|count)' | tr '\n' ' '; echo

# 2-4: client-side loops in Go (cmd/winnow/benchlab_test.go).
kill $WORKER; wait $WORKER 2>/dev/null || true
WINNOW_BENCH_DIR=$PH WINNOW_BENCH_SERVE_PID=$SERVE WINNOW_BENCH_MINIO_PID=$MINIO go test -count=1 -run "${BENCH_TESTS:-^TestBenchLab}" -timeout 60m -v ./cmd/winnow 2>&1 | grep -E '^\s+benchlab_test.go|^(ok|FAIL|---)'
