package ome

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
)

var testPercentiles = []float64{0, 0.1, 1, 12.5, 25, 33.333, 50, 50.05, 75, 99, 99.9, 100}

// numpyStats computes, with numpy, the min, max, non-NaN count and
// percentiles (np.nanpercentile, numpy's default linear method) of each
// channel of a C-order array stored in file as little-endian dt.
const numpyStats = `import sys, json, numpy as np
f, dt, shape, ch = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
ps = json.loads(sys.argv[5])
a = np.fromfile(f, dtype=np.dtype(dt).newbyteorder("<")).reshape(shape)
if a.dtype == np.bool_:
    a = a.astype(np.uint8)
chans = [a] if ch < 0 else [np.take(a, i, axis=ch) for i in range(a.shape[ch])]
out = []
for c in chans:
    c = c.ravel()
    ok = c[~np.isnan(c)] if c.dtype.kind == "f" else c
    out.append({"min": float(ok.min()), "max": float(ok.max()), "count": int(ok.size),
                "p": [float(v) for v in np.nanpercentile(c, ps)]})
print(json.dumps(out))`

type npStats struct {
	Min, Max float64
	Count    int64
	P        []float64
}

func runNumpyStats(t *testing.T, py string, a nd.Any, channelAxis int) []npStats {
	t.Helper()
	b, ok := nd.AsBytes(a)
	if !ok {
		t.Fatal("not contiguous")
	}
	f := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sh, _ := json.Marshal(a.Shape())
	ps, _ := json.Marshal(testPercentiles)
	dt := a.DType().String()
	if a.DType() == nd.DTypeBool {
		dt = "bool"
	}
	out, err := exec.Command(py, "-c", numpyStats, f, dt, string(sh), fmt.Sprint(channelAxis), string(ps)).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	var r []npStats
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("numpy output %q: %v", out, err)
	}
	return r
}

// fill sets every element of a from gen (C order).
func fill[T nd.Element](a *nd.Array[T], gen func(i int) T) nd.Any {
	d := a.Data()
	for i := range d {
		d[i] = gen(i)
	}
	return a
}

// ChannelStats' min, max, count and every percentile equal numpy's
// exactly, for each dtype and for channel axes first, in the middle, last
// and absent: histograms for 8/16-bit and bool, the full sample for the
// others (all smaller than SampleSize). NaNs are skipped like
// np.nanpercentile.
func TestChannelStatsNumpy(t *testing.T) {
	py := testtool.PythonWith(t, "numpy")
	r := rand.New(rand.NewPCG(7, 11))
	cases := []struct {
		name string
		a    nd.Any
		ch   int
	}{
		{"uint8", fill(nd.New[uint8]([]int{3, 17, 23}, nd.C), func(i int) uint8 { return uint8(r.IntN(1 + i%256)) }), 0},
		{"int8 channels last", fill(nd.New[int8]([]int{5, 7, 3}, nd.C), func(int) int8 { return int8(r.IntN(256) - 128) }), 2},
		{"uint16 outliers", fill(nd.New[uint16]([]int{2, 40, 50}, nd.C), func(i int) uint16 {
			if i%397 == 0 {
				return 65535
			}
			return uint16(100 + r.IntN(3000)*(1+i/2000))
		}), 0},
		{"int16 one channel", fill(nd.New[int16]([]int{31, 29}, nd.C), func(int) int16 { return int16(r.NormFloat64() * 3000) }), -1},
		{"float32 middle axis", fill(nd.New[float32]([]int{4, 3, 101}, nd.C), func(int) float32 { return float32(r.ExpFloat64() * 1e3) }), 1},
		// Neighbours orders of magnitude apart: numpy's float32 difference rounds.
		{"float32 wide", fill(nd.New[float32]([]int{61}, nd.C), func(int) float32 { return float32(math.Exp(r.NormFloat64() * 8)) }), -1},
		{"float64", fill(nd.New[float64]([]int{1000, 3}, nd.C), func(i int) float64 { return r.NormFloat64()*float64(1+i%3) + 1e6 }), 1},
		{"int32", fill(nd.New[int32]([]int{2, 500}, nd.C), func(int) int32 { return int32(r.Uint32()) }), 0},
		{"uint64", fill(nd.New[uint64]([]int{777}, nd.C), func(int) uint64 { return r.Uint64N(1 << 50) }), -1},
		{"float32 NaN", fill(nd.New[float32]([]int{3, 200}, nd.C), func(i int) float32 {
			if i%7 == 0 {
				return float32(math.NaN())
			}
			return float32(r.Float64())
		}), 0},
		{"bool", fill(nd.New[nd.Bool]([]int{2, 50}, nd.C), func(i int) nd.Bool { return nd.BoolOf(r.IntN(4+i%5) == 0) }), 0},
	}
	for _, c := range cases {
		want := runNumpyStats(t, py, c.a, c.ch)
		got, err := ChannelStats(c.a.(nd.Reader), c.ch)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d channels, numpy %d", c.name, len(got), len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.Min != w.Min || g.Max != w.Max || g.Count != w.Count || !g.Exact {
				t.Errorf("%s channel %d: min %v max %v count %d exact %v, numpy %v %v %d", c.name, i, g.Min, g.Max, g.Count, g.Exact, w.Min, w.Max, w.Count)
			}
			for k, p := range testPercentiles {
				if v := g.Percentile(p); v != w.P[k] {
					t.Errorf("%s channel %d: percentile %v = %v, numpy %v", c.name, i, p, v, w.P[k])
				}
			}
		}
	}
}

