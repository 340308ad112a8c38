package ome

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// Stats summarises the values of one channel: exact minimum, maximum and
// count, and percentiles that are exact for 8- and 16-bit integers and
// bool (kept in a histogram) and for other dtypes while the channel has
// at most [SampleSize] values; beyond that they are estimated from a
// uniform random sample of SampleSize values (fixed seed, so repeatable).
// NaNs are counted apart and left out of everything else.
type Stats struct {
	// Min and Max are the smallest and largest non-NaN values (0 when
	// Count is 0).
	Min, Max float64
	// Count is the number of non-NaN values; NaN the number of NaNs.
	Count, NaN int64
	// Exact reports whether Percentile is exact.
	Exact bool

	dt     nd.DType
	hist   []int64 // histogram: hist[i] counts the value i+histLo
	histLo int
	sample []float64 // sorted; every value when Exact
}

// SampleSize is the number of values per channel that [ChannelStats]
// keeps for dtypes without a histogram (8 bytes each).
const SampleSize = 1 << 18

// Percentile returns the p-th percentile (0 <= p <= 100) of the values,
// interpolated linearly between the two nearest ranks exactly as
// numpy.percentile's default method (for float32 and float16 data the
// difference of the two neighbours is rounded to the data's precision,
// as numpy computes it; int64 and uint64 values beyond 2^53 are rounded
// to float64). It returns NaN when there are no values or p is out of
// range.
func (s *Stats) Percentile(p float64) float64 {
	if s.Count == 0 || !(p >= 0 && p <= 100) {
		return math.NaN()
	}
	n := s.Count
	at := s.rank
	if s.hist == nil {
		n = int64(len(s.sample))
		at = func(i int64) float64 { return s.sample[i] }
	}
	q := p / 100
	vi := float64(n-1) * q
	lo := int64(math.Floor(vi))
	if lo >= n-1 {
		return at(n - 1)
	}
	t := vi - float64(lo)
	a, b := at(lo), at(lo+1)
	d := b - a
	switch s.dt {
	case nd.Float32:
		d = float64(float32(b) - float32(a))
	case nd.DTypeFloat16:
		d = nd.Float16FromFloat64(d).Float64()
	}
	if t >= 0.5 {
		return b - d*(1-t)
	}
	return a + d*t
}

// rank returns the value of sorted index i from the histogram.
func (s *Stats) rank(i int64) float64 {
	var c int64
	for b, k := range s.hist {
		c += k
		if c > i {
			return float64(b + s.histLo)
		}
	}
	return s.Max
}

