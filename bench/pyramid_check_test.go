package bench

import (
	"context"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
)

// The two sides of the pyramid peer benchmark compute the same pyramid:
// pyramid_numpy.py's slab loop and ryomen's engine (mean, rounded half to
// even per level) give every level of a uint8 volume byte for byte, so the
// benchmark compares equal work.
func TestPyramidNumpyMatchesRyomen(t *testing.T) {
	src, err := dataset.Open(context.Background(), "synth:128x96x160?seed=6&dtype=uint8", nil)
	if err != nil {
		t.Fatal(err)
	}
	all := nd.New[uint8](src.Shape(), nd.C)
	if err := src.ReadRegion(nd.BoxOf(src.Shape()), all); err != nil {
		t.Fatal(err)
	}
	matchPeer(t, all, src.Axes, "mean", "pyramid_numpy.py")
}
