package bench

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
)

// sameLevels fails unless levels 0..n-1 of the pyramids at a and b
// (directories holding arrays 0, 1, ...) have the same shapes, dtypes and
// bytes.
func sameLevels(t *testing.T, a, b string, n int) {
	t.Helper()
	ctx := context.Background()
	for l := range n {
		var got [2][]byte
		var shapes [2][]int
		for i, dir := range []string{a, b} {
			im, err := dataset.Open(ctx, filepath.Join(dir, fmt.Sprint(l)), nil)
			if err != nil {
				t.Fatal(err)
			}
			buf := nd.NewAny(im.DType(), im.Shape(), nd.C)
			if err := im.ReadRegion(nd.BoxOf(im.Shape()), buf); err != nil {
				t.Fatal(err)
			}
			got[i], _ = nd.AsBytes(buf)
			shapes[i] = im.Shape()
		}
		if !slices.Equal(shapes[0], shapes[1]) {
			t.Fatalf("level %d: shapes %v and %v", l, shapes[0], shapes[1])
		}
		if !bytes.Equal(got[0], got[1]) {
			t.Fatalf("level %d differs between ryomen and the numpy slab loop", l)
		}
	}
}
