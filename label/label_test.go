package label

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/npy"
)

// randomMask returns a uint8 array with values in 1..classes at the given
// density (0 elsewhere).
func randomMask(rng *rand.Rand, shape []int, density float64, classes int) *nd.Array[uint8] {
	a := nd.New[uint8](shape, nd.C)
	d := a.Data()
	for i := range d {
		if rng.Float64() < density {
			d[i] = uint8(1 + rng.IntN(classes))
		}
	}
	return a
}

// floodFill is the reference: breadth-first search from every unlabelled
// foreground voxel over all neighbour offsets, checking bounds by
// coordinates.
func floodFill(a *nd.Array[uint8], c Conn, semantic bool) ([]uint32, int) {
	shape := a.Shape()
	v := a.Data()
	lab := make([]uint32, len(v))
	offs := c.Offsets(false)
	coord := func(p int) []int {
		q := make([]int, len(shape))
		for i := len(shape) - 1; i >= 0; i-- {
			q[i] = p % shape[i]
			p /= shape[i]
		}
		return q
	}
	same := func(x, y uint8) bool { return x != 0 && y != 0 && (!semantic || x == y) }
	n := 0
	for s := range v {
		if v[s] == 0 || lab[s] != 0 {
			continue
		}
		n++
		lab[s] = uint32(n)
		queue := []int{s}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			pc := coord(p)
		next:
			for _, d := range offs {
				q := 0
				for i, x := range pc {
					y := x + d[i]
					if y < 0 || y >= shape[i] {
						continue next
					}
					q = q*shape[i] + y
				}
				if lab[q] == 0 && same(v[p], v[q]) {
					lab[q] = uint32(n)
					queue = append(queue, q)
				}
			}
		}
	}
	return lab, n
}

// sameUpToRenumbering reports where two labellings differ other than by a
// bijection between their non-zero labels.
func sameUpToRenumbering(got []uint32, want []uint32) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d voxels, want %d", len(got), len(want))
	}
	fw, bw := map[uint32]uint32{}, map[uint32]uint32{}
	for p := range got {
		g, w := got[p], want[p]
		if (g == 0) != (w == 0) {
			return fmt.Errorf("voxel %d: label %d, reference %d", p, g, w)
		}
		if g == 0 {
			continue
		}
		if x, ok := fw[g]; ok && x != w {
			return fmt.Errorf("voxel %d: label %d covers reference labels %d and %d", p, g, x, w)
		}
		if x, ok := bw[w]; ok && x != g {
			return fmt.Errorf("voxel %d: reference label %d split into %d and %d", p, w, x, g)
		}
		fw[g], bw[w] = w, g
	}
	return nil
}

func labelAll(t *testing.T, a nd.Reader, o Options) (*Table, []uint32) {
	t.Helper()
	dst := nd.New[uint32](a.Shape(), nd.C)
	tab, err := Label(context.Background(), a, dst, o, nil, Format{})
	if err != nil {
		t.Fatal(err)
	}
	return tab, dst.Data()
}

// TestLabelMatchesFloodFill compares the out-of-core labelling with a
// breadth-first flood fill on random masks and label images, 1-D to 4-D,
// every connectivity, several densities (around the percolation
// thresholds, where objects are large and winding) and block shapes that
// cut objects, including blocks 1 voxel thick.
func TestLabelMatchesFloodFill(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][]int{{37}, {23, 31}, {9, 1, 17}, {11, 13, 10}, {5, 6, 4, 7}}
	for _, shape := range shapes {
		r := len(shape)
		for order := 1; order <= r; order++ {
			for _, density := range []float64{0.1, 0.3, 0.5, 0.8} {
				for _, semantic := range []bool{false, true} {
					classes := 1
					if semantic {
						classes = 3
					}
					a := randomMask(rng, shape, density, classes)
					c := Conn{Rank: r, Order: order}
					want, wn := floodFill(a, c, semantic)
					for trial := range 3 {
						chunks := make([]int, r)
						for i := range chunks {
							chunks[i] = 1 + rng.IntN(shape[i])
						}
						if trial == 0 {
							chunks[0] = 1
						}
						tab, got := labelAll(t, a, Options{Conn: c, Semantic: semantic, Chunks: chunks, Workers: 2})
						name := fmt.Sprintf("shape %v order %d density %.1f semantic %v chunks %v", shape, order, density, semantic, chunks)
						if err := sameUpToRenumbering(got, want); err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						if tab.Objects() != uint64(wn) {
							t.Fatalf("%s: %d objects, reference %d", name, tab.Objects(), wn)
						}
						checkScanOrder(t, name, got)
					}
				}
			}
		}
	}
}

