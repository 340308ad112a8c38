package downsample

import "github.com/ryomen-dev/ryomen/nd"

// sumCountRows is sumCountGeneric for factors of 1 and 2 and element types
// of up to 32 bits, row by row with int64 sums and counts (exact: a sum
// of 2^31 values of 32 bits fits).
func sumCountRows[T nd.Number](src *nd.Array[T], factor []int, n, workers int, sparse bool, mode divMode, into *nd.Array[T]) []*nd.Array[T] {
	last := len(factor) - 1
	fx := factor[last]
	data, _ := src.Flat()
	in := src.Shape()
	var s, c []int64
	var res []*nd.Array[T]
	for k := 1; k <= n; k++ {
		g := newGrid(in, factor)
		ns, nc := make([]int64, g.outLen), make([]int64, g.outLen)
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
func addLevel0[T nd.Number](ds, dc []int64, r []T, fx int, sparse bool) {
	for i, v := range r {
		x := i
		if fx == 2 {
			x = i >> 1
		}
		if sparse && v == 0 {
			continue
		}
		ds[x] += int64(v)
		dc[x]++
	}
}

// addCarried adds one row of carried sums and counts.
func addCarried(ds, dc, s, c []int64, fx int) {
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
func divInt64(s, c int64, mode divMode) int64 {
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
