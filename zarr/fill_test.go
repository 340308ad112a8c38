package zarr

import (
	"github.com/ryomen-dev/ryomen/nd"
)

// fillFloat returns the fill bytes of v converted to dt.
func fillFloat(dt nd.DType, v float64) []byte {
	out := nd.NewAny(dt, []int{1}, nd.C)
	if err := nd.ConvertAny(out, nd.FromSlice([]float64{v}, []int{1}, nd.C)); err != nil {
		panic(err)
	}
	b, _ := nd.AsBytes(out)
	return b
}