// checkScanOrder checks that IDs are 1..n, consecutive, each first seen
// after the previous one in block order: here, that every ID appears.
func checkScanOrder(t *testing.T, name string, got []uint32) {
	t.Helper()
	seen := map[uint32]bool{}
	var most uint32
	for _, l := range got {
		if l != 0 {
			seen[l] = true
			most = max(most, l)
		}
	}
	if len(seen) != int(most) {
		t.Fatalf("%s: %d distinct IDs but the largest is %d: IDs are not consecutive", name, len(seen), most)
	}
}

// TestLabelSemanticTouching: two classes that touch stay two objects, one
// class split by another stays two objects, and across block faces too.
func TestLabelSemanticTouching(t *testing.T) {
	a := nd.FromSlice([]uint8{
		1, 1, 2, 2,
		1, 1, 2, 2,
		0, 3, 3, 0,
		1, 3, 3, 1,
	}, []int{4, 4}, nd.C)
	for _, chunks := range [][]int{{4, 4}, {2, 2}, {1, 3}} {
		for _, order := range []int{1, 2} {
			_, got := labelAll(t, a, Options{Conn: Conn{2, order}, Semantic: true, Chunks: chunks})
			want := []uint32{1, 1, 2, 2, 1, 1, 2, 2, 0, 3, 3, 0, 4, 3, 3, 5}
			if err := sameUpToRenumbering(got, want); err != nil {
				t.Errorf("chunks %v order %d: %v (got %v)", chunks, order, err, got)
			}
			_, bin := labelAll(t, a, Options{Conn: Conn{2, order}, Chunks: chunks})
			for p, l := range bin {
				if (l == 1) != (a.Data()[p] != 0) {
					t.Fatalf("mask mode, chunks %v: voxel %d has label %d; all foreground is one object", chunks, p, l)
				}
			}
		}
	}
}

// TestLabelSizeFilterAndStats checks MinSize and the objects table against
// statistics computed directly from the reference labelling.
func TestLabelSizeFilterAndStats(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shape := []int{13, 17, 19}
	a := randomMask(rng, shape, 0.3, 2)
	for _, semantic := range []bool{false, true} {
		c := Conn{3, 2}
		ref, n := floodFill(a, c, semantic)
		sizes := make([]int, n+1)
		for _, l := range ref {
			sizes[l]++
		}
		const minSize = 4
		dst := nd.New[uint32](shape, nd.C)
		var csv bytes.Buffer
		o := Options{Conn: c, Semantic: semantic, Chunks: []int{5, 4, 7}, MinSize: minSize}
		tab, err := Label(context.Background(), a, dst, o, &csv, Format{Axes: []string{"z", "y", "x"}, Class: semantic})
		if err != nil {
			t.Fatal(err)
		}
		kept := 0
		filtered := make([]uint32, len(ref))
		for p, l := range ref {
			if l != 0 && sizes[l] >= minSize {
				filtered[p] = l
			}
		}
		for l := 1; l <= n; l++ {
			if sizes[l] >= minSize {
				kept++
			}
		}
		if err := sameUpToRenumbering(dst.Data(), filtered); err != nil {
			t.Fatalf("semantic %v: size filter: %v", semantic, err)
		}
		if tab.Objects() != uint64(kept) {
			t.Fatalf("%d objects kept, want %d", tab.Objects(), kept)
		}
		want := statsOf(dst.Data(), a.Data(), shape, semantic)
		lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
		if len(lines) != kept+1 {
			t.Fatalf("table has %d lines, want header + %d", len(lines), kept)
		}
		if !strings.HasPrefix(lines[0], "id,voxels,") || !strings.Contains(lines[0], "centroid_x") {
			t.Errorf("header %q", lines[0])
		}
		for _, ln := range lines[1:] {
			id := ln[:strings.IndexByte(ln, ',')]
			if want[id] != ln {
				t.Errorf("semantic %v: row %q, want %q", semantic, ln, want[id])
			}
		}
	}
}

