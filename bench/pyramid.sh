#!/usr/bin/env bash
# The mean pyramid of a uint8 volume by ryomen and by the numpy/zarr-python
# slab loop (pyramid_numpy.py), interleaved A B A B A B, plus the raw disk
# floor (write then read the same bytes with dd), printing each run's wall
# time and peak RSS; with CODEC zstd also `zstd -T2 -3` of the input's raw
# chunk bytes, the encode-speed reference. BENCH_WORK keeps the input
# between runs. Usage: bench/pyramid.sh [SHAPE] [ROUNDS] [CODEC]
set -euo pipefail
cd "$(dirname "$0")/.."
shape=${1:-512x1024x2048}
rounds=${2:-3}
codec=${3:-none}
work=${BENCH_WORK:-$(mktemp -d)}
[ -n "${BENCH_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
go build -o "$work/ryomen" ./cmd/ryomen
[ -f "$work/in.zarr/0/.zarray" ] || "$work/ryomen" --no-progress convert --ome-version 0.4 --codec none --chunks 64,64,64 "synth:$shape?dtype=uint8" "$work/in.zarr" >/dev/null
bytes=$(du -sb "$work/in.zarr/0" | cut -f1)
echo "commit $(git rev-parse --short HEAD); input: $shape uint8, $bytes bytes; codec $codec"
for r in $(seq "$rounds"); do
  rm -rf "$work/out-r" "$work/out-p" "$work/floor"
  /usr/bin/time -f "ryomen-v2 %e s user %U sys %S rss %M KiB" "$work/ryomen" --no-progress pyramid --ome-version 0.4 --codec "$codec" \
    --levels 5 --factor 2,2,2 --chunks 64,64,64 "$work/in.zarr/0" "$work/out-r" >/dev/null
  rm -rf "$work/out-r"
  /usr/bin/time -f "ryomen-v3-sharded %e s user %U sys %S rss %M KiB" "$work/ryomen" --no-progress pyramid --codec "$codec" \
    --levels 5 --factor 2,2,2 --chunks 64,64,64 --shard-shape 128,512,512 "$work/in.zarr/0" "$work/out-r" >/dev/null
  /usr/bin/time -f "python %e s user %U sys %S rss %M KiB" /usr/bin/python3 bench/pyramid_numpy.py "$work/in.zarr/0" "$work/out-p" 5 "$codec" >/dev/null
  if [ "$codec" = zstd ]; then
    /usr/bin/time -f "zstd-T2-3 %e s %M KiB" sh -c "find $work/in.zarr/0 -type f -name '[0-9]*' | xargs cat | zstd -T2 -3 -q -c >/dev/null"
  fi
  /usr/bin/time -f "floor %e s %M KiB" sh -c "dd if=/dev/zero of=$work/floor bs=8M count=$((bytes * 8 / 7 / 8388608 + 1)) conv=fsync status=none && dd if=$work/floor of=/dev/null bs=8M status=none"
done
