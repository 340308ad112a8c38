package codec

import "testing"

// 16 MiB of smooth uint16 data, the usual microscopy case.
var benchData = smooth(8<<20, 2, 1)

func benchEncode(b *testing.B, c Codec) {
	b.SetBytes(int64(len(benchData)))
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		var err error
		if out, err = c.Encode(out[:0], benchData); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(benchData))/float64(len(out)), "ratio")
}

func benchDecode(b *testing.B, c Codec) {
	enc, err := c.Encode(nil, benchData)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchData)))
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		if out, err = c.Decode(out[:0], enc, len(benchData)); err != nil {
			b.Fatal(err)
		}
	}
}

var (
	benchBloscLZ4  = Blosc{CName: "lz4", CLevel: 5, Shuffle: 1, TypeSize: 2}
	benchBloscZstd = Blosc{CName: "zstd", CLevel: 5, Shuffle: 1, TypeSize: 2}
	benchBloscBLZ  = Blosc{CName: "blosclz", CLevel: 5, Shuffle: 1, TypeSize: 2}
)

func BenchmarkBloscLZ4Encode(b *testing.B)     { benchEncode(b, benchBloscLZ4) }
func BenchmarkBloscLZ4Decode(b *testing.B)     { benchDecode(b, benchBloscLZ4) }
func BenchmarkBloscZstdEncode(b *testing.B)    { benchEncode(b, benchBloscZstd) }
func BenchmarkBloscZstdDecode(b *testing.B)    { benchDecode(b, benchBloscZstd) }
func BenchmarkBloscBloscLZEncode(b *testing.B) { benchEncode(b, benchBloscBLZ) }
func BenchmarkBloscBloscLZDecode(b *testing.B) { benchDecode(b, benchBloscBLZ) }
func BenchmarkZstdEncode(b *testing.B)         { benchEncode(b, Zstd{Level: 3}) }
func BenchmarkZstdDecode(b *testing.B)         { benchDecode(b, Zstd{Level: 3}) }
func BenchmarkGzipEncode(b *testing.B)         { benchEncode(b, Gzip{Level: 6}) }
func BenchmarkGzipDecode(b *testing.B)         { benchDecode(b, Gzip{Level: 6}) }
