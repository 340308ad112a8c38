#!/usr/bin/env bash
# Wall time and peak RSS of `ryomen pyramid` (uncompressed sharded v3,
# 5 levels of 2x2x2 mean, --memory 1GiB) against input size: uint8
# volumes of 0.5, 1, 2, 4 (and more) GiB, rounds interleaved across sizes
# (size 1, size 2, ..., then again). The inputs share one 512x1024x2048
# Zarr v2 array's chunk files through hard links: a larger size repeats
# it along z, so every size holds the same data per byte.
# Usage: bench/linear.sh [ROUNDS] [SIZES_IN_Z_PLANES...]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift || true
sizes=${*:-256 512 1024 2048}
work=${BENCH_WORK:-$(mktemp -d)}
[ -n "${BENCH_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
go build -o "$work/ryomen" ./cmd/ryomen
base=$work/base.zarr
if [ ! -f "$base/0/.zarray" ]; then
  "$work/ryomen" --no-progress convert --ome-version 0.4 --codec none --chunks 64,64,64 \
    "synth:512x1024x2048?dtype=uint8" "$base" >/dev/null
fi
for z in $sizes; do
  d=$work/in-$z
  rm -rf "$d"
  mkdir -p "$d"
  /usr/bin/python3 - "$base/0/.zarray" "$d/.zarray" "$z" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m["shape"][0] = int(sys.argv[3])
json.dump(m, open(sys.argv[2], "w"))
PY
  for ((c = 0; c < z / 64; c++)); do
    mkdir -p "$d/$c"
    cp -al "$base/0/$((c % 8))/." "$d/$c/"
  done
done
echo "commit $(git rev-parse --short HEAD); sizes (z planes of 1024x2048 uint8): $sizes"
for r in $(seq "$rounds"); do
  for z in $sizes; do
    rm -rf "$work/out"
    /usr/bin/time -f "z=$z $((z * 2))MiB %e s user %U sys %S rss %M KiB" "$work/ryomen" --no-progress --memory 1GiB \
      pyramid --codec none --levels 5 --factor 2,2,2 --chunks 64,64,64 --shard-shape 128,512,512 \
      "$work/in-$z" "$work/out" >/dev/null
  done
done
