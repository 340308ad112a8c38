#!/usr/bin/env bash
# A 2-D uint8 mean pyramid (5 levels of 2x2, 256x256 tiles, no
# compression) by ryomen (Zarr v2 in; OME-Zarr 0.5 out with 4096x4096
# shards, and OME-Zarr 0.4 out) and by
# `vips tiffsave --tile --pyramid` (TIFF in, pyramidal TIFF out) on the
# same 1 GiB image by default, interleaved, plus the raw disk floor.
# vips comes from Debian's libvips-tools. Usage: bench/vips.sh [YxX] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
shape=${1:-32768x32768}
rounds=${2:-3}
command -v vips >/dev/null || { echo "vips missing: apt-get install libvips-tools" >&2; exit 1; }
work=${BENCH_WORK:-$(mktemp -d)}
[ -n "${BENCH_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
go build -o "$work/ryomen" ./cmd/ryomen
tif=$work/in2d-$shape.tif
zr=$work/in2d-$shape.zarr
[ -f "$zr/0/.zarray" ] || "$work/ryomen" --no-progress convert --ome-version 0.4 --codec none --chunks 256,256 \
  "synth:$shape?dtype=uint8" "$zr" >/dev/null
[ -f "$tif" ] || "$work/ryomen" --no-progress convert --codec none "$zr/0" "$tif" >/dev/null
bytes=$(du -sb "$zr/0" | cut -f1)
echo "commit $(git rev-parse --short HEAD); input: $shape uint8, $bytes bytes; vips $(vips --version)"
for r in $(seq "$rounds"); do
  rm -rf "$work/out-r" "$work/out-v.tif" "$work/floor"
  rm -rf "$work/out-r"
  /usr/bin/time -f "ryomen-v3-sharded %e s user %U sys %S rss %M KiB" "$work/ryomen" --no-progress pyramid \
    --codec none --levels 5 --factor 2,2 --chunks 256,256 --shard-shape 4096,4096 "$zr/0" "$work/out-r" >/dev/null
  rm -rf "$work/out-r"
  /usr/bin/time -f "ryomen-v2 %e s user %U sys %S rss %M KiB" "$work/ryomen" --no-progress pyramid --ome-version 0.4 \
    --codec none --levels 5 --factor 2,2 --chunks 256,256 "$zr/0" "$work/out-r" >/dev/null
  /usr/bin/time -f "vips %e s user %U sys %S rss %M KiB" vips tiffsave "$tif" "$work/out-v.tif" --tile \
    --tile-width 256 --tile-height 256 --pyramid --bigtiff
  /usr/bin/time -f "floor %e s %M KiB" sh -c "dd if=/dev/zero of=$work/floor bs=8M count=$((bytes * 4 / 3 / 8388608 + 1)) conv=fsync status=none && dd if=$work/floor of=/dev/null bs=8M status=none"
done
