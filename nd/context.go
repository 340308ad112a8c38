package nd

import "context"

// ContextReader is a Reader whose reads can be cancelled: a store-backed
// array that fetches and decodes chunks, or a reader that computes its
// region (a tiled function).
type ContextReader interface {
	Reader
	ReadRegionContext(ctx context.Context, b Box, dst Any) error
}

// ReadRegionContext reads box b of r into dst, through r's
// ReadRegionContext when r has one; otherwise it checks ctx once and calls
// ReadRegion.
func ReadRegionContext(ctx context.Context, r Reader, b Box, dst Any) error {
	if cr, ok := r.(ContextReader); ok {
		return cr.ReadRegionContext(ctx, b, dst)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.ReadRegion(b, dst)
}

// FuncReader is a ContextReader whose regions a function computes (a
// relabelling of another reader, say). Read must fill all of dst.
type FuncReader struct {
	Type DType
	Dims []int
	Read func(ctx context.Context, b Box, dst Any) error
}

// DType returns r.Type.
func (r *FuncReader) DType() DType { return r.Type }

// Shape returns a copy of r.Dims.
func (r *FuncReader) Shape() []int { return append([]int(nil), r.Dims...) }

// ReadRegion calls Read with a background context.
func (r *FuncReader) ReadRegion(b Box, dst Any) error {
	return r.Read(context.Background(), b, dst)
}

// ReadRegionContext calls Read.
func (r *FuncReader) ReadRegionContext(ctx context.Context, b Box, dst Any) error {
	return r.Read(ctx, b, dst)
}
