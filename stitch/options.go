package stitch

import (
	"fmt"
	"math"

	"github.com/ryomen-dev/ryomen/nd"
)

// Rule says which provisional labels of neighbouring tiles are the same
// object.
type Rule uint8

// The rules. The zero value is Overlap, the default.
const (
	// Overlap joins two labels of tiles whose crops overlap when, in the
	// image voxels both crops predicted, the intersection over union of
	// their voxels is at least Options.IoU (0: any shared voxel joins).
	Overlap Rule = iota
	// Touch joins two labels that touch across a face between the kept
	// regions (Dest boxes) of two tiles, with face connectivity.
	Touch
	// Own keeps an object only in the tile whose Dest box contains the
	// centre of its bounding box (StarDist's big-image rule) and writes it
	// whole; an owned object that reaches the crop's edge away from the
	// image border is an error.
	Own
)

var ruleNames = [...]string{"overlap", "touch", "own"}

// String returns the rule's lower-case name.
func (r Rule) String() string {
	if int(r) < len(ruleNames) {
		return ruleNames[r]
	}
	return fmt.Sprintf("Rule(%d)", uint8(r))
}

// ParseRule returns the Rule named s (as printed by String).
func ParseRule(s string) (Rule, error) {
	for i, n := range ruleNames {
		if n == s {
			return Rule(i), nil
		}
	}
	return 0, fmt.Errorf("stitch: unknown rule %q (want overlap, touch or own)", s)
}

// Options tune [Map] and [MapTo]. The zero value stitches with Overlap at
// IoU 0 on GOMAXPROCS workers, one crop per call, into uint32 labels.
type Options struct {
	// Rule is the join rule.
	Rule Rule
	// IoU is Overlap's threshold in [0, 1].
	IoU float64
	// Workers is the number of goroutines reading crops and calling the
	// function (0: GOMAXPROCS), and BatchSize the number of crops per call
	// (0: 1), for Map and MapTo. A Job's tasks are one tile each, run by
	// the engine (or Job.Run) on as many goroutines as fit; a batching
	// function (child.TileFunc) batches the crops of concurrent tasks.
	Workers   int
	BatchSize int
	// DType is the output dtype, an integer type. Invalid (the zero value)
	// means uint32, or uint64 when there are more than 2^32-1 objects.
	DType nd.DType
	// SolveBytes bounds the memory of a Job's solve phase. Its worst case
	// is one face label (a label in a box two crops share) per shared
	// voxel, a bound far above what real segmentations have (labels are
	// objects, not voxels); with SolveBytes set and the worst case above
	// it, the phase declares SolveBytes to the engine and fails with an
	// error naming the number of face labels if they need more (0: declare
	// the worst case). Build sets it to half the memory budget.
	SolveBytes int64
}

func (o *Options) check() error {
	if o.Rule > Own {
		return fmt.Errorf("stitch: invalid rule %v", o.Rule)
	}
	if o.SolveBytes < 0 {
		return fmt.Errorf("stitch: SolveBytes %d is negative", o.SolveBytes)
	}
	if !(o.IoU >= 0 && o.IoU <= 1) {
		return fmt.Errorf("stitch: IoU threshold %v is not in [0, 1]", o.IoU)
	}
	if o.DType != nd.Invalid && !o.DType.IsInteger() {
		return fmt.Errorf("stitch: output dtype %v is not an integer type", o.DType)
	}
	if o.Workers < 0 || o.BatchSize < 0 {
		return fmt.Errorf("stitch: negative Workers (%d) or BatchSize (%d)", o.Workers, o.BatchSize)
	}
	return nil
}

// outDType returns the output dtype for n objects.
func (o *Options) outDType(n uint64) (nd.DType, error) {
	dt := o.DType
	if dt == nd.Invalid {
		dt = nd.Uint32
		if n > math.MaxUint32 {
			dt = nd.Uint64
		}
	}
	if _, hi := maxOf(dt); n > hi {
		return nd.Invalid, fmt.Errorf("stitch: %d objects do not fit output dtype %v (at most %d)", n, dt, hi)
	}
	return dt, nil
}

// maxOf returns the dtype's size and largest value as a label.
func maxOf(dt nd.DType) (int, uint64) {
	bits := 8 * dt.Size()
	if dt.IsSigned() {
		return dt.Size(), 1<<(bits-1) - 1
	}
	if bits == 64 {
		return 8, math.MaxUint64
	}
	return dt.Size(), 1<<bits - 1
}
