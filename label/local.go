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
	if dt := a.DType(); semantic && dt != nd.DTypeBool { // bool: the mask's components
		if !dt.IsInteger() {
			return 0, fmt.Errorf("label: semantic labels need an integer dtype, not %s", dt)
		}
		return scanAny(s, a, shape, c)
	}
	if err := s.toMask(a); err != nil {
		return 0, err
	}
	return scan(s, s.mask, shape, c), nil
}

func scanArray[T nd.Integer](s *scratch, a *nd.Array[T], shape []int, c Conn) (uint32, error) {
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
	default:
		if !a.DType().IsNumber() {
			return fmt.Errorf("label: cannot label dtype %s", a.DType())
		}
		return maskOfAny(s.mask, a)
	}
	return nil
}

//go:generate go run github.com/ryomen-dev/ryomen/internal/gen/dispatch

// scanAny is scanArray for an integer array of any dtype.
//
//nd:dispatch scanAny = scanArray(a)

// maskOfAny is maskOf for a numeric array of any dtype.
//
//nd:dispatch maskOfAny = maskOf(a)

// maskOf writes 1 for the non-zero elements of a (NaN counts as non-zero).
func maskOf[T nd.Number](m []uint8, a *nd.Array[T]) error {
	if v, ok := a.Flat(); ok && a.IsContiguous(nd.C) {
		for i, x := range v {
			m[i] = b2u(x != 0)
		}
		return nil
	}
	maskFunc(m, a, func(x T) bool { return x != 0 })
	return nil
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
