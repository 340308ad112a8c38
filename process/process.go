package process

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/tile"
)

// Options describe a tiled run.
type Options struct {
	// Plan is the tiling of the source: crop, margin, border, placement
	// and output scale (see tile.New). It is independent of the storage
	// chunks of the source and of the output.
	Plan *tile.Plan
	// Func computes one result per crop of a batch, each of the plan's
	// OutCropShape and of dtype OutDType (see tile.AnyFunc). Its results
	// must not share memory with its crops: crop buffers are reused.
	Func     tile.AnyFunc
	OutDType nd.DType
	// Recycle, if set, is given every result once it is merged (a pool
	// for the function's result buffers).
	Recycle func(nd.Any)
	// BatchSize is the number of crops per call of Func (0: 1); Merge and
	// Sigma choose pasting or blending (see tile.Merge).
	BatchSize int
	Merge     tile.Merge
	Sigma     float64
	// CacheBytes bounds each of two caches: results of crops that several
	// output chunks need, and (with InputChunks, the source's chunk shape)
	// source chunks that overlapping crops share. They are paid for out of
	// Output.Memory. 0: no caches.
	CacheBytes  int64
	InputChunks []int
	// Output says where and how the result is written, as for a pyramid:
	// store and path, chunks and shards, codecs, axes (of the result),
	// the job (memory, workers, shards, resume, overwrite, progress) and
	// the run record (Source, Params: the function's parameters, which
	// must decide its output). With Factors the result gets a pyramid too.
	Output pyramid.Options
}

// Run computes Func over every crop of src and writes the result as an
// OME-Zarr image, out of core: each task of the engine computes one
// output chunk (or shard) from the crops that reach it, so the result is
// resumable and shardable, and equals tile.Map of the same function on
// the whole image bit for bit.
func Run(ctx context.Context, src nd.Reader, o Options) (*pyramid.Plan, error) {
	if o.Plan == nil || o.Func == nil {
		return nil, errors.New("process: Options.Plan and Options.Func are required")
	}
	if !slices.Equal(src.Shape(), o.Plan.Shape()) {
		return nil, fmt.Errorf("process: source shape %v, plan is for %v", src.Shape(), o.Plan.Shape())
	}
	r, err := NewReader(src, o)
	if err != nil {
		return nil, err
	}
	po := o.Output
	if o.CacheBytes > 0 && po.Memory > 0 {
		left := po.Memory - 2*o.CacheBytes
		if left <= 0 {
			return nil, fmt.Errorf("%w: two caches of %d MiB leave nothing of a %d MiB budget; use smaller caches", pyramid.ErrBudget, o.CacheBytes>>20, po.Memory>>20)
		}
		po.Memory = left
	}
	po.ReadBytes = r.TaskBytes()
	return pyramid.Build(ctx, r, po)
}

// Reader is the result of a tiled function over a source, computed on
// demand: reading a box computes the crops that reach it (with the
// result cache, once while cached) and merges them.
type Reader struct {
	run   *tile.Runner
	src   nd.Reader
	batch int
}

// NewReader returns the result of o.Func over src as a reader (only Plan,
// Func, OutDType, Recycle, BatchSize, Merge, Sigma, CacheBytes and
// InputChunks of o are used).
func NewReader(src nd.Reader, o Options) (*Reader, error) {
	run, err := tile.NewRunner(o.Plan, src.DType(), o.OutDType, o.Func, tile.BoxOptions{
		BatchSize: o.BatchSize, Merge: o.Merge, Sigma: o.Sigma, CacheBytes: o.CacheBytes,
		ReuseCrops: true, Recycle: o.Recycle})
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	in := src
	if o.CacheBytes > 0 && len(o.InputChunks) == len(src.Shape()) {
		if c, err := tile.NewCachedReader(src, o.InputChunks, o.CacheBytes); err == nil {
			in = c
		}
	}
	return &Reader{run: run, src: in, batch: max(o.BatchSize, 1)}, nil
}

// DType is the result's dtype.
func (r *Reader) DType() nd.DType { return r.run.OutDType() }

// Shape is the result's shape, the plan's OutShape.
func (r *Reader) Shape() []int { return r.run.Plan().OutShape() }

// ReadRegion computes box b of the result into dst.
func (r *Reader) ReadRegion(b nd.Box, dst nd.Any) error {
	return r.ReadRegionContext(context.Background(), b, dst)
}

// ReadRegionContext computes box b of the result into dst.
func (r *Reader) ReadRegionContext(ctx context.Context, b nd.Box, dst nd.Any) error {
	if o, ok := nd.ContiguousOrder(dst); ok && o == nd.C && dst.DType() == r.DType() && slices.Equal(dst.Shape(), b.Shape()) {
		_, err := r.run.BoxInto(ctx, r.src, b, dst)
		return err
	}
	y, err := r.run.Box(ctx, r.src, b)
	if err != nil {
		return err
	}
	return nd.CopyAny(dst, y)
}

// Stats returns the crops computed so far and the source bytes read for
// them (padding included).
func (r *Reader) Stats() (crops, bytesRead int64) { return r.run.Stats() }

// TaskBytes is what one read holds besides its destination: a batch of
// crops and of results.
func (r *Reader) TaskBytes() int64 {
	p := r.run.Plan()
	n := func(s []int) int64 {
		v := int64(1)
		for _, x := range s {
			v *= int64(x)
		}
		return v
	}
	return int64(r.batch) * (n(p.CropShape())*int64(r.src.DType().Size()) + n(p.OutCropShape())*int64(r.DType().Size()))
}

// FitChunks fits output chunks (and shards, nil: unsharded) to the shape
// of a tiled run's result: channel and time axes are whole, since every
// crop carries them whole, unless perAxis says the caller gave a chunk
// size for every axis; space axes are clipped to the result. It returns
// new slices.
func FitChunks(chunks, shard, out []int, axes []nd.Axis, perAxis bool) ([]int, []int) {
	c, s := slices.Clone(chunks), slices.Clone(shard)
	for i, n := range out {
		if !axes[i].IsSpace() && !perAxis {
			c[i] = n
			if s != nil {
				s[i] = n
			}
		}
		c[i] = max(1, min(c[i], n))
		if s != nil && s[i] > n {
			s[i] = (n + c[i] - 1) / c[i] * c[i]
		}
	}
	return c, s
}

// OutAxes are the axes of a tiled run's result: the input's, with the
// space axes' physical scale changed by the plan's output scale (a model
// that halves the resolution doubles the voxel size).
func OutAxes(in []nd.Axis, p *tile.Plan) []nd.Axis {
	s := slices.Clone(in)
	shp, out := p.Shape(), p.OutShape()
	for i := range s {
		if s[i].IsSpace() && out[i] > 0 {
			s[i].Scale = s[i].PhysicalScale() * float64(shp[i]) / float64(out[i])
		}
	}
	return s
}
