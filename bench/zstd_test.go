package bench

import (
	"os"
	"strconv"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/ryomen-dev/ryomen/codec"
)

// BenchmarkZstdChunks encodes the chunks of $ZSTD_CHUNKS (a file of
// chunks of $ZSTD_CHUNK bytes back to back, default 262144) one frame per
// chunk, single-threaded, with the project's codec.Zstd at levels 1 and 3
// and with klauspost/compress option sets, for zstdlevel.sh to set against
// `zstd -b -B` (the C library's per-chunk figures) on the same bytes.
// ratio is raw bytes over encoded bytes.
func BenchmarkZstdChunks(b *testing.B) {
	path := os.Getenv("ZSTD_CHUNKS")
	if path == "" {
		b.Skip("ZSTD_CHUNKS not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	size := 262144
	if s := os.Getenv("ZSTD_CHUNK"); s != "" {
		if size, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	enc := func(opts ...zstd.EOption) func(dst, src []byte) []byte {
		e, err := zstd.NewWriter(nil, append([]zstd.EOption{zstd.WithEncoderConcurrency(1), zstd.WithZeroFrames(true), zstd.WithSingleSegment(true)}, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		return func(dst, src []byte) []byte { return e.EncodeAll(src, dst) }
	}
	project := func(level int) func(dst, src []byte) []byte {
		return func(dst, src []byte) []byte {
			out, err := codec.Zstd{Level: level}.Encode(dst, src)
			if err != nil {
				b.Fatal(err)
			}
			return out
		}
	}
	cases := []struct {
		name string
		f    func(dst, src []byte) []byte
	}{
		{"codec-level1", project(1)},
		{"codec-level3", project(3)},
		{"fastest", enc(zstd.WithEncoderLevel(zstd.SpeedFastest))},
		{"fastest-litentropy", enc(zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithAllLitEntropyCompression(true))},
		{"default-litentropy", enc(zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithAllLitEntropyCompression(true))},
		{"default", enc(zstd.WithEncoderLevel(zstd.SpeedDefault))},
		{"default-window-chunk", enc(zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithWindowSize(max(1<<10, ceilPow2(size))))},
		{"default-lowmem", enc(zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithLowerEncoderMem(true))},
		{"better", enc(zstd.WithEncoderLevel(zstd.SpeedBetterCompression))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var dst []byte
			total := 0
			for b.Loop() {
				total = 0
				for i := 0; i+size <= len(data); i += size {
					dst = c.f(dst[:0], data[i:i+size])
					total += len(dst)
				}
			}
			b.ReportMetric(float64(len(data)/size*size)/float64(total), "ratio")
		})
	}
}

func ceilPow2(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}
