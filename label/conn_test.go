package label

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

func TestParseConn(t *testing.T) {
	for _, c := range []struct{ rank, n, order, neigh int }{
		{2, 4, 1, 4}, {2, 8, 2, 8}, {3, 6, 1, 6}, {3, 18, 2, 18}, {3, 26, 3, 26},
		{2, 1, 1, 4}, {3, 2, 2, 18}, {1, 1, 1, 2}, {4, 4, 4, 80},
	} {
		got, err := ParseConn(c.rank, c.n)
		if err != nil || got.Order != c.order || got.Neighbours() != c.neigh {
			t.Errorf("ParseConn(%d, %d) = %+v (%d neighbours), %v; want order %d, %d neighbours", c.rank, c.n, got, got.Neighbours(), err, c.order, c.neigh)
		}
		back := got.Offsets(true)
		if 2*len(back) != c.neigh {
			t.Errorf("rank %d order %d: %d backward offsets of %d", c.rank, c.order, len(back), c.neigh)
		}
	}
	for _, c := range [][2]int{{3, 4}, {3, 8}, {2, 6}, {2, 3}, {3, 0}, {0, 1}} {
		if _, err := ParseConn(c[0], c[1]); err == nil || !strings.Contains(err.Error(), "connectivity") {
			t.Errorf("ParseConn(%d, %d): error %v", c[0], c[1], err)
		}
	}
}

func TestUnionFindSmallestRoot(t *testing.T) {
	u := NewUnionFind(6)
	u.Union(4, 2)
	u.Union(5, 4)
	u.Union(3, 1)
	if r := u.Find(5); r != 2 {
		t.Errorf("root of 5 is %d, want the smallest member 2", r)
	}
	p := u.Flatten()
	want := []uint32{0, 1, 2, 1, 2, 2}
	for i := range want {
		if p[i] != want[i] {
			t.Fatalf("flattened %v, want %v", p, want)
		}
	}
}

// checker2D is a 2-D checkerboard: n*n/2 one-voxel objects at order 1.
func checker2D(n int) *nd.Array[uint8] {
	a := nd.New[uint8]([]int{n, n}, nd.C)
	for y := range n {
		for x := range n {
			if (x+y)%2 == 0 {
				a.Set(1, y, x)
			}
		}
	}
	return a
}

func TestOutDTypeAndBudget(t *testing.T) {
	ctx := context.Background()
	a := checker2D(32)
	tab, err := Prepare(ctx, a, Options{Conn: Conn{2, 1}, Chunks: []int{8, 8}})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Objects() != 512 {
		t.Fatalf("%d objects, want 512", tab.Objects())
	}
	if dt, err := tab.OutDType(nd.Invalid); err != nil || dt != nd.Uint32 {
		t.Errorf("auto dtype %v, %v", dt, err)
	}
	if _, err := tab.OutDType(nd.Uint8); err == nil || !strings.Contains(err.Error(), "512 objects") {
		t.Errorf("uint8 for 512 objects: %v", err)
	}
	if _, err := tab.OutDType(nd.Int32); err == nil {
		t.Error("int32 output accepted")
	}
	if dt, err := tab.OutDType(nd.Uint16); err != nil || dt != nd.Uint16 {
		t.Errorf("uint16: %v %v", dt, err)
	}
	// At order 2 the checkerboard is one object.
	if tab2, err := Prepare(ctx, a, Options{Conn: Conn{2, 2}, Chunks: []int{5, 7}}); err != nil || tab2.Objects() != 1 {
		t.Errorf("order 2: %v objects, %v", tab2, err)
	}
	if _, err := Prepare(ctx, a, Options{Conn: Conn{2, 1}, Chunks: []int{8, 8}, Memory: 1000}); !errors.Is(err, ErrBudget) {
		t.Errorf("1000-byte budget: %v, want ErrBudget", err)
	}
	if _, err := tab.Relabel(ctx, a.Sub(nd.NewBox([]int{0, 0}, []int{8, 9})), nd.NewBox([]int{0, 0}, []int{8, 9}), nd.Uint32, nil); err == nil || !strings.Contains(err.Error(), "not one block") {
		t.Errorf("unaligned region: %v", err)
	}
	if _, err := Prepare(ctx, a, Options{Conn: Conn{3, 1}, Chunks: []int{8, 8}}); err == nil {
		t.Error("3-D connectivity for a 2-D image accepted")
	}
}
