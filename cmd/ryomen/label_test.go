package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/npy"
)

// needLabelRef skips (fails under CI=true) without numpy and scipy.
func needLabelRef(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("/usr/bin/python3", "-c", "import numpy, scipy.ndimage").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3-numpy/python3-scipy unavailable: %v %s", err, out)
		}
		t.Skipf("python3-numpy/python3-scipy unavailable: %v", err)
	}
}

// labelCheck compares our labels (argv[2]) of the mask argv[1] with
// scipy.ndimage.label at connectivity argv[3] after dropping objects under
// argv[4] voxels (equal up to a bijection of IDs), and our objects table
// (argv[5]) with numpy statistics of our labels.
const labelCheck = `import sys, csv, numpy as np, scipy.ndimage as ndi
m = np.load(sys.argv[1]); got = np.load(sys.argv[2]).astype(np.int64)
c, mins = int(sys.argv[3]), int(sys.argv[4])
ref, n = ndi.label(m, structure=ndi.generate_binary_structure(m.ndim, c))
sizes = np.bincount(ref.ravel())
keep = sizes >= mins; keep[0] = False
ref = np.where(keep[ref], ref, 0)
assert ((got != 0) == (ref != 0)).all(), "foreground differs"
pairs = np.unique(np.stack([got[got != 0], ref[ref != 0]]), axis=1)
assert len(np.unique(pairs[0])) == pairs.shape[1] == len(np.unique(pairs[1])), "not a bijection"
k = int(keep.sum()); assert got.max() == k and pairs.shape[1] == k, (got.max(), k)
rows = list(csv.DictReader(open(sys.argv[5])))
assert len(rows) == k, (len(rows), k)
cnt = np.bincount(got.ravel())
boxes = ndi.find_objects(got)
cents = ndi.center_of_mass(np.ones_like(got), got, range(1, k + 1))
ax = "zyx"[3 - m.ndim:]
for r in rows:
    i = int(r["id"]); sl = boxes[i - 1]
    assert int(r["voxels"]) == cnt[i], (r, cnt[i])
    for d, a in enumerate(ax):
        assert int(r["min_" + a]) == sl[d].start and int(r["max_" + a]) == sl[d].stop, (r, sl)
        assert abs(float(r["centroid_" + a]) - cents[i - 1][d]) < 1e-9, (r, cents[i - 1])
print("ok", n, k)
`