// statsOf computes each object's table row directly from the labels.
func statsOf(lab []uint32, vals []uint8, shape []int, class bool) map[string]string {
	type acc struct {
		n      uint64
		mn, mx [3]int
		sum    [3]uint64
		class  uint8
	}
	m := map[uint32]*acc{}
	for p, l := range lab {
		if l == 0 {
			continue
		}
		c := [3]int{p / (shape[1] * shape[2]), p / shape[2] % shape[1], p % shape[2]}
		a := m[l]
		if a == nil {
			a = &acc{mn: c, mx: c, class: vals[p]}
			m[l] = a
		}
		a.n++
		for i := range 3 {
			a.mn[i] = min(a.mn[i], c[i])
			a.mx[i] = max(a.mx[i], c[i])
			a.sum[i] += uint64(c[i])
		}
	}
	out := map[string]string{}
	for l, a := range m {
		s := fmt.Sprintf("%d,%d", l, a.n)
		if class {
			s += fmt.Sprintf(",%d", a.class)
		}
		s += fmt.Sprintf(",%d,%d,%d,%d,%d,%d", a.mn[0], a.mn[1], a.mn[2], a.mx[0]+1, a.mx[1]+1, a.mx[2]+1)
		for i := range 3 {
			s += "," + fmt.Sprint(float64(a.sum[i])/float64(a.n))
		}
		out[fmt.Sprint(l)] = s
	}
	return out
}

const python = "/usr/bin/python3"

// needPython skips (or under CI=true fails) when python3 lacks a module.
func needPython(t *testing.T, modules string) {
	t.Helper()
	if out, err := exec.Command(python, "-c", "import "+modules).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 with %s unavailable (apt-get install python3-scipy python3-skimage): %v %s", modules, err, out)
		}
		t.Skipf("python3 with %s unavailable (apt-get install python3-scipy python3-skimage): %v", modules, err)
	}
}

// refScript labels argv[1] with scipy.ndimage.label and
// skimage.measure.label at connectivity argv[2] and saves both.
const refScript = `import sys, numpy as np, scipy.ndimage as ndi, skimage.measure as skm
a = np.load(sys.argv[1]); c = int(sys.argv[2])
s, n = ndi.label(a, structure=ndi.generate_binary_structure(a.ndim, c))
k = skm.label(a != 0, connectivity=c, background=0)
np.save(sys.argv[3], s.astype(np.uint32)); np.save(sys.argv[4], k.astype(np.uint32))
print(n, k.max())
`

