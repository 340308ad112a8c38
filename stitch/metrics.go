package stitch

import (
	"fmt"
	"math"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// contingency counts the voxels of every pair (truth label, test label).
type contingency struct {
	n        map[[2]uint64]float64
	row, col map[uint64]float64
	total    float64
}

func newContingency(truth, test nd.Any, ignoreZero bool) (*contingency, error) {
	if !slices.Equal(truth.Shape(), test.Shape()) {
		return nil, fmt.Errorf("stitch: truth shape %v and test shape %v differ", truth.Shape(), test.Shape())
	}
	a, err := values(truth)
	if err != nil {
		return nil, fmt.Errorf("stitch: truth: %w", err)
	}
	b, err := values(test)
	if err != nil {
		return nil, fmt.Errorf("stitch: test: %w", err)
	}
	c := &contingency{n: map[[2]uint64]float64{}, row: map[uint64]float64{}, col: map[uint64]float64{}}
	for i, x := range a {
		if ignoreZero && x == 0 {
			continue
		}
		c.n[[2]uint64{x, b[i]}]++
		c.row[x]++
		c.col[b[i]]++
		c.total++
	}
	return c, nil
}

// AdaptedRandError compares a segmentation with the truth as the SNEMI3D
// contest and skimage.metrics.adapted_rand_error do: voxels whose true
// label is 0 are ignored, the test's 0 is a label like any other. With
// n_ij the voxels labelled i in truth and j in test, a_i and b_j the
// marginals and N the voxels counted, precision = (Σn_ij² - N)/(Σa_i² - N)
// and recall = (Σn_ij² - N)/(Σb_j² - N) (skimage's naming and values), and
// are = 1 - 2pr/(p+r). Identical segmentations score 0.
func AdaptedRandError(truth, test nd.Any) (are, precision, recall float64, err error) {
	c, err := newContingency(truth, test, true)
	if err != nil {
		return 0, 0, 0, err
	}
	var s2, a2, b2 float64
	for _, v := range c.n {
		s2 += v * v
	}
	for _, v := range c.row {
		a2 += v * v
	}
	for _, v := range c.col {
		b2 += v * v
	}
	s2, a2, b2 = s2-c.total, a2-c.total, b2-c.total
	precision, recall = s2/a2, s2/b2
	return 1 - 2*precision*recall/(precision+recall), precision, recall, nil
}

// VariationOfInformation returns the two conditional entropies (in bits)
// whose sum is the variation of information between the truth X and a
// test segmentation Y, over every voxel (background included), as
// skimage.metrics.variation_of_information(truth, test) does: splits is
// H(Y|X), the over-segmentation, and merges is H(X|Y), the
// under-segmentation. Identical segmentations give 0, 0.
func VariationOfInformation(truth, test nd.Any) (splits, merges float64, err error) {
	c, err := newContingency(truth, test, false)
	if err != nil {
		return 0, 0, err
	}
	for k, v := range c.n {
		p := v / c.total
		// H(Y|X) = -Σ p_ij log(p_ij/p_i); H(X|Y) = -Σ p_ij log(p_ij/p_j).
		splits -= p * math.Log2(v/c.row[k[0]])
		merges -= p * math.Log2(v/c.col[k[1]])
	}
	return max(splits, 0), max(merges, 0), nil // -0 and rounding below 0
}