// TestLabelCLIMatchesScipy runs ryomen label on random masks (2-D and 3-D,
// every connectivity, chunks that cut objects, a size filter) and checks
// the labels against scipy.ndimage.label and the objects table against
// numpy/scipy statistics of the written labels.
func TestLabelCLIMatchesScipy(t *testing.T) {
	needLabelRef(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []struct {
		shape  []int
		chunks string
		shard  string
	}{
		{[]int{70, 90}, "16,16", ""},
		{[]int{70, 90}, "8,8", "16,24"},
		{[]int{30, 40, 50}, "8,16,16", ""},
		{[]int{30, 40, 50}, "1,40,50", ""},
	}
	for ci, cs := range cases {
		m := nd.New[uint8](cs.shape, nd.C)
		for i := range m.Data() {
			if rng.Float64() < 0.4 {
				m.Data()[i] = 1
			}
		}
		in := filepath.Join(dir, fmt.Sprintf("mask%d.npy", ci))
		if err := npy.WriteFile(in, m); err != nil {
			t.Fatal(err)
		}
		for c := 1; c <= len(cs.shape); c++ {
			mins := []string{"0", "3"}[c%2]
			out := filepath.Join(dir, fmt.Sprintf("out%d-%d", ci, c))
			args := []string{"--no-progress", "label", "--connectivity", fmt.Sprint(c), "--chunks", cs.chunks, "--min-size", mins, in, out}
			if cs.shard != "" {
				args = append(args, "--shard-shape", cs.shard)
			}
			mustRun(t, args...)
			got := filepath.Join(dir, "got.npy")
			if err := npy.WriteFile(got, readArray(t, out)); err != nil {
				t.Fatal(err)
			}
			o, err := exec.Command("/usr/bin/python3", "-c", labelCheck, in, got, fmt.Sprint(c), mins, filepath.Join(out, "objects.csv")).CombinedOutput()
			if err != nil || !strings.HasPrefix(string(o), "ok") {
				t.Fatalf("shape %v chunks %s connectivity %d min-size %s: %v\n%s", cs.shape, cs.chunks, c, mins, err, o)
			}
		}
	}
}

// TestLabelCLISemanticResume labels a label image per class, checks that
// two touching classes stay apart, that a finished output resumes as
// complete, and that --overwrite replaces an output with its table.
func TestLabelCLISemanticResume(t *testing.T) {
	dir := t.TempDir()
	a := nd.FromSlice([]uint16{
		1, 1, 2, 2, 0, 5,
		1, 1, 2, 2, 0, 5,
		0, 0, 0, 0, 0, 0,
		7, 7, 7, 0, 7, 7,
	}, []int{4, 6}, nd.C)
	in := filepath.Join(dir, "cls.npy")
	if err := npy.WriteFile(in, a); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	r := mustRun(t, "--json", "--no-progress", "label", "--semantic", "--chunks", "2,3", "--connectivity", "8", in, out)
	var s struct {
		Objects uint64 `json:"objects"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || s.Objects != 5 {
		t.Fatalf("summary %q: want 5 objects (%v)", r.stdout, err)
	}
	got := readArray(t, out).(*nd.Array[uint32]).Data()
	want := []uint32{1, 1, 2, 2, 0, 3, 1, 1, 2, 2, 0, 3, 0, 0, 0, 0, 0, 0, 4, 4, 4, 0, 5, 5}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("labels %v, want %v", got, want)
		}
	}
	tab, _ := os.ReadFile(filepath.Join(out, "objects.csv"))
	if !strings.Contains(string(tab), "\n2,4,2,0,2,2,4,0.5,2.5\n") || !strings.HasPrefix(string(tab), "id,voxels,class,min_y,min_x,max_y,max_x") {
		t.Errorf("objects table:\n%s", tab)
	}
	if r := mustRun(t, "--no-progress", "label", "--semantic", "--chunks", "2,3", "--connectivity", "8", "--resume", in, out); !strings.Contains(r.stdout, "already complete") {
		t.Errorf("resume of a complete output: %q", r.stdout)
	}
	if r := run(t, "--no-progress", "label", "--chunks", "2,3", in, out); r.code != exitExists {
		t.Errorf("occupied output: exit %d, want %d: %s", r.code, exitExists, r.stderr)
	}
	mustRun(t, "--no-progress", "label", "--overwrite", "--chunks", "4,6", in, out)
	if got := readArray(t, out).(*nd.Array[uint32]).Data(); got[2] != 1 || got[5] != 2 || got[18] != 3 || got[22] != 4 {
		t.Errorf("overwritten mask labels %v", got)
	}
}

// TestLabelCLIBadInput: bad flags and dtypes are usage errors that name
// the flag or the dtype.
func TestLabelCLIBadInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "f.npy")
	if err := npy.WriteFile(in, nd.New[float32]([]int{4, 4, 4}, nd.C)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--connectivity", "5"}, "--connectivity"},
		{[]string{"--connectivity", "8"}, "--connectivity"},
		{[]string{"--out-dtype", "int16"}, "--out-dtype"},
		{[]string{"--stats", "../x.csv"}, "--stats"},
		{[]string{"--stats", "/tmp/x.csv"}, "--stats"},
		{[]string{"--stats", "sub/x.csv"}, "--stats"},
		{[]string{"--semantic"}, "float32"},
	} {
		args := append([]string{"--no-progress", "label"}, c.args...)
		r := run(t, append(args, in, filepath.Join(dir, "o"+fmt.Sprint(len(c.want))))...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q (want it to name %s)", c.args, r.code, r.stderr, c.want)
		}
	}
}

// TestLabelCLIMemoryManyObjects labels a 256x512x512 checkerboard of
// 1-voxel objects (33,554,432 objects at 6-connectivity, 64 MiB of uint8,
// 128 MiB of uint32 labels) with --memory 256MiB: the run must stay under
// the budget (peak RSS of the process) and every foreground voxel must get
// its own ID.
func TestLabelCLIMemoryManyObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("labels 33 million objects; skipped with -short")
	}
	dir := t.TempDir()
	shape := []int{256, 512, 512}
	m := nd.New[uint8](shape, nd.C)
	d := m.Data()
	for z := range shape[0] {
		for y := range shape[1] {
			row := d[(z*shape[1]+y)*shape[2]:][:shape[2]]
			for x := (z + y) % 2; x < shape[2]; x += 2 {
				row[x] = 1
			}
		}
	}
	in := filepath.Join(dir, "cb.npy")
	if err := npy.WriteFile(in, m); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	const budget = 256 << 20
	r := mustRun(t, "--json", "--no-progress", "--memory", "256MiB", "label", "--stats", "none", "--chunks", "64,128,128", in, out)
	var s struct {
		Objects uint64 `json:"objects"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	const want = 256 * 512 * 512 / 2
	if s.Objects != want {
		t.Fatalf("%d objects, want %d", s.Objects, want)
	}
	t.Logf("%d objects, peak RSS %d MiB (budget %d MiB)", s.Objects, r.maxRSS>>20, budget>>20)
	if r.maxRSS > budget {
		t.Errorf("peak RSS %d MiB over the budget of %d MiB", r.maxRSS>>20, budget>>20)
	}
	got := readArray(t, out).(*nd.Array[uint32]).Data()
	seen := make([]uint64, want/64+1)
	for p, l := range got {
		if (l != 0) != (d[p] != 0) || l > want {
			t.Fatalf("voxel %d: label %d for mask %d", p, l, d[p])
		}
		if l != 0 {
			if seen[l>>6]&(1<<(l&63)) != 0 {
				t.Fatalf("voxel %d: label %d used twice", p, l)
			}
			seen[l>>6] |= 1 << (l & 63)
		}
	}
}

// TestLabelCLIKillResume kills a label run part way through pass 3 and
// resumes it: labels, objects table and bookkeeping equal those of an
// uninterrupted run, byte for byte.
func TestLabelCLIKillResume(t *testing.T) {
	dir := t.TempDir()
	in := randomMask(t, dir, []int{64, 128, 128}, 9)
	ref, out := filepath.Join(dir, "ref"), filepath.Join(dir, "out")
	args := []string{"--no-progress", "--workers", "1", "label", "--connectivity", "26", "--chunks", "8,16,16", "--codec", "none", in}
	mustRun(t, append(args, ref)...)
	killAfterMarkers(t, append(args, out), out, 10)
	if _, err := os.Stat(filepath.Join(out, "objects.csv")); err == nil {
		t.Skip("the run finished before it was killed")
	}
	r := mustRun(t, append(append([]string{"--json"}, args[:len(args)-1]...), "--resume", in, out)...)
	if strings.Contains(r.stdout, `"tasks_skipped": 0,`) || !strings.Contains(r.stdout, `"tasks_skipped"`) {
		t.Errorf("resume skipped nothing: %s", r.stdout)
	}
	sameTree(t, ref, out)
}

// TestLabelCLIShards: three shard processes writing one output equal a
// single run, table included.
func TestLabelCLIShards(t *testing.T) {
	dir := t.TempDir()
	in := randomMask(t, dir, []int{32, 64, 64}, 11)
	args := []string{"--no-progress", "label", "--connectivity", "18", "--chunks", "8,16,16", "--codec", "none", in}
	single, sharded := filepath.Join(dir, "single"), filepath.Join(dir, "sharded")
	mustRun(t, append(args, single)...)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := append(append([]string{}, args[:len(args)-1]...), "--shard", fmt.Sprintf("%d/3", i), in, sharded)
			if out, err := exec.Command(bin, a...).CombinedOutput(); err != nil {
				t.Errorf("shard %d: %v\n%s", i, err, out)
			}
		}()
	}
	wg.Wait()
	sameTree(t, single, sharded)
}

// randomMask writes dir/m.npy, a uint8 mask of the shape with 30% of its
// voxels set (PCG seeded with seed, seed+1), and returns its path.
func randomMask(t *testing.T, dir string, shape []int, seed uint64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	m := nd.New[uint8](shape, nd.C)
	for i := range m.Data() {
		if rng.Float64() < 0.3 {
			m.Data()[i] = 1
		}
	}
	in := filepath.Join(dir, "m.npy")
	if err := npy.WriteFile(in, m); err != nil {
		t.Fatal(err)
	}
	return in
}
