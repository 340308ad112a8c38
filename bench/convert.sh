#!/usr/bin/env bash
# `ryomen convert` of a uint16 TIFF stack (synth, 1 GiB by default,
# uncompressed tiles) to zstd OME-Zarr, sharded v3 (the default output)
# and v2, against tifffile + zarr-python (convert_tifffile.py: v2, zstd 3),
# interleaved, plus the raw disk floor and `zstd -T2 -3` of the same raw
# bytes. Usage: bench/convert.sh [SHAPE] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
shape=${1:-256x1024x2048}
rounds=${2:-3}
work=${BENCH_WORK:-$(mktemp -d)}
[ -n "${BENCH_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
go build -o "$work/ryomen" ./cmd/ryomen
in=$work/in-$shape.tif
[ -f "$in" ] || "$work/ryomen" --no-progress convert --codec none "synth:$shape" "$in" >/dev/null
bytes=$(stat -c %s "$in")
echo "commit $(git rev-parse --short HEAD); input: $shape uint16 TIFF, $bytes bytes"
for r in $(seq "$rounds"); do
  rm -rf "$work/out-"* "$work/floor"
  /usr/bin/time -f "ryomen-v3-sharded %e s user %U sys %S rss %M KiB" "$work/ryomen" --no-progress convert --codec zstd \
    --chunks 64,64,64 --shard-shape 128,512,512 "$in" "$work/out-r3" >/dev/null
  /usr/bin/time -f "ryomen-v2 %e s user %U sys %S rss %M KiB" "$work/ryomen" --no-progress convert --codec zstd \
    --ome-version 0.4 --chunks 64,64,64 "$in" "$work/out-r2" >/dev/null
  /usr/bin/time -f "python %e s user %U sys %S rss %M KiB" /usr/bin/python3 bench/convert_tifffile.py "$in" "$work/out-p" >/dev/null
  /usr/bin/time -f "zstd-T2-3 %e s %M KiB" sh -c "zstd -T2 -3 -q -c $in >/dev/null"
  /usr/bin/time -f "floor %e s %M KiB" sh -c "dd if=/dev/zero of=$work/floor bs=8M count=$((bytes / 8388608 + 1)) conv=fsync status=none && dd if=$work/floor of=/dev/null bs=8M status=none"
done
