package downsample

import (
	"math/rand/v2"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// Benchmarks of the cases, with tinybrain's times on this machine
// type (built from source, -O2) in the comments. tinybrain's (x, y, z)
// shapes in Fortran order are our (z, y, x) in C order, and its factor
// (2,2,1) is our (1,2,2).

var benchCache = map[string]any{}

func benchU8(shape []int) *nd.Array[uint8] {
	key := "u8" + nd.BoxOf(shape).String()
	if a, ok := benchCache[key]; ok {
		return a.(*nd.Array[uint8])
	}
	a := nd.New[uint8](shape, nd.C)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range a.Data() {
		a.Data()[i] = uint8(r.Uint32())
	}
	benchCache[key] = a
	return a
}

func benchLabels(shape []int, block int) *nd.Array[uint64] {
	key := "u64" + nd.BoxOf(shape).String() + string(rune('0'+block))
	if a, ok := benchCache[key]; ok {
		return a.(*nd.Array[uint64])
	}
	a := nd.New[uint64](shape, nd.C)
	r := rand.New(rand.NewPCG(3, 4))
	d := a.Data()
	if block <= 1 {
		for i := range d {
			d[i] = r.Uint64()
		}
	} else {
		// Blocky labels: constant on block^3 cubes, like segmentation.
		i := 0
		for z := 0; z < shape[0]; z++ {
			for y := 0; y < shape[1]; y++ {
				for x := 0; x < shape[2]; x++ {
					d[i] = uint64((z/block)*1_000_003+(y/block)*1009+x/block) * 2654435761
					i++
				}
			}
		}
	}
	benchCache[key] = a
	return a
}

func run[T nd.Number](b *testing.B, src *nd.Array[T], f []int, n int, m Method, workers int) {
	b.SetBytes(int64(src.Len()) * int64(nd.DTypeOf[T]().Size()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Levels(src, f, n, m, Options{Workers: workers}); err != nil {
			b.Fatal(err)
		}
	}
}

var (
	vol64  = []int{64, 1024, 1024}  // tinybrain 1024x1024x64
	vol100 = []int{100, 1024, 1024} // tinybrain README case
	lab32  = []int{32, 1024, 1024}
	f221   = []int{1, 2, 2}
	f222   = []int{2, 2, 2}
)

// BenchmarkMemcpy copies the 64 MiB input once: the memory-bandwidth yard
// stick for mean uint8 2x2 (one read of the input, one write of a quarter
// of it).
func BenchmarkMemcpy(b *testing.B) {
	src := benchU8(vol64)
	dst := make([]byte, src.Len())
	copy(dst, src.Data())
	b.SetBytes(int64(src.Len()))
	for b.Loop() {
		copy(dst, src.Data())
	}
}

func BenchmarkMeanU8_2x2(b *testing.B)         { run(b, benchU8(vol64), f221, 1, Mean, 1) }        // tinybrain 24.2 ms
func BenchmarkMeanU8_2x2_4mips(b *testing.B)   { run(b, benchU8(vol64), f221, 4, Mean, 1) }        // 66.7 ms
func BenchmarkMeanU8_2x2x2(b *testing.B)       { run(b, benchU8(vol64), f222, 1, Mean, 1) }        // 17.8 ms
func BenchmarkMeanU8_2x2x2_3mips(b *testing.B) { run(b, benchU8(vol64), f222, 3, Mean, 1) }        // 48.7 ms
func BenchmarkMeanU8_README(b *testing.B)      { run(b, benchU8(vol100), f221, 1, Mean, 1) }       // 57.6 ms
func BenchmarkSparseMeanU8_2x2x2(b *testing.B) { run(b, benchU8(vol64), f222, 1, SparseMean, 1) }  // 180.5 ms
func BenchmarkModeU64Random_2x2(b *testing.B)  { run(b, benchLabels(lab32, 1), f221, 1, Mode, 1) } // 64.2 ms
func BenchmarkModeU64Random_2x2x2(b *testing.B) {
	run(b, benchLabels(lab32, 1), f222, 1, Mode, 1) // 286 ms
}
func BenchmarkModeU64Blocky_2x2x2(b *testing.B) {
	run(b, benchLabels(lab32, 8), f222, 1, Mode, 1) // 38.7 ms
}
func BenchmarkSparseModeU64Random_2x2(b *testing.B) {
	run(b, benchLabels(lab32, 1), f221, 1, SparseMode, 1) // 338 ms
}

// Two workers on the two cores of this machine.
func BenchmarkMeanU8_2x2_Workers2(b *testing.B) { run(b, benchU8(vol64), f221, 1, Mean, 2) }
func BenchmarkModeU64Random_2x2x2_Workers2(b *testing.B) {
	run(b, benchLabels(lab32, 1), f222, 1, Mode, 2)
}

// ReduceInto with a reused destination: the kernels without the cost of
// allocating (and first touching) a fresh output each time.
func runInto[T nd.Number](b *testing.B, src *nd.Array[T], f []int, m Method) {
	dst := nd.New[T](OutShape(src.Shape(), f), nd.C)
	b.SetBytes(int64(src.Len()) * int64(nd.DTypeOf[T]().Size()))
	b.ReportAllocs()
	for b.Loop() {
		if err := ReduceInto(dst, src, f, m, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMeanU8_2x2_Into(b *testing.B)   { runInto(b, benchU8(vol64), f221, Mean) }
func BenchmarkMeanU8_2x2x2_Into(b *testing.B) { runInto(b, benchU8(vol64), f222, Mean) }
func BenchmarkModeU64Random_2x2_Into(b *testing.B) {
	runInto(b, benchLabels(lab32, 1), f221, Mode)
}

// The exact carry of 8-bit means with other factors (meanExact) and the
// 32-bit truncating carry, over several levels.
func BenchmarkMeanU8_3x3x3_3mips(b *testing.B) { run(b, benchU8(vol64), []int{3, 3, 3}, 3, Mean, 1) }
func BenchmarkMeanU8_2x1_4mips(b *testing.B)   { run(b, benchU8(vol64), []int{1, 1, 2}, 4, Mean, 1) }
