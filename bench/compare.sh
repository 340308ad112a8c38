#!/usr/bin/env bash
# bench/compare.sh BASE: the tiling, downsample and CLI benchmark rows of
# BENCHMARKS.md for commit BASE and for the working tree, interleaved in
# one run (base, head, base, head, ...; ROUNDS rounds, default 3) so that
# the machine's noise hits both alike. Prints one line per benchmark and
# round, then medians. Go benchmarks use -benchtime ${BENCHTIME:-5x}; the
# CLI rows run `ryomen pyramid` on a synthetic volume (SIZE, default
# 256x1024x1024 uint8, 256 MiB) into a temporary directory, uncompressed
# and with zstd, with /usr/bin/time for wall time and peak RSS.
set -euo pipefail
base=${1:?usage: bench/compare.sh BASE-COMMIT}
rounds=${ROUNDS:-3}
size=${SIZE:-256x1024x1024}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$root" worktree add -q --detach "$work/base" "$base"
tilebench='^Benchmark(Memcpy2D|Tile2D|Tile2DRow|Tile2DViews|Tile2DRowViews|Tile2DBlend|Tile3D|Tile3DViews)$'
dsbench='^Benchmark(MeanU8_2x2|MeanU8_2x2_4mips|MeanU8_2x2x2|MeanU8_2x2x2_3mips|MeanU8_README|SparseMeanU8_2x2x2|ModeU64Random_2x2|ModeU64Random_2x2x2|ModeU64Blocky_2x2x2|SparseModeU64Random_2x2)$'
for t in base head; do
  d=$root; [ $t = base ] && d=$work/base
  (cd "$d" && go test -c -o "$work/$t-tile.test" ./tile && go test -c -o "$work/$t-ds.test" ./downsample &&
    go build -o "$work/$t-ryomen" ./cmd/ryomen)
done
out=$work/results
for r in $(seq "$rounds"); do
  for t in base head; do
    (cd "$root/tile" && "$work/$t-tile.test" -test.run '^$' -test.bench "$tilebench" -test.benchtime "${BENCHTIME:-5x}") |
      awk -v t=$t -v r=$r '/^Benchmark/ {print "tile", $1, t, r, $3}' >>"$out"
    (cd "$root/downsample" && "$work/$t-ds.test" -test.run '^$' -test.bench "$dsbench" -test.benchtime "${BENCHTIME:-5x}") |
      awk -v t=$t -v r=$r '/^Benchmark/ {print "downsample", $1, t, r, $3}' >>"$out"
    for codec in none zstd; do
      o=$work/out-$t
      rm -rf "$o"
      /usr/bin/time -f "%e %M" -o "$work/time" "$work/$t-ryomen" --no-progress --memory 1GiB pyramid --codec $codec \
        --chunks 64,128,128 --shard-shape 128,512,512 "synth:$size?dtype=uint8" "$o" >/dev/null
      read -r wall rss <"$work/time"
      echo "cli pyramid-$codec $t $r ${wall}s ${rss}KB" >>"$out"
    done
  done
done
cat "$out"
echo "# medians (ns/op for Go benchmarks, seconds for the CLI)"
awk '{v=$5; sub(/s$/,"",v); k=$1" "$2" "$3; vals[k]=vals[k]" "v} END {for (k in vals) print k, vals[k]}' "$out" |
  sort | while read -r pkg name t rest; do
    med=$(echo $rest | tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "$pkg $name $t $med"
  done | awk '{k=$1" "$2; m[k]=m[k]" "$3"="$4} END {for (k in m) print k, m[k]}' | sort |
  awk '{split($3,a,"="); split($4,b,"="); printf "%-12s %-32s %s %s ratio(head/base)=%.2f\n", $1, $2, $3, $4, b[2]/a[2]}'
