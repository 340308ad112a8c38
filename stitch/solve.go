package stitch

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/ryomen-dev/ryomen/engine"
	"github.com/ryomen-dev/ryomen/label"
)

// source gives the solver the tile phase's records, one at a time.
type source interface {
	// load returns tile i's record; dest may be left out.
	load(ctx context.Context, i int) (*record, error)
	// done says that the solver needs no record of tiles before i again.
	done(i int)
}

// solution numbers the objects: tile i's label l (1..k[i]) has final ID
// table(i)[l]. It holds a few words per tile and per face label (a label
// in a shared box), never per voxel.
type solution struct {
	rule    Rule
	objects uint64
	k       []uint32
	base    []uint64   // IDs before tile i's first new object
	faces   [][]uint32 // per tile: its face labels, ascending
	ids     [][]uint64 // per tile and face label: the final ID (0: none)
	joins   int64      // unions that merged two sets
}

// solve reads the shared boxes of every pair of neighbours, unites the
// labels the rule joins and numbers the objects 1..N in order of their
// first label (smallest tile index, then smallest label of that tile).
func (g *geom) solve(ctx context.Context, src source, iou float64, limit uint64) (*solution, error) {
	nt := g.p.Len()
	s := &solution{rule: g.rule, k: make([]uint32, nt), base: make([]uint64, nt)}
	if g.rule == Own {
		for i := range nt {
			r, err := src.load(ctx, i)
			if err != nil {
				return nil, err
			}
			s.k[i] = r.k
			s.base[i] = s.objects
			s.objects += uint64(s.k[i])
			src.done(i + 1)
		}
		return s, nil
	}
	f := &faceSet{off: make([]uint64, nt), have: make([]bool, nt), uf: label.NewUnionFind(0), limit: limit}
	s.faces = make([][]uint32, nt)
	for i := range nt {
		if _, err := f.load(ctx, src, s, i); err != nil {
			return nil, err
		}
		for x, j := range g.nbrs[i] {
			if j < i {
				continue
			}
			if _, err := f.load(ctx, src, s, j); err != nil {
				return nil, err
			}
			if err := g.join(ctx, src, s, f.off, f.uf, i, x, j, iou); err != nil {
				return nil, err
			}
		}
		src.done(i + 1)
	}
	s.number(f.uf, f.off)
	return s, nil
}

// faceSet gives each tile's face labels union-find elements the first
// time the solver loads the tile (in the order tiles are first needed,
// so the shared boxes are read once): tile t's face label at position p
// of s.faces[t] is element off[t]+p. Numbering never depends on which
// element is a root, only on the (tile, label) order of members.
type faceSet struct {
	off   []uint64
	have  []bool
	uf    *label.UnionFind
	limit uint64 // most face labels (0: no limit)
}

func (f *faceSet) load(ctx context.Context, src source, s *solution, i int) (*record, error) {
	r, err := src.load(ctx, i)
	if err != nil || f.have[i] {
		return r, err
	}
	seen := make([]bool, r.n+1)
	for _, v := range r.shared {
		for _, l := range v {
			seen[l] = true
		}
	}
	var fl []uint32
	for l := uint32(1); l <= r.n; l++ {
		if seen[l] {
			fl = append(fl, l)
		}
	}
	if uint64(f.uf.Len())+uint64(len(fl)) > math.MaxUint32-1 {
		return nil, fmt.Errorf("stitch: more than 2^32-2 labels on the shared boxes of the tiles")
	}
	if n := uint64(f.uf.Len()) + uint64(len(fl)); f.limit > 0 && n > f.limit {
		return nil, fmt.Errorf("stitch: %w: the tiles up to tile %d have %d labels on the boxes they share with neighbours, and the solve phase's share of the budget holds %d (%d bytes each); give a larger budget or larger crops",
			engine.ErrBudget, i, n, f.limit, faceLabelBytes)
	}
	f.off[i] = uint64(f.uf.Len())
	for range fl {
		f.uf.Add()
	}
	s.faces[i], s.k[i], f.have[i] = fl, r.k, true
	return r, nil
}