// TestLabelMatchesScipyAndSkimage is the differential test against
// scipy.ndimage.label (structure generate_binary_structure(rank, c)) and
// skimage.measure.label(connectivity=c) on random masks of several
// densities, 2-D and 3-D, every connectivity, blocks that cut objects.
func TestLabelMatchesScipyAndSkimage(t *testing.T) {
	needPython(t, "numpy, scipy.ndimage, skimage.measure")
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		shape  []int
		chunks [][]int
	}{
		{[]int{64, 80}, [][]int{{7, 9}, {1, 80}, {64, 1}, {16, 16}}},
		{[]int{24, 30, 28}, [][]int{{5, 7, 6}, {1, 30, 28}, {24, 1, 5}, {8, 8, 8}}},
	}
	for _, cs := range cases {
		r := len(cs.shape)
		for _, density := range []float64{0.2, 0.35, 0.6} {
			a := randomMask(rng, cs.shape, density, 1)
			in := filepath.Join(dir, "in.npy")
			if err := npy.WriteFile(in, a); err != nil {
				t.Fatal(err)
			}
			for order := 1; order <= r; order++ {
				sp, kp := filepath.Join(dir, "scipy.npy"), filepath.Join(dir, "skimage.npy")
				out, err := exec.Command(python, "-c", refScript, in, fmt.Sprint(order), sp, kp).CombinedOutput()
				if err != nil {
					t.Fatalf("reference: %v\n%s", err, out)
				}
				var ns, nk uint64
				fmt.Sscan(string(out), &ns, &nk)
				for _, chunks := range cs.chunks {
					tab, got := labelAll(t, a, Options{Conn: Conn{r, order}, Chunks: chunks})
					for _, ref := range []struct {
						name string
						path string
						n    uint64
					}{{"scipy", sp, ns}, {"skimage", kp, nk}} {
						ra, err := npy.ReadFile(ref.path)
						if err != nil {
							t.Fatal(err)
						}
						name := fmt.Sprintf("%s: shape %v density %.2f connectivity %d chunks %v", ref.name, cs.shape, density, order, chunks)
						if err := sameUpToRenumbering(got, ra.(*nd.Array[uint32]).Data()); err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						if tab.Objects() != ref.n {
							t.Fatalf("%s: %d objects, reference %d", name, tab.Objects(), ref.n)
						}
					}
				}
			}
		}
	}
}

// semScript labels each class of argv[1] separately with
// scipy.ndimage.label at connectivity argv[2], numbering the classes'
// objects one after another, and saves the result.
const semScript = `import sys, numpy as np, scipy.ndimage as ndi
a = np.load(sys.argv[1]); c = int(sys.argv[2])
st = ndi.generate_binary_structure(a.ndim, c)
out = np.zeros(a.shape, np.uint32); total = 0
for v in np.unique(a[a != 0]):
    l, n = ndi.label(a == v, structure=st)
    out[l != 0] = l[l != 0] + total; total += n
np.save(sys.argv[3], out); print(total)
`

// TestLabelSemanticMatchesScipy: a label image of four touching classes
// equals scipy.ndimage.label run on each class alone, in 2-D and 3-D,
// every connectivity, blocks that cut objects.
func TestLabelSemanticMatchesScipy(t *testing.T) {
	needPython(t, "numpy, scipy.ndimage")
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(13, 14))
	for _, shape := range [][]int{{50, 60}, {20, 24, 26}} {
		a := randomMask(rng, shape, 0.7, 4)
		in, ref := filepath.Join(dir, "sem.npy"), filepath.Join(dir, "ref.npy")
		if err := npy.WriteFile(in, a); err != nil {
			t.Fatal(err)
		}
		r := len(shape)
		for order := 1; order <= r; order++ {
			out, err := exec.Command(python, "-c", semScript, in, fmt.Sprint(order), ref).CombinedOutput()
			if err != nil {
				t.Fatalf("reference: %v\n%s", err, out)
			}
			var n uint64
			fmt.Sscan(string(out), &n)
			ra, err := npy.ReadFile(ref)
			if err != nil {
				t.Fatal(err)
			}
			chunks := make([]int, r)
			for i := range chunks {
				chunks[i] = 3 + rng.IntN(8)
			}
			tab, got := labelAll(t, a, Options{Conn: Conn{r, order}, Semantic: true, Chunks: chunks})
			if err := sameUpToRenumbering(got, ra.(*nd.Array[uint32]).Data()); err != nil {
				t.Fatalf("shape %v connectivity %d chunks %v: %v", shape, order, chunks, err)
			}
			if tab.Objects() != n {
				t.Fatalf("shape %v connectivity %d: %d objects, scipy %d", shape, order, tab.Objects(), n)
			}
		}
	}
}
