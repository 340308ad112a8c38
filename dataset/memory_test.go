package dataset_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
)

// OpenOptions.Memory reaches every layer that allocates on reading: a Zarr
// chunk, an HTTP response and a TIFF block larger than the budget are
// refused with an error naming the limit, and read fine without it.
func TestMemoryReachesEveryLayer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	loc := filepath.Join(dir, "a.zarr")
	// One 1 MiB chunk (uint8, 1024x1024).
	out, err := dataset.Create(ctx, loc, dataset.Spec{Shape: []int{1024, 1024}, DType: nd.Uint8, Chunks: []int{1024, 1024}, Codec: "none", Format: dataset.Zarr3})
	if err != nil {
		t.Fatal(err)
	}
	a := nd.New[uint8]([]int{1024, 1024}, nd.C)
	for i := range a.Data() {
		a.Data()[i] = uint8(i * 7)
	}
	if err := out.WriteRegion(nd.BoxOf(a.Shape()), a); err != nil {
		t.Fatal(err)
	}
	if err := out.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// An array of small chunks whose metadata is one 600 KiB response.
	big := filepath.Join(dir, "big.zarr")
	if err := os.MkdirAll(big, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"zarr_format":3,"node_type":"array","shape":[4],"data_type":"uint8","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[4]}},` +
		`"chunk_key_encoding":{"name":"default"},"fill_value":0,"codecs":[{"name":"bytes"}],"attributes":{"note":"` + strings.Repeat("x", 600<<10) + `"}}`
	if err := os.WriteFile(filepath.Join(big, "zarr.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	tif := "../tiff/testdata/series/ome-czyx.ome.tif"
	cases := []struct {
		name, loc string
		small     int64 // a budget below the largest single read
	}{
		{"zarr chunk", loc, 512 << 10},
		{"http response", srv.URL + "/big.zarr", 512 << 10},
		{"tiff block", tif, 64},
	}
	for _, c := range cases {
		im, err := dataset.Open(ctx, c.loc, &dataset.OpenOptions{Memory: 64 << 20})
		if err != nil {
			t.Fatalf("%s with a 64 MiB budget: %v", c.name, err)
		}
		readAll(t, im)
		im.Close()
		im, err = dataset.Open(ctx, c.loc, &dataset.OpenOptions{Memory: c.small})
		if err == nil {
			buf := nd.NewAny(im.DType(), im.Shape(), nd.C)
			err = im.ReadRegion(nd.BoxOf(im.Shape()), buf)
			im.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "exceeds") {
			t.Errorf("%s with a %d-byte budget: %v, want a refusal naming the limit", c.name, c.small, err)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
	if _, err := os.Stat(tif); err != nil {
		t.Fatal(err)
	}
}
