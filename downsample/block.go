package downsample

import (
	"sync"
)

// grid describes one level: a C-contiguous input of shape in reduced by
// factor f to out.
type grid struct {
	in, out, f []int
	stride     []int // C strides of in
	outLen     int
}

func newGrid(in, f []int) *grid {
	g := &grid{in: in, f: f, out: OutShape(in, f), stride: make([]int, len(in))}
	s := 1
	for d := len(in) - 1; d >= 0; d-- {
		g.stride[d] = s
		s *= in[d]
	}
	g.outLen = 1
	for _, n := range g.out {
		g.outLen *= n
	}
	return g
}

// axisOffsets returns, for output coordinate o on axis d, the input
// coordinates of its block in order: present ones only, or with the last
// voxel repeated in place of missing ones when replicate is set (which for
// factor 2 is tinybrain's edge rule).
func (g *grid) axisOffsets(d, o int, replicate bool, buf []int) []int {
	buf = buf[:0]
	n, f := g.in[d], g.f[d]
	for j := 0; j < f; j++ {
		i := o*f + j
		if i >= n {
			if !replicate {
				break
			}
			i = n - 1
		}
		buf = append(buf, i*g.stride[d])
	}
	return buf
}

// forEachBlock calls fn for every output voxel (flat C index o, in
// increasing order within each worker's range) with the flat input indices
// of its block in scan order: C order over the block, last axis fastest
// (tinybrain's x-fastest order, since our last axis is its x). Work is
// split over up to workers goroutines by contiguous output ranges; fn
// must only write output voxel o. The idx slice is reused between calls.
//
// With replicate, missing voxels of factor-2 axes repeat the edge voxel
// (tinybrain's rule for mean and 2x2x2 mode); otherwise, and always for
// other factors, only the voxels present take part.
func (g *grid) forEachBlock(workers int, replicate bool, fn func(o int, idx []int)) {
	if g.outLen == 0 {
		return
	}
	workers = max(1, min(workers, g.outLen/4096+1))
	chunk := (g.outLen + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, g.outLen)
		if lo >= hi {
			break
		}
		run := func() { g.blocks(lo, hi, replicate, fn) }
		if workers == 1 {
			run()
			break
		}
		wg.Go(run)
	}
	wg.Wait()
}

func (g *grid) blocks(lo, hi int, replicate bool, fn func(o int, idx []int)) {
	r := len(g.in)
	oi := make([]int, r)
	rem := lo
	for d := r - 1; d >= 0; d-- {
		oi[d] = rem % g.out[d]
		rem /= g.out[d]
	}
	offs := make([][]int, r)
	for d := range offs {
		offs[d] = make([]int, 0, min(g.f[d], max(g.in[d], 2)))
	}
	var idx, next []int
	for o := lo; o < hi; o++ {
		for d := 0; d < r; d++ {
			rep := replicate && g.f[d] == 2
			offs[d] = g.axisOffsets(d, oi[d], rep, offs[d])
		}
		// Cartesian product of the per-axis offsets, last axis fastest:
		// each axis expands every partial sum by its offsets.
		idx = append(idx[:0], 0)
		for d := 0; d < r; d++ {
			next = next[:0]
			for _, base := range idx {
				for _, off := range offs[d] {
					next = append(next, base+off)
				}
			}
			idx, next = next, idx
		}
		fn(o, idx)
		for d := r - 1; d >= 0; d-- {
			oi[d]++
			if oi[d] < g.out[d] {
				break
			}
			oi[d] = 0
		}
	}
}
