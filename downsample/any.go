package downsample

import (
	"fmt"

	"github.com/ryomen-dev/ryomen/nd"
)

//go:generate go run github.com/ryomen-dev/ryomen/internal/gen/dispatch

// ReduceAny reduces src, of any element type, by one level into dst, which
// must have src's dtype and the shape OutShape(src.Shape(), factor). It is
// the one place where a runtime dtype meets the generic code.
//
//nd:dispatch ReduceAny = reduceInto(src)

func reduceInto[T nd.Number](dst nd.Any, src *nd.Array[T], factor []int, m Method, opt Options) error {
	d, ok := dst.(*nd.Array[T])
	if !ok {
		return fmt.Errorf("downsample: destination %v for a %v source", dst.DType(), src.DType())
	}
	return ReduceInto(d, src, factor, m, opt)
}
