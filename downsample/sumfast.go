package downsample

import "github.com/ryomen-dev/ryomen/nd"

// sumCountRows is sumCountGeneric for factors of 1 and 2 and element types
// of up to 32 bits, row by row with exact sums and counts: int32 when the
// sum of a whole factor^n block fits (the magnitude bits of T plus n times
// the number of factor-2 axes, at most 31), else int64 up to 62 bits,
// else the 128-bit generic path.
func sumCountRows[T nd.Number](src *nd.Array[T], factor []int, n, workers int, sparse bool, mode divMode, into *nd.Array[T]) []*nd.Array[T] {
	dt := nd.DTypeOf[T]()
	bits := dt.Size() * 8
	if dt.IsSigned() {
		bits-- // |min| = 2^(bits-1)
	}
	switch {
	case bits+n*family(factor) <= 30 && !wideAccum:
		return sumCountAcc[T, int32](src, factor, n, workers, sparse, mode, into)
	case bits+n*family(factor) > 62:
		// Blocks of more than 2^31 voxels of 32 bits: 128-bit sums.
		return sumCountGeneric(src, factor, n, workers, sparse, mode, into)
	}
	return sumCountAcc[T, int64](src, factor, n, workers, sparse, mode, into)
}

func sumCountAcc[T nd.Number, A int32 | int64](src *nd.Array[T], factor []int, n, workers int, sparse bool, mode divMode, into *nd.Array[T]) []*nd.Array[T] {
	last := len(factor) - 1
	fx := factor[last]
	data, _ := src.Flat()
	in := src.Shape()
	var s, c []A
	var res []*nd.Array[T]
	for k := 1; k <= n; k++ {
		g := newGrid(in, factor)
		ns, nc := make([]A, g.outLen), make([]A, g.outLen)
		out := newOut(g.out, into, k, n)
		od := out.Data()
		nx, nxIn := g.out[last], in[last]
		g.forEachRow(workers, false, func(o int, rows []int) {
			ds, dc := ns[o:o+nx], nc[o:o+nx]
			for _, off := range rows {
				if s == nil {
					addLevel0(ds, dc, data[off:off+nxIn], fx, sparse)
				} else {
					addCarried(ds, dc, s[off:off+nxIn], c[off:off+nxIn], fx)
				}
			}
			od := od[o : o+nx]
			for x := range od {
				od[x] = 0
				if dc[x] > 0 {
					od[x] = T(divInt64(ds[x], dc[x], mode))
				}
			}
		})
		res = append(res, out)
		s, c, in = ns, nc, g.out
	}
	return res
}

// addLevel0 adds one input row of level 0 to the sums and counts of its
// outputs (present voxels only; zeros are not counted when sparse).
//
// Reference loop:
//
//	for i, v := range r {
//		if !sparse || v != 0 {
//			ds[i/fx] += int64(v)
//			dc[i/fx]++
//		}
//	}
func addLevel0[T nd.Number, A int32 | int64](ds, dc []A, r []T, fx int, sparse bool) {
	if fx == 2 {
		// Pairs: one update of each output instead of two, and no branch
		// (a zero adds nothing to the sum, and nonzero counts itself).
		half := len(r) / 2
		e, s, c := r[:2*half], ds[:half], dc[:half]
		for x := range s {
			p := e[2*x : 2*x+2]
			a, b := p[0], p[1]
			s[x] += A(a) + A(b)
			if sparse {
				c[x] += nonzero[T, A](a) + nonzero[T, A](b)
			} else {
				c[x] += 2
			}
		}
		if len(r)%2 == 1 {
			v := r[len(r)-1]
			ds[half] += A(v)
			if !sparse || v != 0 {
				dc[half]++
			}
		}
		return
	}
	for i, v := range r {
		x := i
		if fx == 2 {
			x = i >> 1
		}
		if sparse && v == 0 {
			continue
		}
		ds[x] += A(v)
		dc[x]++
	}
}

// nonzero is 1 for a nonzero v, else 0.
func nonzero[T nd.Number, A int32 | int64](v T) A {
	if v != 0 {
		return 1
	}
	return 0
}

// addCarried adds one row of carried sums and counts.
func addCarried[A int32 | int64](ds, dc, s, c []A, fx int) {
	if fx == 1 {
		for x := range ds {
			ds[x] += s[x]
			dc[x] += c[x]
		}
		return
	}
	for i := range s {
		ds[i>>1] += s[i]
		dc[i>>1] += c[i]
	}
}

// divInt64 divides s by c > 0, rounding by mode.
func divInt64[A int32 | int64](s, c A, mode divMode) A {
	q, r := s/c, s%c
	if r < 0 { // make q the floor and 0 <= r < c
		q--
		r += c
	}
	switch mode {
	case divTrunc:
		if s < 0 && r != 0 {
			q++
		}
	case divEven:
		if r > c-r || (r == c-r && q&1 != 0) {
			q++
		}
	}
	return q
}
