package label

import (
	"context"
	"fmt"
	"io"
	"iter"

	"golang.org/x/sync/errgroup"

	"github.com/ryomen-dev/ryomen/nd"
)

// Label runs all three passes in this process: it labels src into dst
// (whose dtype must hold [Table.Objects] IDs; see [Table.OutDType]) block
// by block and, when stats is not nil, writes the objects table there (see
// [Merge]; the pieces are held in memory until the end, so for huge
// object counts go through [Table.Relabel] and a store as the CLI does).
func Label(ctx context.Context, src nd.Reader, dst nd.Writer, o Options, stats io.Writer, f Format) (*Table, error) {
	t, err := Prepare(ctx, src, o)
	if err != nil {
		return nil, err
	}
	if _, err := t.OutDType(dst.DType()); err != nil {
		return nil, err
	}
	nb := len(t.n)
	pieces := make([][]byte, nb)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(t.o.Workers)
	for k := range nb {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			b, _ := t.box(k)
			buf, err := readBlock(gctx, src, b)
			if err != nil {
				return fmt.Errorf("label: block %v: %w", b, err)
			}
			var emit func(Object)
			if stats != nil {
				emit = func(ob Object) { pieces[k] = AppendPiece(pieces[k], ob) }
			}
			out, err := t.Relabel(gctx, buf, b, dst.DType(), emit)
			if err != nil {
				return err
			}
			if err := dst.WriteRegion(b, out); err != nil {
				return fmt.Errorf("label: writing block %v: %w", b, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if stats != nil {
		seq := func(yield func([]byte, error) bool) {
			for _, p := range pieces {
				if !yield(p, nil) {
					return
				}
			}
		}
		if _, err := Merge(stats, f, len(t.shape), iter.Seq2[[]byte, error](seq)); err != nil {
			return nil, err
		}
	}
	return t, nil
}
