package label

import (
	"context"

	"github.com/ryomen-dev/ryomen/nd"
)

// contextReader is a Reader that takes a context (zarr.Array).
type contextReader interface {
	ReadRegionContext(ctx context.Context, b nd.Box, dst nd.Any) error
}

// readBlock reads region b of src into a new C-order buffer.
func readBlock(ctx context.Context, src nd.Reader, b nd.Box) (nd.Any, error) {
	buf, err := nd.NewAnyChecked(src.DType(), b.Shape(), nd.C)
	if err != nil {
		return nil, err
	}
	if cr, ok := src.(contextReader); ok {
		err = cr.ReadRegionContext(ctx, b, buf)
	} else {
		err = src.ReadRegion(b, buf)
	}
	return buf, err
}

func (t *Table) getScratch() *scratch {
	if s, ok := t.pool.Get().(*scratch); ok {
		return s
	}
	return new(scratch)
}

// block1 is pass 1 for block k: label it, count its objects, and keep the
// face labels and planes.
func (t *Table) block1(ctx context.Context, src nd.Reader, k int) (*blockInfo, error) {
	b, g := t.box(k)
	buf, err := readBlock(ctx, src, b)
	if err != nil {
		return nil, err
	}
	s := t.getScratch()
	defer t.pool.Put(s)
	s.lazy = true
	defer func() { s.lazy = false }()
	n, err := s.label(buf, t.o.Conn, t.o.Semantic)
	if err != nil {
		return nil, err
	}
	var cnt []uint32
	if t.o.MinSize > 1 {
		cnt = s.countsVia(n, s.par)
	}
	shape := b.Shape()
	// mark[l] becomes the face label index + 1 of local label l.
	mark := s.marks(n)
	info := &blockInfo{n: n, planes: make([][]uint32, 2*len(shape))}
	for a := range shape {
		for side := range 2 {
			if (side == 0 && g[a] == 0) || (side == 1 && g[a] == t.grid[a]-1) {
				continue
			}
			eachFace(shape, a, side*(shape[a]-1), func(_, p int) { mark[s.id(p)] = 1 })
		}
	}
	mark[0] = 0
	var value func(int) uint64
	var first []int
	if t.o.Semantic {
		value = valueAt(buf)
		first = s.firstVoxelsVia(n, s.par)
	}
	var surv uint32
	for l := uint32(1); l <= n; l++ {
		if mark[l] == 0 {
			if cnt == nil || uint64(cnt[l]) >= t.o.MinSize {
				surv++
			}
			continue
		}
		info.labels = append(info.labels, l)
		if cnt != nil {
			info.counts = append(info.counts, cnt[l])
		}
		info.before = append(info.before, surv)
		if value != nil {
			info.values = append(info.values, value(first[l]))
		}
		mark[l] = uint32(len(info.labels))
	}
	info.surv = surv
	for a := range shape {
		for side := range 2 {
			if (side == 0 && g[a] == 0) || (side == 1 && g[a] == t.grid[a]-1) {
				continue
			}
			pl := make([]uint32, len(s.lab)/shape[a])
			eachFace(shape, a, side*(shape[a]-1), func(i, p int) { pl[i] = mark[s.id(p)] })
			info.planes[2*a+side] = pl
		}
	}
	return info, ctx.Err()
}

// eachFace calls f(i, p) for the voxels of a block of the given shape whose
// coordinate on axis a is c: i counts them in C order, p is their flat
// index in the block.
func eachFace(shape []int, a, c int, f func(i, p int)) {
	outer, inner := 1, 1
	for _, s := range shape[:a] {
		outer *= s
	}
	for _, s := range shape[a+1:] {
		inner *= s
	}
	i := 0
	for o := range outer {
		p := (o*shape[a] + c) * inner
		for j := range inner {
			f(i, p+j)
			i++
		}
	}
}

// countsVia returns the voxel count of every local ID 0..n, from
// provisional labels that par maps to IDs.
func (s *scratch) countsVia(n uint32, par []uint32) []uint32 {
	s.cnt = grow(s.cnt, int(n)+1)
	for _, l := range s.lab {
		s.cnt[par[l]]++
	}
	return s.cnt
}

// marks returns a zeroed slice of n+1 entries.
func (s *scratch) marks(n uint32) []uint32 {
	s.mark = grow(s.mark, int(n)+1)
	return s.mark
}

// firstVoxelsVia returns the flat index of the first voxel of every
// label, for provisional labels that par (nil: the identity) maps to IDs.
func (s *scratch) firstVoxelsVia(n uint32, par []uint32) []int {
	if cap(s.first) < int(n)+1 {
		s.first = make([]int, n+1)
	}
	s.first = s.first[:n+1]
	var next uint32 = 1
	for p, l := range s.lab {
		if par != nil {
			l = par[l]
		}
		// Labels are numbered in scan order of their first voxel.
		if l == next {
			s.first[l] = p
			next++
			if next > n {
				break
			}
		}
	}
	return s.first
}

// grow returns a zeroed slice of length n, reusing buf's memory.
func grow(buf []uint32, n int) []uint32 {
	if cap(buf) < n {
		return make([]uint32, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}

// valueAt returns a function reading element p (flat, C order) of a
// C-contiguous integer array as a uint64 bit pattern.
func valueAt(a nd.Any) func(int) uint64 {
	if t, ok := a.(*nd.Array[nd.Bool]); ok {
		return func(p int) uint64 { return uint64(b2u(t.Data()[p] != 0)) }
	}
	return valueAtAny(a)
}

// valueOf is valueAt for an integer array.
func valueOf[T nd.Integer](a *nd.Array[T]) func(int) uint64 {
	d := a.Data()
	return func(p int) uint64 { return uint64(d[p]) }
}

// valueAtAny is valueOf for an integer array of any dtype; it panics on
// others (the caller checked the dtype).
//
//nd:dispatch valueAtAny = valueOf(a)
