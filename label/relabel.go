package label

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/ryomen-dev/ryomen/nd"
)

// ErrOutDType: the label dtype asked for cannot hold the labels.
var ErrOutDType = errors.New("label: output dtype")

// OutDType returns the dtype for the labels: want when the object count
// fits it, or (want Invalid) uint32, or uint64 when more than 2^32-1
// objects were found. A dtype too small or not an unsigned integer is an
// error naming it and the count.
func (t *Table) OutDType(want nd.DType) (nd.DType, error) {
	if want == nd.Invalid {
		if t.objects > math.MaxUint32 {
			return nd.Uint64, nil
		}
		return nd.Uint32, nil
	}
	var most uint64
	switch want {
	case nd.Uint8:
		most = math.MaxUint8
	case nd.Uint16:
		most = math.MaxUint16
	case nd.Uint32:
		most = math.MaxUint32
	case nd.Uint64:
		most = math.MaxUint64
	default:
		return nd.Invalid, fmt.Errorf("%w %s: want uint8, uint16, uint32 or uint64", ErrOutDType, want)
	}
	if t.objects > most {
		return nd.Invalid, fmt.Errorf("%w: %d objects do not fit %s (at most %d)", ErrOutDType, t.objects, want, most)
	}
	return want, nil
}

// blockIndex returns the index of the block whose region is exactly b.
func (t *Table) blockIndex(b nd.Box) (int, error) {
	if b.Rank() != len(t.shape) {
		return 0, fmt.Errorf("label: region %v has rank %d, the image %d", b, b.Rank(), len(t.shape))
	}
	k := t.blockOf(b.Min)
	if want, _ := t.box(k); !want.Eq(b) {
		return 0, fmt.Errorf("label: region %v is not one block of the %v grid (want e.g. %v)", b, t.o.Chunks, want)
	}
	return k, nil
}

// Relabel is pass 3 for one block: block holds the source values of the
// block's region b (one of the blocks of the grid, exactly); it returns the
// final labels in dtype dt (see [Table.OutDType]) and, when emit is not
// nil, calls it with the statistics of every object piece in the block, in
// ID order (the Object's slices are reused once emit returns: copy what
// you keep). Pieces with Partial set are parts of objects spanning several
// blocks, to be merged with [Merge]. It is safe for concurrent use.
func (t *Table) Relabel(ctx context.Context, block nd.Any, b nd.Box, dt nd.DType, emit func(Object)) (nd.Any, error) {
	k, err := t.blockIndex(b)
	if err != nil {
		return nil, err
	}
	s := t.getScratch()
	defer t.pool.Put(s)
	// Lazy: the final IDs go straight from the provisional labels
	// through par and fin, without rewriting the labels in between.
	s.lazy = true
	defer func() { s.lazy = false }()
	n, err := s.label(block, t.o.Conn, t.o.Semantic)
	if err != nil {
		return nil, err
	}
	if n != t.n[k] {
		return nil, fmt.Errorf("label: block %v now has %d objects, %d in pass 1: the input changed", b, n, t.n[k])
	}
	var cnt []uint32
	if t.o.MinSize > 1 || emit != nil {
		cnt = s.countsVia(n, s.par)
	}
	fin := t.finals(s, k, n, cnt)
	out, err := nd.NewAnyChecked(dt, b.Shape(), nd.C)
	if err != nil {
		return nil, err
	}
	if !dt.IsInteger() || dt.IsSigned() {
		return nil, fmt.Errorf("label: output dtype %s: want an unsigned integer", dt)
	}
	if err := mapLabelsAny(out, s.lab, s.par, fin); err != nil {
		return nil, err
	}
	if emit != nil {
		t.emitStats(s, block, b, k, n, emit)
	}
	return out, ctx.Err()
}

// finals returns the final ID of every local label of block k, in one
// sweep that counts the surviving objects starting in the block in local
// label order, as pass 2 did.
// cnt may be nil when MinSize <= 1.
func (t *Table) finals(s *scratch, k int, nl uint32, cnt []uint32) []uint64 {
	n := int(nl)
	if cap(s.fin) < n+1 {
		s.fin = make([]uint64, n+1)
	}
	fin := s.fin[:n+1]
	fin[0] = 0
	lo, hi := t.fbase[k], t.fbase[k+1]
	j := lo
	next := t.base[k]
	for l := 1; l <= n; l++ {
		if j < hi && t.flabel[j] == uint32(l) {
			fin[l] = t.final[j]
			if t.owner.has(j) {
				next++
			}
			j++
			continue
		}
		fin[l] = 0
		if cnt == nil || uint64(cnt[l]) >= t.o.MinSize {
			next++
			fin[l] = next
		}
	}
	return fin
}

func mapLabels[T uint8 | uint16 | uint32 | uint64](out *nd.Array[T], lab, par []uint32, fin []uint64) error {
	dst := out.Data()
	for p, l := range lab {
		dst[p] = T(fin[par[l]])
	}
	return nil
}

// NumBlocks returns the number of blocks.
func (t *Table) NumBlocks() int { return len(t.n) }

// BlockBox returns the region of block k (C order of the grid).
func (t *Table) BlockBox(k int) nd.Box {
	b, _ := t.box(k)
	return b
}

// BlockIndex returns the index of the block holding point p (inside the
// image).
func (t *Table) BlockIndex(p []int) int { return t.blockOf(p) }

// RelabelBytes estimates the buffers [Table.Relabel] takes for one block
// of the largest object count, besides the block and the result: labels,
// provisional union-find (at most one entry per voxel) and mask per voxel,
// and per local object its count, final ID, first voxel and (with stats)
// bounding box, sums and piece line.
func (t *Table) RelabelBytes(in nd.DType, stats bool) int64 {
	v, _ := nd.CheckedSize(t.o.Chunks)
	var most uint32
	for _, n := range t.n {
		most = max(most, n)
	}
	per := int64(4 + 8 + 8)
	if stats {
		// Accumulators, and the piece line (about 16 bytes and 12 per
		// axis), twice for the growth of its buffer.
		per += int64(len(t.shape))*24 + 2*(16+12*int64(len(t.shape)))
	}
	return int64(v)*(4+4+1) + (int64(most)+1)*per
}

// mapLabelsAny is mapLabels for an output of any unsigned dtype.
//
//nd:dispatch mapLabelsAny = mapLabels(out)
