package stitch

import (
	"context"
	"maps"
	"path"
	"strconv"

	"github.com/ryomen-dev/ryomen/engine"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/tile"
)

// Build stitches out of core on the engine and writes the labels as an
// OME-Zarr image with its mode pyramid: out says where and how, as for
// pyramid.Build (store and path, chunks, shards, codecs, factors, axes,
// label, memory, shards, resume, run record). The job's phases run first
// in the same claimed job (out.Before), with their scratch under
// OUT/.ryomen/stitch; the pyramid's level 0 is then copied from the
// relabelling reader ([Labels]) and reduced by mode. The output dtype is
// opt.DType (default uint32: the solve phase fails when the objects do
// not fit it). The rule, IoU and dtype join the run record, so a resume
// or a shard with other settings is refused.
func Build(ctx context.Context, p *tile.Plan, src nd.Reader, fn tile.AnyFunc, opt Options, out pyramid.Options) (*pyramid.Plan, error) {
	if opt.DType == nd.Invalid {
		opt.DType = nd.Uint32
	}
	if opt.SolveBytes == 0 && out.Memory > 0 {
		// The solve phase runs alone: half the budget (after the cache).
		opt.SolveBytes = (out.Memory - out.Memory/8) / 2
	}
	j, err := NewJob(p, src, fn, opt, out.Store, path.Join(out.Path, ".ryomen", "stitch"))
	if err != nil {
		return nil, err
	}
	// Relabelled tiles are cached for the chunks that share them: an
	// eighth of the budget, or 64 MiB without one.
	cache := int64(64 << 20)
	if out.Memory > 0 {
		cache = out.Memory / 8
		out.Memory -= cache
	}
	for _, ph := range j.Phases() {
		out.Before = append(out.Before, engine.Phase{Name: ph.Name, Tasks: ph.Tasks, TaskBytes: ph.TaskBytes, Run: ph.Run})
	}
	out.Method = "mode"
	out.Params = maps.Clone(out.Params)
	if out.Params == nil {
		out.Params = map[string]string{}
	}
	out.Params["stitch.rule"] = opt.Rule.String()
	out.Params["stitch.iou"] = strconv.FormatFloat(opt.IoU, 'g', -1, 64)
	out.Params["stitch.dtype"] = opt.DType.String()
	lab := j.lazyLabels(cache)
	out.ReadBytes = lab.readBytes()
	return pyramid.Build(ctx, lab, out)
}
