package bench

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
)

// The two sides of the peer benchmark do the same work: on a small
// volume, gaussianSlabs and gaussian_scipy.py's blur_slabs give the same
// float32 result within 1e-5 relative (slabs of 8 planes, so the volume
// has interior slab seams and both edges).
func TestGaussianSlabsMatchScipy(t *testing.T) {
	py := testtool.PythonWith(t, "numpy", "scipy.ndimage")
	shape := []int{29, 40, 33}
	vol := nd.New[uint16](shape, nd.C)
	r := rand.New(rand.NewPCG(3, 4))
	raw := make([]byte, 2*vol.Len())
	for i := range vol.Data() {
		v := uint16(r.UintN(4096))
		vol.Data()[i] = v
		binary.LittleEndian.PutUint16(raw[2*i:], v)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "vol.u16"), filepath.Join(dir, "out.f32")
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`import sys, numpy as np
sys.path.insert(0, %q)
import gaussian_scipy as g
vol = np.fromfile(%q, dtype='<u2').reshape((%d, %d, %d))
g.blur_slabs(vol, 2.0, 8).astype('<f4').tofile(%q)
`, here, in, shape[0], shape[1], shape[2], out)
	if b, err := exec.Command(py, "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("gaussian_scipy.py: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := nd.New[float32](shape, nd.C)
	var s slabber
	if err := s.gaussianSlabs(vol, got, 2, 8); err != nil {
		t.Fatal(err)
	}
	if len(want) != 4*got.Len() {
		t.Fatalf("scipy wrote %d bytes for %d voxels", len(want), got.Len())
	}
	for i, g := range got.Data() {
		w := math.Float32frombits(binary.LittleEndian.Uint32(want[4*i:]))
		if math.Abs(float64(g-w)) > 1e-5*math.Abs(float64(w)) {
			t.Fatalf("voxel %d: %v, scipy %v", i, g, w)
		}
	}
}
