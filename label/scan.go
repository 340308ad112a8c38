package label

// backOffset is a neighbour offset before the voxel in scan order: its
// flat distance (negative), its step on the last axis, and the rest.
type backOffset struct {
	delta int
	dx    int
	outer []int
}

func backOffsets(shape []int, c Conn) []backOffset {
	r := len(shape)
	strides := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		strides[i] = s
		s *= shape[i]
	}
	var out []backOffset
	for _, d := range c.Offsets(true) {
		var o backOffset
		for i, v := range d {
			o.delta += v * strides[i]
		}
		o.dx, o.outer = d[r-1], d[:r-1]
		out = append(out, o)
	}
	return out
}

// scan labels v (C order, shape) into s.lab with IDs 1..n in scan order of
// each component's first voxel and returns n. Zero is background; two
// neighbours connect when their values are equal. It works row by row
// along the last axis: the offsets valid for a row are chosen once, and
// only the row's two ends test the last axis.
func scan[T comparable](s *scratch, v []T, shape []int, c Conn) uint32 {
	var zero T
	r := len(shape)
	nx := shape[r-1]
	lab := s.lab
	par := append(s.par[:0], 0)
	offs := backOffsets(shape, c)
	var left, mid, right []int
	outer := make([]int, r-1)
	// With the full neighbourhood, the neighbour one step back on axis 0
	// (the hub) neighbours every other backward neighbour, so when it holds
	// val they are all in its set already: p takes its label.
	hub := 0
	if c.Order == r && r >= 2 {
		hub = len(v) / shape[0]
	}
	for base := 0; base < len(v); base += nx {
		left, mid, right = rowOffsets(offs, outer, shape, left[:0], mid[:0], right[:0])
		useHub := hub > 0 && outer[0] > 0
		for x := 0; x < nx; x++ {
			p := base + x
			val := v[p]
			if val == zero {
				lab[p] = 0
				continue
			}
			if useHub && v[p-hub] == val {
				lab[p] = lab[p-hub]
				continue
			}
			l := uint32(0)
			if x > 0 && v[p-1] == val {
				// Inside a run: p joins p-1, and a neighbour q whose own
				// predecessor q-1 also holds val is already in p-1's set
				// (p-1 and q-1 are neighbours by the same offset).
				l = lab[p-1]
				if x > 1 {
					l = joinRun(par, v, lab, val, p, l, left)
				} else {
					l = join(par, v, lab, val, p, l, left)
				}
				l = joinRun(par, v, lab, val, p, l, mid)
				if x < nx-1 {
					l = joinRun(par, v, lab, val, p, l, right)
				}
			} else {
				if x > 0 {
					l = join(par, v, lab, val, p, l, left)
				}
				l = join(par, v, lab, val, p, l, mid)
				if x < nx-1 {
					l = join(par, v, lab, val, p, l, right)
				}
			}
			if l == 0 {
				l = uint32(len(par))
				par = append(par, l)
			}
			lab[p] = l
		}
		for i := r - 2; i >= 0; i-- {
			outer[i]++
			if outer[i] < shape[i] {
				break
			}
			outer[i] = 0
		}
	}
	n := renumber(par, lab, !s.lazy)
	s.par = par
	return n
}

// join unites the label of voxel p (l, 0 if none yet) with its labelled
// neighbours at the given deltas that hold the same value.
func join[T comparable](par []uint32, v []T, lab []uint32, val T, p int, l uint32, deltas []int) uint32 {
	for _, d := range deltas {
		q := p + d
		if v[q] != val {
			continue
		}
		nl := lab[q]
		if l == 0 {
			l = nl
		} else if nl != l {
			l = union(par, l, nl)
		}
	}
	return l
}

// joinRun is join for a voxel whose predecessor on the row holds val and
// is labelled l: neighbours whose predecessor holds val are skipped.
func joinRun[T comparable](par []uint32, v []T, lab []uint32, val T, p int, l uint32, deltas []int) uint32 {
	for _, d := range deltas {
		q := p + d
		if v[q] != val || v[q-1] == val {
			continue
		}
		if nl := lab[q]; nl != l {
			l = union(par, l, nl)
		}
	}
	return l
}

func allZero(d []int) bool {
	for _, v := range d {
		if v != 0 {
			return false
		}
	}
	return true
}

// rowOffsets appends the flat deltas of the offsets valid for a row at
// outer coordinates outer to left (last-axis step -1, except the previous
// voxel itself, which the scan handles apart), mid (step 0) and right
// (step +1).
func rowOffsets(offs []backOffset, outer, shape []int, left, mid, right []int) ([]int, []int, []int) {
	for _, o := range offs {
		ok := true
		for i, d := range o.outer {
			if q := outer[i] + d; q < 0 || q >= shape[i] {
				ok = false
				break
			}
		}
		switch {
		case !ok:
		case o.dx < 0 && allZero(o.outer):
		case o.dx < 0:
			left = append(left, o.delta)
		case o.dx == 0:
			mid = append(mid, o.delta)
		default:
			right = append(right, o.delta)
		}
	}
	return left, mid, right
}

// renumber gives the roots of par the IDs 1, 2, ... in index order and
// every label its root's ID, and with apply every voxel of lab too; it
// returns the number of roots. Parents are smaller than children, so one
// ascending sweep does it.
func renumber(par, lab []uint32, apply bool) uint32 {
	n := uint32(0)
	for i := 1; i < len(par); i++ {
		if par[i] == uint32(i) {
			n++
			par[i] = n
		} else {
			par[i] = par[par[i]]
		}
	}
	if apply {
		for p, l := range lab {
			lab[p] = par[l]
		}
	}
	return n
}