// join unites the labels of tile i and its x-th neighbour j that the
// rule joins.
func (g *geom) join(ctx context.Context, src source, s *solution, off []uint64, uf *label.UnionFind, i, x, j int, iou float64) error {
	y := slices.Index(g.nbrs[j], i)
	ra, err := src.load(ctx, i)
	if err != nil {
		return err
	}
	rb, err := src.load(ctx, j)
	if err != nil {
		return err
	}
	a, b := ra.shared[x], rb.shared[y]
	if len(a) != len(b) {
		return fmt.Errorf("stitch: tiles %d and %d: shared boxes of %d and %d voxels", i, j, len(a), len(b))
	}
	elem := func(t int, l uint32) uint32 {
		p, _ := slices.BinarySearch(s.faces[t], l)
		return uint32(off[t]) + uint32(p)
	}
	unite := func(la, lb uint32) {
		ea, eb := elem(i, la), elem(j, lb)
		if uf.Find(ea) != uf.Find(eb) {
			uf.Union(ea, eb)
			s.joins++
		}
	}
	if g.rule == Touch || iou == 0 {
		var last uint64
		for p, la := range a {
			if lb := b[p]; la != 0 && lb != 0 {
				if key := uint64(la)<<32 | uint64(lb); key != last {
					unite(la, lb)
					last = key
				}
			}
		}
		return nil
	}
	inter := make(map[uint64]uint32)
	na, nb := make(map[uint32]uint32), make(map[uint32]uint32)
	for p, la := range a {
		lb := b[p]
		if la != 0 {
			na[la]++
		}
		if lb != 0 {
			nb[lb]++
		}
		if la != 0 && lb != 0 {
			inter[uint64(la)<<32|uint64(lb)]++
		}
	}
	keys := make([]uint64, 0, len(inter))
	for key := range inter {
		keys = append(keys, key)
	}
	slices.Sort(keys) // unions in a fixed order (the result does not depend on it)
	for _, key := range keys {
		la, lb := uint32(key>>32), uint32(key)
		c := float64(inter[key])
		if c/(float64(na[la])+float64(nb[lb])-c) >= iou {
			unite(la, lb)
		}
	}
	return nil
}

// number gives every set with a label in some Dest box an ID, in order of
// that set's first such label.
func (s *solution) number(uf *label.UnionFind, off []uint64) {
	const none = math.MaxUint32
	root := uf.Flatten()
	rep := make([]uint32, len(root)) // per root: its first label in a Dest box
	for i := range rep {
		rep[i] = none
	}
	for t, f := range s.faces {
		for p, l := range f {
			e := uint32(off[t]) + uint32(p)
			if l <= s.k[t] && rep[root[e]] == none {
				rep[root[e]] = e
			}
		}
	}
	repID := make(map[uint32]uint64) // IDs of the representatives
	s.ids = make([][]uint64, len(s.faces))
	for t, f := range s.faces {
		s.base[t] = s.objects
		s.ids[t] = make([]uint64, len(f))
		p := 0
		for l := uint32(1); l <= s.k[t]; l++ {
			if p < len(f) && f[p] == l {
				e := uint32(off[t]) + uint32(p)
				r := rep[root[e]]
				if r == e {
					s.objects++
					repID[e] = s.objects
				}
				s.ids[t][p] = repID[r]
				p++
				continue
			}
			s.objects++
		}
	}
}

// table returns tile i's map from labels 0..k to final IDs.
func (s *solution) table(i int) []uint64 {
	m := make([]uint64, s.k[i]+1)
	id := s.base[i]
	if s.rule == Own {
		for l := range m[1:] {
			m[l+1] = id + uint64(l) + 1
		}
		return m
	}
	f := s.faces[i]
	p := 0
	for l := uint32(1); l <= s.k[i]; l++ {
		if p < len(f) && f[p] == l {
			m[l] = s.ids[i][p]
			if m[l] > id {
				id = m[l] // this tile's representative: a new ID
			}
			p++
			continue
		}
		id++
		m[l] = id
	}
	return m
}
