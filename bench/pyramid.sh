#!/usr/bin/env bash
# The mean pyramid of a uint8 volume by ryomen and by the numpy/zarr-python
# slab loop (pyramid_numpy.py), interleaved A B A B A B, plus the raw disk
# floor (write then read the same bytes with dd), printing each run's wall
# time and peak RSS. Usage: bench/pyramid.sh [SHAPE] [ROUNDS] [CODEC]
set -euo pipefail
cd "$(dirname "$0")/.."
shape=${1:-512x1024x2048}
rounds=${2:-3}
codec=${3:-none}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/ryomen" ./cmd/ryomen
"$work/ryomen" --no-progress convert --ome-version 0.4 --codec none --chunks 64,64,64 "synth:$shape?dtype=uint8" "$work/in.zarr" >/dev/null
bytes=$(du -sb "$work/in.zarr/0" | cut -f1)
echo "input: $shape uint8, $bytes bytes; codec $codec"
for r in $(seq "$rounds"); do
  rm -rf "$work/out-r" "$work/out-p" "$work/floor"
  /usr/bin/time -f "ryomen %e s %M KiB" "$work/ryomen" --no-progress pyramid --ome-version 0.4 --codec "$codec" \
    --levels 5 --factor 2,2,2 --chunks 64,64,64 "$work/in.zarr/0" "$work/out-r" >/dev/null
  /usr/bin/time -f "python %e s %M KiB" /usr/bin/python3 bench/pyramid_numpy.py "$work/in.zarr/0" "$work/out-p" 5 "$codec" >/dev/null
  /usr/bin/time -f "floor %e s %M KiB" sh -c "dd if=/dev/zero of=$work/floor bs=8M count=$((bytes * 8 / 7 / 8388608 + 1)) conv=fsync status=none && dd if=$work/floor of=/dev/null bs=8M status=none"
done
