package downsample

import (
	"fmt"

	"github.com/ryomen-dev/ryomen/nd"
)

// ReduceAny reduces src, of any element type, by one level into dst, which
// must have src's dtype and the shape OutShape(src.Shape(), factor). It is
// the one place where a runtime dtype meets the generic code.
func ReduceAny(dst, src nd.Any, factor []int, m Method, opt Options) error {
	switch s := src.(type) {
	case *nd.Array[uint8]:
		return reduceInto(dst, s, factor, m, opt)
	case *nd.Array[uint16]:
		return reduceInto(dst, s, factor, m, opt)
	case *nd.Array[uint32]:
		return reduceInto(dst, s, factor, m, opt)
	case *nd.Array[uint64]:
		return reduceInto(dst, s, factor, m, opt)
	case *nd.Array[int8]:
		return reduceInto(dst, s, factor, m, opt)
	case *nd.Array[int16]:
		return reduceInto(dst, s, factor, m, opt)
	case *nd.Array[int32]:
		return reduceInto(dst, s, factor, m, opt)
	case *nd.Array[int64]:
		return reduceInto(dst, s, factor, m, opt)
	case *nd.Array[float32]:
		return reduceInto(dst, s, factor, m, opt)
	case *nd.Array[float64]:
		return reduceInto(dst, s, factor, m, opt)
	}
	return fmt.Errorf("downsample: unsupported array type %T", src)
}

func reduceInto[T nd.Number](dst nd.Any, src *nd.Array[T], factor []int, m Method, opt Options) error {
	d, ok := dst.(*nd.Array[T])
	if !ok {
		return fmt.Errorf("downsample: destination %v for a %v source", dst.DType(), src.DType())
	}
	return ReduceInto(d, src, factor, m, opt)
}