// ChannelStats computes the [Stats] of every channel of r: the index
// channelAxis of r's shape is the channel (-1 for an image of one
// channel). It reads r in blocks of at most 16 MiB, whole along the
// channel axis, so memory stays bounded (a 64 K-bin histogram or a
// SampleSize sample per channel besides). Pass a small level, such as the
// coarsest of a pyramid: the whole reader is read.
func ChannelStats(r nd.Reader, channelAxis int) ([]Stats, error) {
	shape := r.Shape()
	dt := r.DType()
	if channelAxis < -1 || channelAxis >= len(shape) {
		return nil, fmt.Errorf("ome: channel stats: channel axis %d for rank %d", channelAxis, len(shape))
	}
	if !dt.Valid() {
		return nil, fmt.Errorf("ome: channel stats: invalid dtype %v", dt)
	}
	nch := 1
	if channelAxis >= 0 {
		nch = shape[channelAxis]
	}
	accs := make([]accum, nch)
	for i := range accs {
		accs[i] = newAccum(dt)
	}
	blk := blockShape(shape, channelAxis, (16<<20)/dt.Size())
	var buf nd.Any
	err := eachBlock(shape, blk, func(b nd.Box) error {
		if buf == nil || !slices.Equal(buf.Shape(), b.Shape()) {
			buf = nd.NewAny(dt, b.Shape(), nd.C)
		}
		if err := r.ReadRegion(b, buf); err != nil {
			return fmt.Errorf("ome: channel stats: read %v: %w", b, err)
		}
		for c := range accs {
			v := buf
			if channelAxis >= 0 {
				vb := nd.BoxOf(buf.Shape())
				vb.Min[channelAxis], vb.Max[channelAxis] = c, c+1
				v = buf.View(vb)
			}
			if err := accs[c].feed(v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Stats, nch)
	for i := range accs {
		out[i] = accs[i].stats()
	}
	return out, nil
}

// blockShape chooses a block of about budget elements: whole along the
// channel axis, then as much of the last axes as fits.
func blockShape(shape []int, channelAxis, budget int) []int {
	blk := make([]int, len(shape))
	rem := budget
	if channelAxis >= 0 {
		blk[channelAxis] = shape[channelAxis]
		rem /= max(1, shape[channelAxis])
	}
	for i := len(shape) - 1; i >= 0; i-- {
		if i == channelAxis {
			continue
		}
		blk[i] = min(max(rem, 1), max(shape[i], 1))
		rem = max(1, rem/blk[i])
	}
	return blk
}

// eachBlock calls f for every block of the grid of blk over shape, in C
// order.
func eachBlock(shape, blk []int, f func(nd.Box) error) error {
	for _, s := range shape {
		if s <= 0 {
			return nil
		}
	}
	grid := make([]int, len(shape))
	for i := range shape {
		if blk[i] <= 0 {
			return fmt.Errorf("ome: block shape %v", blk)
		}
		grid[i] = (shape[i] + blk[i] - 1) / blk[i]
	}
	for idx := range nd.Indices(grid) {
		b := nd.Box{Min: make([]int, len(shape)), Max: make([]int, len(shape))}
		for i := range shape {
			b.Min[i] = idx[i] * blk[i]
			b.Max[i] = min(b.Min[i]+blk[i], shape[i])
		}
		if err := f(b); err != nil {
			return err
		}
	}
	return nil
}

// accum gathers one channel's values: a histogram or a reservoir sample.
type accum struct {
	dt     nd.DType
	hist   []int64
	histLo int
	min    float64
	max    float64
	count  int64
	nan    int64
	res    reservoir
}

func newAccum(dt nd.DType) accum {
	a := accum{dt: dt, min: math.Inf(1), max: math.Inf(-1)}
	// 8- and 16-bit integers and bools: a histogram over the type's range
	// (bools as bytes); wider types: a reservoir sample.
	lo, hi := nd.LimitsOf(dt)
	switch {
	case dt == nd.DTypeBool:
		lo, hi = nd.LimitsOf(nd.Uint8)
		fallthrough
	case dt.IsInteger() && dt.Size() <= 2:
		a.hist, a.histLo = make([]int64, int(hi-lo)+1), int(lo)
	default:
		a.res = reservoir{rng: rand.New(rand.NewPCG(1, 2))}
	}
	return a
}

// feed adds the values of v, an array of the accumulator's dtype.
func (a *accum) feed(v nd.Any) error {
	if x, ok := v.(*nd.Array[nd.Float16]); ok {
		f := nd.New[float32](x.Shape(), nd.C)
		if err := nd.ConvertAny(f, x); err != nil {
			return fmt.Errorf("ome: channel stats: %w", err)
		}
		v = f
	}
	if a.hist != nil {
		return histogramAny(v, a.hist, -a.histLo)
	}
	return sampleAllAny(v, a)
}

// histogram counts the values of a, shifted by off, in h.
func histogram[T uint8 | int8 | uint16 | int16 | nd.Bool](a *nd.Array[T], h []int64, off int) error {
	d := a.Data()
	nd.ForEachRun(a, a, func(o, _, n, st, _ int) {
		for k := range n {
			h[int(d[o+k*st])+off]++
		}
	})
	return nil
}

// sampleAll adds the values of a to acc's range, NaN count and sample.
func sampleAll[T uint32 | int32 | uint64 | int64 | float32 | float64](a *nd.Array[T], acc *accum) error {
	d := a.Data()
	nd.ForEachRun(a, a, func(o, _, n, st, _ int) {
		for k := range n {
			v := float64(d[o+k*st])
			if v != v {
				acc.nan++
				continue
			}
			acc.count++
			if v < acc.min {
				acc.min = v
			}
			if v > acc.max {
				acc.max = v
			}
			acc.res.add(v)
		}
	})
	return nil
}

//go:generate go run github.com/ryomen-dev/ryomen/internal/gen/dispatch

// histogramAny is histogram for the 8- and 16-bit and bool arrays.
//
//nd:dispatch histogramAny = histogram(a)

// sampleAllAny is sampleAll for the 32- and 64-bit arrays.
//
//nd:dispatch sampleAllAny = sampleAll(a)

// stats finishes the accumulation.
func (a *accum) stats() Stats {
	s := Stats{dt: a.dt, Exact: true}
	if a.hist != nil {
		s.hist, s.histLo = a.hist, a.histLo
		first, last := -1, -1
		for i, k := range a.hist {
			if k > 0 {
				if first < 0 {
					first = i
				}
				last = i
				s.Count += k
			}
		}
		if first >= 0 {
			s.Min, s.Max = float64(first+a.histLo), float64(last+a.histLo)
		}
		return s
	}
	s.Count, s.NaN = a.count, a.nan
	if a.count > 0 {
		s.Min, s.Max = a.min, a.max
	}
	s.sample = a.res.items
	slices.Sort(s.sample)
	s.Exact = a.count <= int64(len(s.sample))
	return s
}

// reservoir keeps a uniform random sample of SampleSize values of a
// stream (Li's algorithm L: random skips, so the cost per value beyond
// the sample is a comparison).
type reservoir struct {
	items []float64
	rng   *rand.Rand
	seen  int64 // values offered
	next  int64 // index of the next value to keep, once full
	w     float64
}

func (r *reservoir) add(v float64) {
	if r.seen >= SampleSize && r.seen != r.next {
		r.seen++
		return
	}
	k := int64(SampleSize)
	switch {
	case r.seen < k:
		r.items = append(r.items, v)
		if r.seen == k-1 {
			r.w = math.Exp(math.Log(r.unit()) / float64(k))
			r.skip()
		}
	case r.seen == r.next:
		r.items[r.rng.IntN(int(k))] = v
		r.w *= math.Exp(math.Log(r.unit()) / float64(k))
		r.skip()
	}
	r.seen++
}

// skip sets next past a geometric number of values.
func (r *reservoir) skip() {
	g := math.Floor(math.Log(r.unit()) / math.Log(1-r.w))
	if !(g < 1<<62) {
		g = 1 << 62
	}
	r.next = r.seen + int64(g) + 1
}

// unit returns a uniform number in (0, 1].
func (r *reservoir) unit() float64 { return 1 - r.rng.Float64() }
