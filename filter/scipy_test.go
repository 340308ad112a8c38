package filter

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// scipyGaussian runs scipy.ndimage.gaussian_filter(img, sigma,
// mode='reflect', truncate=4.0) in float64 on img's float32 values.
func scipyGaussian(t *testing.T, py string, img *nd.Array[float32], sigma []float64) []float64 {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.f32"), filepath.Join(dir, "out.f64")
	buf := make([]byte, 4*img.Len())
	for i, v := range img.Data() {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(in, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	shape := strings.Trim(strings.ReplaceAll(fmt.Sprint(img.Shape()), " ", ","), "[]")
	sig := strings.Trim(strings.ReplaceAll(fmt.Sprint(sigma), " ", ","), "[]")
	script := fmt.Sprintf(`import numpy as np, scipy.ndimage as ndi
a = np.fromfile(%q, dtype='<f4').reshape((%s,)).astype(np.float64)
ndi.gaussian_filter(a, (%s,), mode='reflect', truncate=4.0).astype('<f8').tofile(%q)
`, in, shape, sig, out)
	if b, err := exec.Command(py, "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("scipy: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	res := make([]float64, len(b)/8)
	for i := range res {
		res[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	if len(res) != img.Len() {
		t.Fatalf("scipy returned %d values for %d voxels", len(res), img.Len())
	}
	return res
}

// gaussianPadded pads img by the radii with tile.Symmetric (scipy's
// 'reflect') through tile.ReadCrop, as a tile function's crop would be,
// and blurs it back to img's shape.
func gaussianPadded(t *testing.T, img *nd.Array[float32], sigma []float64) *nd.Array[float32] {
	t.Helper()
	m := Margins(sigma)
	crop := img.Bounds()
	for d := range m {
		crop.Min[d] -= m[d]
		crop.Max[d] += m[d]
	}
	src := nd.New[float32](crop.Shape(), nd.C)
	if err := tile.ReadCrop(img, crop, tile.Symmetric, 0, src); err != nil {
		t.Fatal(err)
	}
	dst := nd.New[float32](img.Shape(), nd.C)
	if err := Gaussian(dst, src, sigma); err != nil {
		t.Fatal(err)
	}
	return dst
}

// The whole pipeline (pad with the tile package's Symmetric border, blur
// the valid region) equals scipy's gaussian_filter with mode='reflect'
// on the same float32 data, within 1e-5 relative.
func TestGaussianMatchesScipy(t *testing.T) {
	py := testtool.PythonWith(t, "numpy", "scipy.ndimage")
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range []struct {
		shape []int
		sigma []float64
	}{
		{[]int{20, 23, 31}, []float64{1, 2, 0.7}},
		{[]int{20, 23, 31}, []float64{0, 1.5, 3}},
		{[]int{40, 70}, []float64{2.5, 0.5}},
		{[]int{301}, []float64{5}},
		{[]int{3, 16, 40, 50}, []float64{0, 1, 1.2, 2}},
	} {
		img := randArray(r, c.shape)
		want := scipyGaussian(t, py, img, c.sigma)
		got := gaussianPadded(t, img, c.sigma)
		for i, w := range want {
			g := float64(got.Data()[i])
			if math.Abs(g-w) > 1e-5*math.Abs(w) {
				t.Fatalf("shape %v sigma %v: voxel %d = %v, scipy %v", c.shape, c.sigma, i, g, w)
			}
		}
	}
}
