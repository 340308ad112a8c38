package bench

import (
	"context"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
)

// pyramid_mode_numpy.py's pairwise-count mode and ryomen's 2x2x2 mode
// (first most frequent value in scan order) give every level of a
// uint32 label volume byte for byte, so the mode benchmark compares
// equal work.
func TestPyramidModeNumpyMatchesRyomen(t *testing.T) {
	src, err := dataset.Open(context.Background(), "synth:64x96x128?seed=3&labels=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.DType() != nd.Uint32 {
		t.Fatalf("synth labels are %v", src.DType())
	}
	all := nd.New[uint32](src.Shape(), nd.C)
	if err := src.ReadRegion(nd.BoxOf(src.Shape()), all); err != nil {
		t.Fatal(err)
	}
	// Make ties common: a checkerboard of two labels in one corner, and
	// every voxel of another region distinct.
	for z := range 16 {
		for y := range 16 {
			for x := range 16 {
				all.Set(uint32(7+(x+y+z)%2), z, y, x)
				all.Set(uint32(1000+z*256+y*16+x), z, y+32, x+32)
			}
		}
	}
	matchPeer(t, all, src.Axes, "mode", "pyramid_mode_numpy.py")
}
