#!/usr/bin/env bash
# Peer benchmark, interleaved: scipy.ndimage.gaussian_filter in z slabs
# (gaussian_scipy.py) against filter.Gaussian doing the same slab work
# (BenchmarkGaussianSlabs), A B A B A B, then the medians and the ratio.
# Both single-threaded, sigma 2, truncate 4, slabs of 64 planes, float32
# output, on a uint16 volume (default 512x1024x1024 = 1 GiB; set
# RYOMEN_BENCH_SHAPE=z,y,x for another). Needs Debian's python3-scipy.
#
# usage: bench/gaussian.sh [runs]     (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shape=${RYOMEN_BENCH_SHAPE:-512,1024,1024}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" ./bench
for i in $(seq "$runs"); do
  /usr/bin/python3 bench/gaussian_scipy.py --shape "$shape" | tee -a "$tmp/scipy.jsonl"
  (cd bench && RYOMEN_BENCH_SHAPE=$shape "$tmp/bench.test" -test.run '^$' -test.bench GaussianSlabs \
    -test.benchtime 1x -test.cpu 1) | grep '^BenchmarkGaussianSlabs' | tee -a "$tmp/go.txt"
done
/usr/bin/python3 - "$tmp" <<'PY'
import json, statistics, sys
d = sys.argv[1]
sp = [json.loads(l) for l in open(d + "/scipy.jsonl")]
go = []
for l in open(d + "/go.txt"):
    f = l.split()
    go.append({"wall_s": float(f[f.index("ns/op") - 1]) / 1e9, "cpu_s": float(f[f.index("cpu-s/op") - 1])})
for k in ("wall_s", "cpu_s"):
    a = statistics.median(r[k] for r in sp)
    b = statistics.median(r[k] for r in go)
    print(f"{k}: scipy median {a:.2f} s, ryomen filter median {b:.2f} s, ratio {a / b:.1f}x "
          f"(scipy runs {[r[k] for r in sp]}, ryomen runs {[round(r[k], 2) for r in go]})")
PY
