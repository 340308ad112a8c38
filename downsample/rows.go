package downsample

import "sync"

// Row machinery for the fast paths: factors of 1 or 2 on every axis,
// C-contiguous data. An output row (all axes but the last fixed) is fed by
// 2^k input rows, k the number of other axes with factor 2; at an odd
// edge of such an axis the last row is repeated (rep) or left out.

// rowable reports whether the row kernels apply.
func rowable(factor []int) bool {
	for _, f := range factor {
		if f != 1 && f != 2 {
			return false
		}
	}
	return true
}

// forEachRow calls fn(out, rows) for every output row, where out is the
// flat index of the row's first output voxel and rows the flat offsets of
// its input rows in C order of their block position. Rows are split over
// up to workers goroutines; fn must only touch its own output row.
func (g *grid) forEachRow(workers int, rep bool, fn func(out int, rows []int)) {
	r := len(g.in)
	nx := g.out[r-1]
	if g.outLen == 0 {
		return
	}
	nrows := g.outLen / nx
	workers = max(1, min(workers, nrows/8+1))
	per := (nrows + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, nrows)
		if lo >= hi {
			break
		}
		body := func() {
			idx := make([]int, r-1)
			rem := lo
			for d := r - 2; d >= 0; d-- {
				idx[d] = rem % g.out[d]
				rem /= g.out[d]
			}
			nr := 1 // input rows per output row
			for _, f := range g.f[:r-1] {
				if f == 2 {
					nr *= 2
				}
			}
			rows := make([]int, 0, nr)
			next := make([]int, 0, nr)
			for or := lo; or < hi; or++ {
				rows = rows[:1]
				rows[0] = 0
				for d := 0; d < r-1; d++ {
					i := idx[d] * g.f[d]
					s := g.stride[d]
					if g.f[d] == 1 {
						for k := range rows {
							rows[k] += i * s
						}
						continue
					}
					j := i + 1
					missing := j >= g.in[d]
					if missing {
						j = i
					}
					// Each row splits into its offset-0 and offset-1 rows,
					// in place, which keeps C order of block positions.
					next = next[:0]
					for _, base := range rows {
						next = append(next, base+i*s)
						if !missing || rep {
							next = append(next, base+j*s)
						}
					}
					rows, next = next, rows
				}
				fn(or*nx, rows)
				for d := r - 2; d >= 0; d-- {
					idx[d]++
					if idx[d] < g.out[d] {
						break
					}
					idx[d] = 0
				}
			}
		}
		if workers == 1 {
			body()
			break
		}
		wg.Go(body)
	}
	wg.Wait()
}
