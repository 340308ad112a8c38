package label

// UnionFind is a disjoint-set forest over the dense indices 0..Len()-1 in
// which the root of every set is its smallest member: Union links the
// larger root under the smaller, so a parent is always smaller than its
// child. That order is what makes the resolution in one ascending sweep
// possible (see [UnionFind.Flatten]) and what numbers objects by their
// first piece. It costs 4 bytes per element.
type UnionFind struct {
	p []uint32
}

// NewUnionFind returns n singletons. It panics if n exceeds 2^32-1 (a
// programming error: callers check their counts first).
func NewUnionFind(n int) *UnionFind {
	if uint64(n) > 1<<32-1 {
		panic("label: NewUnionFind: more than 2^32-1 elements")
	}
	u := &UnionFind{p: make([]uint32, n)}
	for i := range u.p {
		u.p[i] = uint32(i)
	}
	return u
}

// Len returns the number of elements.
func (u *UnionFind) Len() int { return len(u.p) }

// Add appends a singleton and returns its index.
func (u *UnionFind) Add() uint32 {
	i := uint32(len(u.p))
	u.p = append(u.p, i)
	return i
}

// Find returns the root (smallest member) of x's set, halving the path.
func (u *UnionFind) Find(x uint32) uint32 { return find(u.p, x) }

// Union merges the sets of a and b and returns the new root.
func (u *UnionFind) Union(a, b uint32) uint32 { return union(u.p, a, b) }

// Flatten makes every element point at its root in one ascending sweep and
// returns the parent slice (parent[i] is the root of i, parent[i] == i for
// roots). Later unions are allowed but undo the flattening.
func (u *UnionFind) Flatten() []uint32 {
	for i, q := range u.p {
		u.p[i] = u.p[q] // q < i is already flat; q == i is a root
	}
	return u.p
}

func find(p []uint32, x uint32) uint32 {
	for p[x] != x {
		p[x] = p[p[x]]
		x = p[x]
	}
	return x
}

func union(p []uint32, a, b uint32) uint32 {
	a, b = find(p, a), find(p, b)
	switch {
	case a < b:
		p[b] = a
		return a
	case b < a:
		p[a] = b
		return b
	}
	return a
}
