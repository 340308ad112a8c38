#!/usr/bin/env bash
# The mode pyramid of a dense uint32 label volume (synth labels, 1 GiB by
# default) by ryomen and by the numpy/zarr-python slab loop
# (pyramid_mode_numpy.py), both writing Zarr v2 with zstd level 3,
# interleaved A B A B A B, plus the raw disk floor (dd write+read of the
# input's bytes and a seventh more). Usage: bench/mode.sh [SHAPE] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
shape=${1:-256x1024x1024}
rounds=${2:-3}
work=${BENCH_WORK:-$(mktemp -d)}
[ -n "${BENCH_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
go build -o "$work/ryomen" ./cmd/ryomen
in=$work/labels-$shape.zarr
[ -f "$in/0/.zarray" ] || "$work/ryomen" --no-progress convert --ome-version 0.4 --codec none --chunks 64,64,64 \
  "synth:$shape?labels=1" "$in" >/dev/null
bytes=$(du -sb "$in/0" | cut -f1)
echo "commit $(git rev-parse --short HEAD); input: $shape uint32 labels, $bytes bytes; zstd 3; 5 levels 2x2x2"
for r in $(seq "$rounds"); do
  rm -rf "$work/out-r" "$work/out-p" "$work/floor"
  /usr/bin/time -f "ryomen %e s user %U sys %S rss %M KiB" "$work/ryomen" --no-progress pyramid --ome-version 0.4 \
    --method mode --codec zstd --levels 5 --factor 2,2,2 --chunks 64,64,64 "$in/0" "$work/out-r" >/dev/null
  /usr/bin/time -f "python %e s user %U sys %S rss %M KiB" /usr/bin/python3 bench/pyramid_mode_numpy.py "$in/0" \
    "$work/out-p" 5 zstd >/dev/null
  /usr/bin/time -f "floor %e s %M KiB" sh -c "dd if=/dev/zero of=$work/floor bs=8M count=$((bytes * 8 / 7 / 8388608 + 1)) conv=fsync status=none && dd if=$work/floor of=/dev/null bs=8M status=none"
done
