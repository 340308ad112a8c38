// Package pyramid builds multiscale pyramids of arrays larger than memory.
//
// A build is a deterministic [Plan]: phase 0 copies the source into level 0
// of the output, and each later phase computes one level, or a group of
// levels from one block read, from the level below it as written. Tasks are
// aligned to write units (a shard when the output is sharded, a chunk
// otherwise): every unit of every level is written by exactly one task, so no
// two tasks touch the same stored object and no locks are needed. Tasks have stable IDs, so several processes can
// split the work (task i goes to shard i mod N), and a finished task leaves a
// small marker key in the output store, so a killed run resumes where it
// stopped. The OME-Zarr multiscales metadata that marks the output complete
// is written last.
package pyramid

import (
	"fmt"
	"math"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// Task is one unit of work: read In from the level below (or the source, in
// phase 0), reduce it and write Out into the phase's level.
// In phases that compute several levels from one read (see NewPlanGroup),
// Out is the box at the coarsest level Last; the task also writes the boxes
// of levels First..Last-1 that Out covers.
type Task struct {
	Phase, ID   int
	First, Last int // levels written
	In, Out     nd.Box
}

// Phase computes levels First..Level from level First-1 (phase 0: level 0
// from the source).
type Phase struct {
	First, Level int
	Tasks        []Task
}

// Plan is the whole build: per-level shapes and factors, and the phases.
type Plan struct {
	DType   nd.DType
	Shapes  [][]int // level shapes, finest first
	Factors [][]int // Factors[i] takes level i to level i+1
	Chunks  []int   // output chunk shape (inner chunk when sharded)
	Shard   []int   // output shard shape, or nil
	Group   int     // most levels one task computes
	Phases  []Phase
}

// Unit is the shape of one write unit: the shard, or the chunk.
func (p *Plan) Unit() []int {
	if p.Shard != nil {
		return p.Shard
	}
	return p.Chunks
}

// NumTasks counts the tasks of all phases.
func (p *Plan) NumTasks() int {
	n := 0
	for _, ph := range p.Phases {
		n += len(ph.Tasks)
	}
	return n
}

// TaskBytes estimates the memory one task holds at its peak: the input block,
// the output block twice (the result and the encoded unit), and 12 bytes of
// scratch per output voxel for the reduction.
func (p *Plan) TaskBytes() int64 {
	unit := p.Unit()
	out, in := int64(1), int64(1)
	for i, u := range unit {
		out *= int64(u)
		// The largest product of Group consecutive factors.
		f := 1
		for a := range p.Factors {
			g := 1
			for b := a; b < min(len(p.Factors), a+p.Group); b++ {
				g *= p.Factors[b][i]
			}
			f = max(f, g)
		}
		in *= int64(u * f)
	}
	es := int64(p.DType.Size())
	// Intermediate levels of a group add at most in/2 more.
	if p.Group > 1 {
		in += in / 2
	}
	return in*es + 2*out*es + 12*out
}

// NewPlan lays out the tasks for a source of the given shape and dtype, one
// level per phase.
func NewPlan(dt nd.DType, shape []int, factors [][]int, chunks, shard []int) (*Plan, error) {
	return NewPlanGroup(dt, shape, factors, chunks, shard, 1)
}

// NewPlanGroup is NewPlan with up to group levels per phase: a task reads
// one block of the level below the phase and computes every level of the
// phase from it, writing whole units of each.
func NewPlanGroup(dt nd.DType, shape []int, factors [][]int, chunks, shard []int, group int) (*Plan, error) {
	if group < 1 {
		group = 1
	}
	n := len(shape)
	if n == 0 {
		return nil, fmt.Errorf("pyramid: source has rank 0")
	}
	if len(chunks) != n {
		return nil, fmt.Errorf("pyramid: chunks %v do not match shape %v", chunks, shape)
	}
	for _, c := range chunks {
		if c <= 0 {
			return nil, fmt.Errorf("pyramid: bad chunk shape %v", chunks)
		}
	}
	if shard != nil {
		if len(shard) != n {
			return nil, fmt.Errorf("pyramid: shard %v does not match shape %v", shard, shape)
		}
		for i := range shard {
			if shard[i] <= 0 || shard[i]%chunks[i] != 0 {
				return nil, fmt.Errorf("pyramid: shard %v is not a multiple of chunks %v", shard, chunks)
			}
		}
	}
	p := &Plan{DType: dt, Chunks: slices.Clone(chunks), Shard: slices.Clone(shard), Group: group}
	p.Shapes = [][]int{slices.Clone(shape)}
	for _, f := range factors {
		if len(f) != n {
			return nil, fmt.Errorf("pyramid: factor %v does not match rank %d", f, n)
		}
		prev := p.Shapes[len(p.Shapes)-1]
		next := make([]int, n)
		for i := range f {
			if f[i] < 1 {
				return nil, fmt.Errorf("pyramid: factor %v has an entry below 1", f)
			}
			next[i] = (prev[i] + f[i] - 1) / f[i]
		}
		p.Factors = append(p.Factors, slices.Clone(f))
		p.Shapes = append(p.Shapes, next)
	}
	unit := p.Unit()
	// Phase 0 copies level 0; then groups of levels.
	ranges := [][2]int{{0, 0}}
	for a := 1; a < len(p.Shapes); a += group {
		ranges = append(ranges, [2]int{a, min(len(p.Shapes)-1, a+group-1)})
	}
	for pi, r := range ranges {
		first, lvl := r[0], r[1]
		sh := p.Shapes[lvl]
		ph := Phase{First: first, Level: lvl}
		grid := make([]int, n)
		for i := range n {
			grid[i] = (sh[i] + unit[i] - 1) / unit[i]
		}
		g := make([]int, n)
		id := 0
		for {
			lo, hi := make([]int, n), make([]int, n)
			for i := range n {
				lo[i] = g[i] * unit[i]
				hi[i] = min(sh[i], lo[i]+unit[i])
			}
			t := Task{Phase: pi, ID: id, First: first, Last: lvl, Out: nd.NewBox(lo, hi)}
			if lvl == 0 {
				t.In = t.Out
			} else {
				t.In = p.boxAt(t.Out, lvl, first-1)
			}
			ph.Tasks = append(ph.Tasks, t)
			id++
			if !next(g, grid) {
				break
			}
		}
		p.Phases = append(p.Phases, ph)
	}
	return p, nil
}

// boxAt maps box b of level from to the finer level to (to <= from),
// clipped to that level's shape.
func (p *Plan) boxAt(b nd.Box, from, to int) nd.Box {
	n := len(b.Min)
	lo, hi := slices.Clone(b.Min), slices.Clone(b.Max)
	for l := from - 1; l >= to; l-- {
		for i := range n {
			lo[i] *= p.Factors[l][i]
			hi[i] = min(p.Shapes[l][i], hi[i]*p.Factors[l][i])
		}
	}
	return nd.NewBox(lo, hi)
}

// FixedFactors repeats f until the level fits in one chunk per axis or
// levels are reached (levels <= 0: no limit). Axes already of size 1 are not
// reduced further.
func FixedFactors(shape []int, f []int, chunks []int, levels int) [][]int {
	var out [][]int
	cur := slices.Clone(shape)
	for levels <= 0 || len(out)+1 < levels {
		if fits(cur, chunks) && levels <= 0 {
			break
		}
		ff := make([]int, len(f))
		moved := false
		for i := range f {
			ff[i] = f[i]
			if cur[i] == 1 {
				ff[i] = 1
			}
			if ff[i] > 1 {
				moved = true
			}
		}
		if !moved {
			break
		}
		for i := range cur {
			cur[i] = (cur[i] + ff[i] - 1) / ff[i]
		}
		out = append(out, ff)
	}
	return out
}

// AutoFactors chooses near-isotropic factors from the voxel size: an axis is
// halved only while its voxel size is below 1.5 times the finest, so a coarse
// (anisotropic) axis waits until the others catch up. spatial marks the axes
// that may be reduced; others keep factor 1.
func AutoFactors(shape []int, scale []float64, spatial []bool, chunks []int, levels int) [][]int {
	n := len(shape)
	cur := slices.Clone(shape)
	sc := slices.Clone(scale)
	if sc == nil {
		sc = make([]float64, n)
		for i := range sc {
			sc[i] = 1
		}
	}
	var out [][]int
	for levels <= 0 || len(out)+1 < levels {
		if fits(cur, chunks) && levels <= 0 {
			break
		}
		finest := math.Inf(1)
		for i := range n {
			if spatial[i] && cur[i] > 1 {
				finest = min(finest, sc[i])
			}
		}
		f := make([]int, n)
		moved := false
		for i := range n {
			f[i] = 1
			if spatial[i] && cur[i] > 1 && sc[i] < 1.5*finest {
				f[i] = 2
				moved = true
			}
		}
		if !moved {
			break
		}
		for i := range n {
			cur[i] = (cur[i] + f[i] - 1) / f[i]
			sc[i] *= float64(f[i])
		}
		out = append(out, f)
	}
	return out
}

func fits(shape, chunks []int) bool {
	for i := range shape {
		if shape[i] > chunks[i] {
			return false
		}
	}
	return true
}

// next advances idx to the next index of shape in C order, reporting
// false after the last one.
func next(idx, shape []int) bool {
	for i := len(idx) - 1; i >= 0; i-- {
		idx[i]++
		if idx[i] < shape[i] {
			return true
		}
		idx[i] = 0
	}
	return false
}
