#!/usr/bin/env bash
# The project's zstd encoder (klauspost/compress through codec.Zstd, and
# other klauspost option sets) against the C library (`zstd -b -B`: each
# chunk compressed on its own, one thread) on the same chunk bytes,
# interleaved A B A B A B. Usage: bench/zstdlevel.sh CHUNKS CHUNK_BYTES [ROUNDS]
# where CHUNKS is a file of raw chunks back to back (for instance the
# concatenated chunk files of an uncompressed Zarr array).
set -euo pipefail
cd "$(dirname "$0")/.."
chunks=$(realpath "$1")
size=$2
rounds=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test -c -o "$work/bench.test" ./bench
for r in $(seq "$rounds"); do
  echo "== round $r"
  ZSTD_CHUNKS=$chunks ZSTD_CHUNK=$size "$work/bench.test" -test.run XXX -test.bench ZstdChunks -test.cpu 1 \
    -test.benchtime 3x 2>&1 | grep -E '^Benchmark' | awk '{print "go", $1, $5, "MB/s ratio", $7}'
  for l in 1 3; do
    # zstd -b prints progress with carriage returns; keep the final figures.
    zstd -b$l -B"$size" -T1 -i3 "$chunks" 2>&1 | tr '\r' '\n' | grep 'MB/s, ' | tail -1 |
      sed -E 's/.*\(x([0-9.]+)\), *([0-9.]+) MB\/s.*/C zstd -'$l' \2 MB\/s ratio \1/'
  done
done
