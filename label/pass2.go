package label

import (
	"context"
	"fmt"
	"math"
)

// bitset is a set of small non-negative integers.
type bitset []uint64

func newBitset(n int) bitset       { return make(bitset, n/64+1) }
func (s bitset) has(k uint32) bool { return s[k>>6]&(1<<(k&63)) != 0 }
func (s bitset) set(k uint32)      { s[k>>6] |= 1 << (k & 63) }

// pass2 unites face labels across block faces, sums their counts per
// object, applies the size filter and gives final IDs.
func (t *Table) pass2(ctx context.Context, infos []*blockInfo) error {
	var f uint64
	for k, in := range infos {
		t.fbase[k] = uint32(f)
		f += uint64(len(in.labels))
		if f >= math.MaxUint32 {
			return fmt.Errorf("%w: more than 2^32-2 object pieces touch block faces; use larger chunks", ErrBudget)
		}
		t.n[k], t.surv[k] = in.n, in.surv
	}
	t.fbase[len(infos)] = uint32(f)
	if m := t.o.Memory; m > 0 {
		var used int64
		for _, in := range infos {
			used += in.bytes()
		}
		if used+int64(f)*(4+8+4) > m {
			return fmt.Errorf("%w: %d object pieces touch block faces; their tables need about %d MiB, the budget is %d MiB: use larger chunks or a larger budget",
				ErrBudget, f, (used+int64(f)*16)>>20, m>>20)
		}
	}
	uf := NewUnionFind(int(f))
	for k := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		t.uniteBlock(uf, infos, k)
	}
	for _, in := range infos {
		in.planes = nil // the planes are done with: free them before the tables grow
	}
	t.resolve(uf, infos)
	return nil
}

// uniteBlock unites the face labels of block k's high faces with those of
// the blocks across them: for axis a, every neighbour offset d with
// d[a] = +1 from a voxel on the high face lands on the low face (axis a) of
// the next block along a, or of a diagonal neighbour of it.
func (t *Table) uniteBlock(uf *UnionFind, infos []*blockInfo, k int) {
	b, g := t.box(k)
	r := len(t.shape)
	offs := t.o.Conn.Offsets(false)
	q := make([]int, r)
	for a := range r {
		if g[a] == t.grid[a]-1 {
			continue
		}
		pl := infos[k].planes[2*a+1]
		var ds [][]int
		for _, d := range offs {
			if d[a] == 1 {
				ds = append(ds, d)
			}
		}
		// u walks the face in global coordinates.
		u := append([]int(nil), b.Min...)
		u[a] = b.Max[a] - 1
		for i, fa := range pl {
			if fa != 0 {
				for _, d := range ds {
					for j := range q {
						q[j] = u[j] + d[j]
					}
					if fb, kb := t.faceAt(infos, q, a); fb != 0 {
						t.unite(uf, infos, k, fa-1, kb, fb-1)
					}
				}
			}
			if i < len(pl)-1 {
				for j := r - 1; j >= 0; j-- {
					if j == a {
						continue
					}
					u[j]++
					if u[j] < b.Max[j] {
						break
					}
					u[j] = b.Min[j]
				}
			}
		}
	}
}

// faceAt returns the face label + 1 at global point q on the low face
// (axis a) of its block, and the block; 0 when q is outside the image or
// background.
func (t *Table) faceAt(infos []*blockInfo, q []int, a int) (uint32, int) {
	for i, v := range q {
		if v < 0 || v >= t.shape[i] {
			return 0, 0
		}
	}
	kb := t.blockOf(q)
	pl := infos[kb].planes[2*a]
	// Index of q in the plane: C order over the block's axes except a.
	idx := 0
	for i, v := range q {
		if i == a {
			continue
		}
		lo := v / t.o.Chunks[i] * t.o.Chunks[i]
		ext := min(t.shape[i], lo+t.o.Chunks[i]) - lo
		idx = idx*ext + v - lo
	}
	return pl[idx], kb
}

func (t *Table) unite(uf *UnionFind, infos []*blockInfo, ka int, ia uint32, kb int, ib uint32) {
	if t.o.Semantic && infos[ka].values[ia] != infos[kb].values[ib] {
		return
	}
	uf.Union(t.fbase[ka]+ia, t.fbase[kb]+ib)
}

// resolve sums counts per object, applies the size filter and numbers the
// objects in the order of their first piece (block order, then local
// label order), which is the order of the dense face label index.
func (t *Table) resolve(uf *UnionFind, infos []*blockInfo) {
	f := uf.Len()
	par := uf.Flatten()
	total := make([]uint64, f) // per root; then the final ID of each face label
	t.partial = newBitset(f)
	for k, in := range infos {
		for i := range in.labels {
			j := t.fbase[k] + uint32(i)
			c := uint64(1) // without a size filter, counts are not kept
			if in.counts != nil {
				c = uint64(in.counts[i])
			}
			total[par[j]] += c
			if par[j] != j {
				t.partial.set(par[j])
				t.partial.set(j)
			}
		}
		in.counts = nil
	}
	t.owner = newBitset(f)
	t.flabel = make([]uint32, 0, f)
	var next uint64
	for k, in := range infos {
		t.base[k] = next
		var owned uint32
		for i := range in.labels {
			j := t.fbase[k] + uint32(i)
			switch {
			case par[j] != j:
				total[j] = total[par[j]] // the root's final ID, or 0
			case total[j] >= max(t.o.MinSize, 1):
				total[j] = next + uint64(in.before[i]) + uint64(owned) + 1
				t.owner.set(j)
				owned++
			default:
				total[j] = 0
			}
		}
		t.flabel = append(t.flabel, in.labels...)
		next += uint64(in.surv) + uint64(owned)
		infos[k] = nil
	}
	t.final, t.objects = total, next
}
