#!/usr/bin/python3
"""Compare `winnow match` with FAISS IndexBinaryMultiHash on the same files.

Two subcommands:

  gen    writes a PDQ hash file (one 64-hex hash per line) to stdout:
         random hashes, clustered hashes, or queries derived from an index
         file (near-duplicates that hit, fresh random hashes that miss).
  bench  builds faiss.IndexBinaryMultiHash(256, nhash, 256 // nhash) the way
         Meta's hasher-matcher-actioner does (python-threatexchange
         PDQMultiHashIndex: nhash=16, b=16, nflip = radius // nhash,
         range_search at radius + 1 because FAISS keeps distances < radius),
         runs the queries on one thread and prints queries/s. With --winnow
         it also runs `winnow match` on the same files and checks that both
         report exactly the same (query line, index line, distance) pairs.

Reproduce the README figures (1M index, 10k queries):

  S=scripts/bench-faiss.py; mkdir -p /tmp/wb
  /usr/bin/python3 $S gen random --n 1000000 --seed 1 > /tmp/wb/rand.txt
  /usr/bin/python3 $S gen clustered --n 1000000 --centres 300 --spread 40 --seed 2 > /tmp/wb/clus.txt
  /usr/bin/python3 $S gen queries --from /tmp/wb/rand.txt --n 10000 --hit 0.5 --max-flips 16 --seed 3 > /tmp/wb/rand-q.txt
  /usr/bin/python3 $S gen queries --from /tmp/wb/clus.txt --n 10000 --hit 0.5 --max-flips 16 --seed 4 > /tmp/wb/clus-q.txt
  go build -o bin/winnow ./cmd/winnow
  /usr/bin/python3 $S bench --index /tmp/wb/rand.txt --queries /tmp/wb/rand-q.txt --radius 31 --winnow bin/winnow
  /usr/bin/python3 $S bench --index /tmp/wb/clus.txt --queries /tmp/wb/clus-q.txt --radius 31 --winnow bin/winnow

Run Python as /usr/bin/python3: Debian's python3-faiss and python3-numpy
(apt-get install python3-faiss) are installed for the system interpreter.
Blank lines count as lines in both files, like `winnow match` counts them.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time


def gen_random(n, rng):
    out = sys.stdout
    for _ in range(n):
        out.write("%064x\n" % rng.getrandbits(256))


def flip(h, k, rng):
    """Returns h with k distinct random bits flipped."""
    for b in rng.sample(range(256), k):
        h ^= 1 << b
    return h


def gen_clustered(n, centres, spread, rng):
    """n hashes around `centres` random centres; each member lies at a
    uniformly random distance 0..spread from its centre."""
    cs = [rng.getrandbits(256) for _ in range(centres)]
    out = sys.stdout
    for _ in range(n):
        c = cs[rng.randrange(centres)]
        out.write("%064x\n" % flip(c, rng.randint(0, spread), rng))


def read_hashes(path):
    with open(path, "rb") as f:
        return [l.strip() for l in f]


def gen_queries(src, n, hit, max_flips, rng):
    """A fraction `hit` of near-duplicates (an index hash with 0..max_flips
    bits flipped), the rest fresh random hashes (misses)."""
    idx = [l for l in read_hashes(src) if l]
    out = sys.stdout
    for _ in range(n):
        if rng.random() < hit:
            h = int(idx[rng.randrange(len(idx))], 16)
            out.write("%064x\n" % flip(h, rng.randint(0, max_flips), rng))
        else:
            out.write("%064x\n" % rng.getrandbits(256))


def load_matrix(path):
    """Returns (uint8 matrix n x 32, line numbers) for the non-blank lines."""
    import numpy as np

    lines = read_hashes(path)
    keep = [i for i, l in enumerate(lines) if l]
    buf = bytes.fromhex(b"".join(lines[i] for i in keep).decode())
    return np.frombuffer(buf, dtype=np.uint8).reshape(-1, 32), np.array(keep, dtype=np.int64)


def rss_mib():
    with open("/proc/self/status") as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1]) / 1024
    return 0.0


def bench(args):
    import faiss
    import numpy as np

    faiss.omp_set_num_threads(1)
    t0 = time.perf_counter()
    xb, xb_lines = load_matrix(args.index)
    xq, xq_lines = load_matrix(args.queries)
    t1 = time.perf_counter()
    rss0 = rss_mib()
    index = faiss.IndexBinaryMultiHash(256, args.nhash, 256 // args.nhash)
    index.nflip = args.radius // args.nhash
    index.add(xb)
    t2 = time.perf_counter()
    rss1 = rss_mib()
    c2 = time.process_time()
    lims, dist, labels = index.range_search(xq, args.radius + 1)
    t3 = time.perf_counter()
    c3 = time.process_time()
    pairs = int(lims[-1])
    stats = {
        "engine": "faiss.IndexBinaryMultiHash",
        "faiss": faiss.__version__,
        "nhash": args.nhash,
        "b": 256 // args.nhash,
        "nflip": index.nflip,
        "threads": 1,
        "index_entries": int(xb.shape[0]),
        "queries": int(xq.shape[0]),
        "pairs": pairs,
        "load_s": round(t1 - t0, 3),
        "build_s": round(t2 - t1, 3),
        "query_s": round(t3 - t2, 3),
        "qps": round(xq.shape[0] / (t3 - t2), 1),
        # Queries per CPU second: robust when other processes share the cores.
        "qps_cpu": round(xq.shape[0] / (c3 - c2), 1),
        "index_rss_mib": round(rss1 - rss0, 1),
    }
    print(json.dumps(stats))
    if not args.winnow:
        return 0

    cmd = [args.winnow, "match", "--algo", "pdq", "--max-distance", str(args.radius),
           "--index", args.index, "--queries", args.queries]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    p = subprocess.run(cmd, capture_output=True, check=False)
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode())
        return 1
    wstats = json.loads(p.stderr.decode().strip().splitlines()[-1])
    print(json.dumps(dict(engine="winnow match", **wstats)))

    # FAISS pairs as (query line, index line, distance), sorted like winnow's.
    qi = np.repeat(np.arange(xq.shape[0]), np.diff(lims).astype(np.int64))
    fp = np.stack([xq_lines[qi], xb_lines[labels], dist.astype(np.int64)], axis=1)
    fp = fp[np.lexsort((fp[:, 1], fp[:, 0]))]
    wp = np.loadtxt(p.stdout.decode().splitlines(), dtype=np.int64, delimiter="\t", ndmin=2) \
        if p.stdout else np.zeros((0, 3), dtype=np.int64)
    same = wp.shape == fp.shape and bool((wp == fp).all())
    print(json.dumps({
        "faiss_pairs": pairs,
        "winnow_pairs": int(wp.shape[0]),
        "identical_pairs": same,
        "winnow_query_speedup": round(wstats["qps"] / stats["qps"], 1) if stats["qps"] else None,
        # The same per CPU second (both processes' own CPU time): the figure
        # to quote on a machine shared with other work.
        "winnow_cpu_speedup": round(wstats["qps_cpu"] / stats["qps_cpu"], 1)
        if stats["qps_cpu"] and wstats.get("qps_cpu") else None,
    }))
    return 0 if same else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", help="write a hash file to stdout")
    g.add_argument("kind", choices=["random", "clustered", "queries"])
    g.add_argument("--n", type=int, default=1000000)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--centres", type=int, default=300, help="clustered: number of centres")
    g.add_argument("--spread", type=int, default=40, help="clustered: max distance of a member from its centre")
    g.add_argument("--from", dest="src", help="queries: index file to derive near-duplicates from")
    g.add_argument("--hit", type=float, default=0.5, help="queries: fraction of near-duplicates")
    g.add_argument("--max-flips", type=int, default=16, help="queries: near-duplicates differ by 0..this many bits")
    b = sub.add_parser("bench", help="time FAISS (and winnow) on an index and a query file")
    b.add_argument("--index", required=True)
    b.add_argument("--queries", required=True)
    b.add_argument("--radius", type=int, default=31)
    b.add_argument("--nhash", type=int, default=16, help="hash tables (HMA: 16)")
    b.add_argument("--winnow", help="path to the winnow binary: also run `winnow match` and compare pairs")
    b.add_argument("--workers", type=int, default=1, help="winnow match --workers (default 1, like FAISS here)")
    args = ap.parse_args()

    if args.cmd == "gen":
        rng = random.Random(args.seed)
        if args.kind == "random":
            gen_random(args.n, rng)
        elif args.kind == "clustered":
            gen_clustered(args.n, args.centres, args.spread, rng)
        else:
            if not args.src:
                ap.error("gen queries needs --from INDEX")
            gen_queries(args.src, args.n, args.hit, args.max_flips, rng)
        return 0
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())
