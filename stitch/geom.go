package stitch

import (
	"fmt"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// geom is what stitching needs of a plan: the tiles' boxes in output
// coordinates (equal to image coordinates on the tiled axes; the leading
// axes of the output have length 1) and the pairs of neighbouring tiles.
type geom struct {
	p     *tile.Plan
	rule  Rule
	lead  int
	shape []int // output shape
	grid  []int
	// nbrs[i] lists, in plan order, the tiles paired with tile i: whose
	// regions overlap i's (Overlap, Own) or whose Dest shares a face with
	// i's (Touch).
	nbrs [][]int
}

func newGeom(p *tile.Plan, rule Rule) (*geom, error) {
	in, out := p.Shape(), p.OutShape()
	grid := p.Grid()
	lead := len(in) - len(grid)
	cs, ocs := p.CropShape(), p.OutCropShape()
	for d := range out {
		if d < lead && out[d] != 1 {
			return nil, fmt.Errorf("stitch: output axis %d has length %d: instance labels need length 1 on the untiled axes", d, out[d])
		}
		if d >= lead && (out[d] != in[d] || ocs[d] != cs[d]) {
			return nil, fmt.Errorf("stitch: tiled axis %d has an output scale other than 1 (image %d -> %d)", d, in[d], out[d])
		}
	}
	g := &geom{p: p, rule: rule, lead: lead, shape: out, grid: grid}
	if p.Len() > maxTiles {
		return nil, fmt.Errorf("stitch: %d tiles, at most %d", p.Len(), maxTiles)
	}
	ranges := make([][][2]int, len(grid)) // per axis and crop: overlapping crops [lo, hi)
	for k := range grid {
		st, c, n := p.Starts(k), cs[lead+k], in[lead+k]
		ranges[k] = make([][2]int, len(st))
		for a := range st {
			lo, hi := a, a+1
			for lo > 0 && overlaps(st[lo-1], st[a], c, n) {
				lo--
			}
			for hi < len(st) && overlaps(st[hi], st[a], c, n) {
				hi++
			}
			ranges[k][a] = [2]int{lo, hi}
		}
	}
	g.nbrs = make([][]int, p.Len())
	pos := make([]int, len(grid))
	for i := range g.nbrs {
		g.position(i, pos)
		if rule == Touch {
			for k := range grid {
				for _, s := range []int{-1, 1} {
					if q := pos[k] + s; q >= 0 && q < grid[k] {
						pos[k] = q
						g.nbrs[i] = append(g.nbrs[i], g.index(pos))
						pos[k] -= s
					}
				}
			}
			slices.Sort(g.nbrs[i])
			continue
		}
		lo, hi := make([]int, len(grid)), make([]int, len(grid))
		for k := range grid {
			lo[k], hi[k] = ranges[k][pos[k]][0], ranges[k][pos[k]][1]
		}
		q := slices.Clone(lo)
		for {
			if j := g.index(q); j != i {
				g.nbrs[i] = append(g.nbrs[i], j)
			}
			k := len(q) - 1
			for ; k >= 0; k-- {
				if q[k]++; q[k] < hi[k] {
					break
				}
				q[k] = lo[k]
			}
			if k < 0 {
				break
			}
		}
	}
	return g, nil
}

// maxTiles bounds the tiles of a stitched plan: every tile keeps a record
// of a few words while the equivalences are solved.
const maxTiles = 1 << 31

// overlaps reports whether crops starting at a and b (of size c, clipped
// to [0, n)) share an image voxel.
func overlaps(a, b, c, n int) bool {
	return max(a, b, 0) < min(a+c, b+c, n)
}

func (g *geom) position(i int, pos []int) {
	for k := len(g.grid) - 1; k >= 0; k-- {
		pos[k] = i % g.grid[k]
		i /= g.grid[k]
	}
}

func (g *geom) index(pos []int) int {
	i := 0
	for k, v := range pos {
		i = i*g.grid[k] + v
	}
	return i
}

// boxes of tile i in output coordinates: the crop (origin of the
// function's result), the region (crop inside the image) and Dest.
type boxes struct {
	crop, region, dest nd.Box
}

func (g *geom) boxes(i int) boxes {
	t := g.p.Tile(i)
	c := nd.Box{Min: slices.Clone(t.Region.Min), Max: slices.Clone(t.Region.Max)}
	for d := range c.Min {
		c.Min[d] = t.Region.Min[d] - t.RegionSource.Min[d]
		c.Max[d] = c.Min[d] + g.p.OutCropShape()[d]
	}
	return boxes{crop: c, region: t.Region, dest: t.Dest}
}

// shared returns the box tiles i and j exchange, in output coordinates:
// the intersection of their regions (Overlap), the plane of i's Dest on
// the face it shares with j's (Touch), or i's region inside j's Dest
// (Own: where i's kept objects spill into j).
func (g *geom) shared(i, j int) nd.Box {
	a, b := g.boxes(i), g.boxes(j)
	switch g.rule {
	case Touch:
		f := a.dest
		f = nd.Box{Min: slices.Clone(f.Min), Max: slices.Clone(f.Max)}
		for d := range f.Min {
			switch {
			case b.dest.Min[d] == a.dest.Max[d]:
				f.Min[d] = f.Max[d] - 1
			case b.dest.Max[d] == a.dest.Min[d]:
				f.Max[d] = f.Min[d] + 1
			}
		}
		return f
	case Own:
		return a.region.Intersect(b.dest)
	}
	return a.region.Intersect(b.region)
}

// rows calls f(off, n) for every row (run along the last axis) of box b
// of a C-order array of the given shape, b in the array's coordinates, in
// C order.
func rows(shape []int, b nd.Box, f func(off, n int)) {
	if b.Empty() {
		return
	}
	r := len(shape)
	st := nd.Strides(shape, nd.C)
	idx := slices.Clone(b.Min)
	n := b.Max[r-1] - b.Min[r-1]
	for {
		off := 0
		for d := range idx {
			off += idx[d] * st[d]
		}
		f(off, n)
		d := r - 2
		for ; d >= 0; d-- {
			if idx[d]++; idx[d] < b.Max[d] {
				break
			}
			idx[d] = b.Min[d]
		}
		if d < 0 {
			return
		}
	}
}

// extract copies box b (in the array's coordinates) of a C-order array of
// the given shape into a new C-order slice.
func extract(v []uint32, shape []int, b nd.Box) []uint32 {
	n, _ := b.Size()
	out := make([]uint32, 0, n)
	rows(shape, b, func(off, n int) { out = append(out, v[off:off+n]...) })
	return out
}

func neg(v []int) []int {
	o := make([]int, len(v))
	for i, x := range v {
		o[i] = -x
	}
	return o
}
