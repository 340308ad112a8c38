package child

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// TileFunc adapts a Batcher to a tile function of runtime dtypes
// ([tile.AnyFunc], what a [tile.Runner] calls): every crop of a call is
// submitted to b at once, with the crop's first voxel (t.Crop.Min, which
// is negative where the crop is padded) as its origin, so that the crops
// of concurrent calls share the child's batches. The Batcher's result
// shape must be the plan's OutCropShape (see [Batcher.SetResultShape]).
func TileFunc(b *Batcher) tile.AnyFunc {
	return func(ctx context.Context, tiles []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(crops))
		errs := make([]error, len(crops))
		var wg sync.WaitGroup
		for i, c := range crops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i], errs[i] = b.Do(ctx, c, tiles[i].Crop.Min)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		return out, nil
	}
}

// Func adapts a Batcher to a [tile.Func] for [tile.Map]: the crops of a
// batch go to the child together (with those of other workers' batches,
// up to the Batcher's size) and the results come back as arrays of U,
// which must be the Batcher's output dtype.
func Func[T, U nd.Number](b *Batcher) tile.Func[T, U] {
	f := TileFunc(b)
	return func(ctx context.Context, bt tile.Batch[T]) ([]*nd.Array[U], error) {
		crops := make([]nd.Any, len(bt.Crops))
		for i, c := range bt.Crops {
			crops[i] = c
		}
		res, err := f(ctx, bt.Tiles, crops)
		if err != nil {
			return nil, err
		}
		out := make([]*nd.Array[U], len(res))
		for i, y := range res {
			a, ok := y.(*nd.Array[U])
			if !ok {
				return nil, fmt.Errorf("child: result %d is %v, the tile function wants %v", i, y.DType(), nd.DTypeOf[U]())
			}
			out[i] = a
		}
		return out, nil
	}
}
