package label

import (
	"fmt"
	"math"

	"github.com/ryomen-dev/ryomen/nd"
)

// Local labels one in-memory block by itself: each connected set of
// foreground voxels (non-zero; with semantic, of equal non-zero value) gets
// an ID 1..n in the C scan order of its first voxel, background 0. It
// returns the labels (C order, one per voxel of a; reusing buf when it is
// large enough) and n. Floating-point values are foreground when non-zero
// and are refused with semantic.
func Local(a nd.Any, c Conn, semantic bool, buf []uint32) ([]uint32, uint32, error) {
	var s scratch
	s.lab = buf
	n, err := s.label(a, c, semantic)
	return s.lab, n, err
}

// scratch holds one worker's buffers from block to block.
type scratch struct {
	lab   []uint32
	par   []uint32
	mask  []uint8
	cnt   []uint32
	mark  []uint32
	first []int
	fin   []uint64
	acc   []int
	// lazy leaves lab provisional after a scan: the ID of voxel p is then
	// par[lab[p]] (see id). Pass 1 reads few voxels and skips the sweep.
	lazy bool
}

// id returns the local ID of voxel p after a scan.
func (s *scratch) id(p int) uint32 {
	if s.lazy {
		return s.par[s.lab[p]]
	}
	return s.lab[p]
}

func (s *scratch) label(a nd.Any, c Conn, semantic bool) (uint32, error) {
	if !c.Valid() || c.Rank != a.Rank() {
		return 0, fmt.Errorf("label: connectivity %+v for a block of rank %d", c, a.Rank())
	}
	shape := a.Shape()
	n := a.Len()
	if uint64(n) >= math.MaxUint32 {
		return 0, fmt.Errorf("label: block %v has %d voxels; at most 2^32-2 fit one block", shape, n)
	}
	if cap(s.lab) < n {
		s.lab = make([]uint32, n)
	}
	s.lab = s.lab[:n]
	if semantic {
		switch t := a.(type) {
		case *nd.Array[uint8]:
			return scanArray(s, t, shape, c)
		case *nd.Array[uint16]:
			return scanArray(s, t, shape, c)
		case *nd.Array[uint32]:
			return scanArray(s, t, shape, c)
		case *nd.Array[uint64]:
			return scanArray(s, t, shape, c)
		case *nd.Array[int8]:
			return scanArray(s, t, shape, c)
		case *nd.Array[int16]:
			return scanArray(s, t, shape, c)
		case *nd.Array[int32]:
			return scanArray(s, t, shape, c)
		case *nd.Array[int64]:
			return scanArray(s, t, shape, c)
		case *nd.Array[nd.Bool]:
		default:
			return 0, fmt.Errorf("label: semantic labels need an integer dtype, not %s", a.DType())
		}
	}
	if err := s.toMask(a); err != nil {
		return 0, err
	}
	return scan(s, s.mask, shape, c), nil
}

func scanArray[T nd.Element](s *scratch, a *nd.Array[T], shape []int, c Conn) (uint32, error) {
	v, ok := a.Flat()
	if !ok || !a.IsContiguous(nd.C) {
		v = a.Clone(nd.C).Data()
	}
	return scan(s, v, shape, c), nil
}

// toMask sets s.mask to 1 where a is non-zero, in C order.
func (s *scratch) toMask(a nd.Any) error {
	n := a.Len()
	if cap(s.mask) < n {
		s.mask = make([]uint8, n)
	}
	s.mask = s.mask[:n]
	switch t := a.(type) {
	case *nd.Array[nd.Float16]:
		maskFunc(s.mask, t, func(v nd.Float16) bool { return v&0x7fff != 0 })
	case *nd.Array[nd.Bool]:
		maskFunc(s.mask, t, func(v nd.Bool) bool { return v != 0 })
	case *nd.Array[uint8]:
		maskOf(s.mask, t)
	case *nd.Array[uint16]:
		maskOf(s.mask, t)
	case *nd.Array[uint32]:
		maskOf(s.mask, t)
	case *nd.Array[uint64]:
		maskOf(s.mask, t)
	case *nd.Array[int8]:
		maskOf(s.mask, t)
	case *nd.Array[int16]:
		maskOf(s.mask, t)
	case *nd.Array[int32]:
		maskOf(s.mask, t)
	case *nd.Array[int64]:
		maskOf(s.mask, t)
	case *nd.Array[float32]:
		maskOf(s.mask, t)
	case *nd.Array[float64]:
		maskOf(s.mask, t)
	default:
		return fmt.Errorf("label: cannot label dtype %s", a.DType())
	}
	return nil
}

// maskOf writes 1 for the non-zero elements of a (NaN counts as non-zero).
func maskOf[T nd.Number](m []uint8, a *nd.Array[T]) {
	if v, ok := a.Flat(); ok && a.IsContiguous(nd.C) {
		for i, x := range v {
			m[i] = b2u(x != 0)
		}
		return
	}
	maskFunc(m, a, func(x T) bool { return x != 0 })
}

func maskFunc[T nd.Element](m []uint8, a *nd.Array[T], fg func(T) bool) {
	i := 0
	a.Values(func(_ []int, v T) {
		m[i] = b2u(fg(v))
		i++
	})
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