// Beyond SampleSize values (floats), min, max and count stay exact and the
// percentiles are estimated from the sample: the true rank of each
// estimate is within 0.05 percentage points of the asked one (8 standard
// errors at p = 0.1 with 2^18 samples).
func TestChannelStatsSampled(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	n := 3*SampleSize + 12345
	a := nd.New[float64]([]int{n}, nd.C)
	d := a.Data()
	for i := range d {
		d[i] = r.NormFloat64() * 100
	}
	d[n/2], d[n-1] = -1e9, 1e9 // extremes the sample will probably miss
	st, err := ChannelStats(a, -1)
	if err != nil {
		t.Fatal(err)
	}
	s := st[0]
	if s.Exact || s.Count != int64(n) || s.Min != -1e9 || s.Max != 1e9 || len(s.sample) != SampleSize {
		t.Fatalf("exact %v count %d min %v max %v sample %d", s.Exact, s.Count, s.Min, s.Max, len(s.sample))
	}
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	for _, p := range []float64{0.1, 1, 50, 99, 99.9} {
		v := s.Percentile(p)
		rank, _ := slices.BinarySearch(sorted, v)
		if got := 100 * float64(rank) / float64(n); math.Abs(got-p) > 0.05 {
			t.Errorf("percentile %v estimated as %v, whose rank is %.4f%%", p, v, got)
		}
	}
	again, _ := ChannelStats(a, -1)
	if again[0].Percentile(99.9) != s.Percentile(99.9) {
		t.Error("sampled estimate not repeatable")
	}
}

// regionReader records the largest region read.
type regionReader struct {
	nd.Reader
	maxElems, reads int
}

func (r *regionReader) ReadRegion(b nd.Box, dst nd.Any) error {
	n, _ := b.Size()
	r.maxElems = max(r.maxElems, n)
	r.reads++
	return r.Reader.ReadRegion(b, dst)
}

// ChannelStats reads in blocks of at most 16 MiB and still counts every
// value once: a 3-channel int16 volume of 18 MiB, read in several blocks,
// gives the same statistics as its channels read whole.
func TestChannelStatsBlocks(t *testing.T) {
	a := nd.New[int16]([]int{3, 1500, 2000}, nd.C)
	d := a.Data()
	for i := range d {
		d[i] = int16(i*7919%65536 - 32768)
	}
	rr := &regionReader{Reader: a}
	st, err := ChannelStats(rr, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rr.reads < 2 || rr.maxElems*2 > 16<<20 {
		t.Errorf("%d reads, largest %d elements", rr.reads, rr.maxElems)
	}
	for c := range 3 {
		ch := a.Sub(nd.NewBox([]int{c, 0, 0}, []int{c + 1, 1500, 2000})).Clone(nd.C)
		one, _ := ChannelStats(ch, -1)
		if !reflect2(st[c], one[0]) {
			t.Errorf("channel %d: blocked %+v, whole %+v", c, st[c].Count, one[0].Count)
		}
	}
	for _, tc := range []struct{ shape []int }{{[]int{5, 7, 11}}, {[]int{1, 1}}, {[]int{4, 100, 3}}} {
		for ch := -1; ch < len(tc.shape); ch++ {
			blk := blockShape(tc.shape, ch, 37)
			total, count := 1, 0
			for _, s := range tc.shape {
				total *= s
			}
			seen := make([]bool, total)
			eachBlock(tc.shape, blk, func(b nd.Box) error {
				n, _ := b.Size()
				count += n
				nd.New[uint8](b.Shape(), nd.C).Values(func(idx []int, _ uint8) {
					o := 0
					for i := range idx {
						o = o*tc.shape[i] + idx[i] + b.Min[i]
					}
					seen[o] = true
				})
				return nil
			})
			if count != total || slices.Contains(seen, false) || (ch >= 0 && blk[ch] != tc.shape[ch]) {
				t.Errorf("shape %v channel %d: blocks %v cover %d of %d", tc.shape, ch, blk, count, total)
			}
		}
	}
	if _, err := ChannelStats(a, 3); err == nil {
		t.Error("channel axis 3 of rank 3 accepted")
	}
}

func reflect2(a, b Stats) bool {
	return a.Min == b.Min && a.Max == b.Max && a.Count == b.Count && slices.Equal(a.hist, b.hist)
}

func benchStats[T uint16 | float32](b *testing.B) {
	a := nd.New[T]([]int{2, 64, 512, 512}, nd.C)
	d := a.Data()
	for i := range d {
		d[i] = T(i * 7919 % 4096)
	}
	b.SetBytes(int64(len(d)) * int64(a.DType().Size()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ChannelStats(a, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChannelStatsUint16(b *testing.B)  { benchStats[uint16](b) }
func BenchmarkChannelStatsFloat32(b *testing.B) { benchStats[float32](b) }
