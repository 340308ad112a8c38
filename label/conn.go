package label

import (
	"fmt"

	"github.com/ryomen-dev/ryomen/nd"
)

// Conn is a neighbourhood: two voxels are neighbours when their
// coordinates differ by at most 1 on every axis and on at most Order axes
// (scipy.ndimage.generate_binary_structure(rank, Order), skimage's
// connectivity=Order). Order 1 is the face neighbourhood (4 in 2-D, 6 in
// 3-D) and Order = rank the full one (8 in 2-D, 26 in 3-D).
type Conn struct {
	Rank, Order int
}

// ParseConn reads a connectivity for an image of the given rank: either an
// order 1..rank, or a neighbour count, 4 or 8 in 2-D and 6, 18 or 26 in
// 3-D. Other values are an error naming the value and the rank.
func ParseConn(rank, n int) (Conn, error) {
	if rank < 1 {
		return Conn{}, fmt.Errorf("label: connectivity for rank %d: need rank >= 1", rank)
	}
	if n >= 1 && n <= rank {
		return Conn{Rank: rank, Order: n}, nil
	}
	counts := map[[2]int]int{{2, 4}: 1, {2, 8}: 2, {3, 6}: 1, {3, 18}: 2, {3, 26}: 3}
	if o, ok := counts[[2]int{rank, n}]; ok {
		return Conn{Rank: rank, Order: o}, nil
	}
	return Conn{}, fmt.Errorf("label: connectivity %d for rank %d: want 1..%d, or 4/8 in 2-D, 6/18/26 in 3-D", n, rank, rank)
}

// Valid reports whether the order is between 1 and the rank.
func (c Conn) Valid() bool { return c.Rank >= 1 && c.Order >= 1 && c.Order <= c.Rank }

// Neighbours returns the number of neighbours of an inner voxel (6, 18 or
// 26 in 3-D).
func (c Conn) Neighbours() int { return len(c.Offsets(false)) }

// Offsets returns the neighbour offsets in C order of the offset vector.
// With back set, only the ones before the voxel in C scan order (the first
// non-zero coordinate is -1): half of them, the ones a scan has already
// visited.
func (c Conn) Offsets(back bool) [][]int {
	var out [][]int
	cube := nd.Box{Min: make([]int, c.Rank), Max: make([]int, c.Rank)}
	for i := range c.Rank {
		cube.Min[i], cube.Max[i] = -1, 2
	}
	for d := range cube.Points() {
		nz, first := 0, 0
		for _, v := range d {
			if v != 0 {
				if nz == 0 {
					first = v
				}
				nz++
			}
		}
		if nz > 0 && nz <= c.Order && (!back || first < 0) {
			out = append(out, append([]int(nil), d...))
		}
	}
	return out
}
