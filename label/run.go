package label

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
)

// RunOptions describe an out-of-core labelling into an OME-Zarr label
// image (see Run).
type RunOptions struct {
	// Options are the labelling's: connectivity, semantic, minimum size,
	// workers and the budget of passes 1 and 2. Chunks (the block) default
	// to the output's write unit (Output.Shard, else Output.Chunks).
	Options
	// OutDType is the label dtype (nd.Invalid: uint32, or uint64 past
	// 2^32-1 objects).
	OutDType nd.DType
	// Stats is the key, relative to the output, of the per-object table
	// (voxels, bounding box, centroid, class) in CSV; "" writes none.
	// StatsFile, when set, is the local file of that key: the table is
	// streamed into it instead of being assembled in memory.
	Stats, StatsFile string
	// Axes name the image's axes in the table's header (nil: none).
	Axes []string
	// Output says where and how the labels are written (store, path,
	// chunks, codecs, axes, job settings); Label is set. Its Memory is the
	// one budget: the table of passes 1-2 is paid for first.
	Output pyramid.Options
}

// Result describes a finished (or already complete) labelling.
type Result struct {
	Table    *Table
	OutDType nd.DType
	// Plan is the output's plan (nil when the output was already
	// complete: Complete is then true and nothing was written).
	Plan     *pyramid.Plan
	Complete bool
	// StatsRows is the number of objects in the table.
	StatsRows   uint64
	PrepSeconds float64
}

// Run labels the connected components of src into an OME-Zarr label image
// out of core: passes 1 and 2 (Prepare) build the table of face
// equivalences, then pass 3 relabels block by block as a pyramid.Build of
// a relabelling reader, so the output is claimed, resumable and shardable
// like every output of the engine; each task stores its block's object
// pieces under OUT/.ryomen/label before its marker, and the table is
// merged from them once every task is done (by every shard, identically).
// An output that is already complete gives a Result with Complete set.
func Run(ctx context.Context, src nd.Reader, o RunOptions) (*Result, error) {
	po := &o.Output
	if o.Chunks == nil {
		o.Chunks = po.Chunks
		if po.Shard != nil {
			o.Chunks = po.Shard
		}
	}
	if err := o.precheck(ctx); err != nil {
		return nil, err
	}
	start := time.Now()
	t, err := Prepare(ctx, src, o.Options)
	if err != nil {
		return nil, err
	}
	res := &Result{Table: t, PrepSeconds: time.Since(start).Seconds()}
	if res.OutDType, err = t.OutDType(o.OutDType); err != nil {
		return nil, err
	}
	if err := o.budget(t, src.DType(), res.OutDType, src.Shape()); err != nil {
		return nil, err
	}
	po.Label = true
	res.Plan, err = pyramid.Build(ctx, o.relabeller(t, src, res.OutDType), *po)
	res.Complete = errors.Is(err, pyramid.ErrComplete)
	if err != nil && !res.Complete {
		return nil, err
	}
	if o.Stats != "" {
		if res.StatsRows, err = o.writeStats(ctx, t, src, res.Complete); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// relabeller is pass 3 as a reader: a block of src relabelled through the
// table (storing its pieces' statistics when a table is wanted).
func (o *RunOptions) relabeller(t *Table, src nd.Reader, dt nd.DType) nd.Reader {
	st := o.Output.Store
	return &nd.FuncReader{Type: dt, Dims: src.Shape(), Read: func(ctx context.Context, b nd.Box, dst nd.Any) error {
		block := nd.NewAny(src.DType(), b.Shape(), nd.C)
		if err := nd.ReadRegionContext(ctx, src, b, block); err != nil {
			return err
		}
		var emit func(Object)
		buf := []byte("#\n") // never empty: some S3 servers refuse empty objects
		if o.Stats != "" {
			emit = func(ob Object) { buf = AppendPiece(buf, ob) }
		}
		res, err := t.Relabel(ctx, block, b, dt, emit)
		if err != nil {
			return err
		}
		if o.Stats != "" {
			if err := st.Put(ctx, o.pieceKey(t, b), buf); err != nil {
				return err
			}
		}
		return nd.CopyAny(dst, res)
	}}
}

// precheck refuses an occupied output before the first passes run (the
// engine would refuse it after them), and lets Overwrite replace the
// table of an earlier run, which no Zarr hierarchy owns.
func (o *RunOptions) precheck(ctx context.Context) error {
	po := &o.Output
	prefix := ""
	if po.Path != "" {
		prefix = po.Path + "/"
	}
	keys, err := store.ListFirst(ctx, po.Store, prefix, 1)
	if err != nil {
		return fmt.Errorf("label: listing %s: %w", po.Output, err)
	}
	if len(keys) == 0 || po.Resume || po.ShardCount > 1 {
		return nil // the engine lets a resume, or another shard, join
	}
	if !po.Overwrite {
		return fmt.Errorf("%w: %s is not empty; refusing to replace it without overwrite", pyramid.ErrExists, po.Output)
	}
	if o.Stats == "" {
		return nil
	}
	if _, err := po.Store.Get(ctx, path.Join(po.Path, ".ryomen/plan.json")); err != nil {
		return nil // not ours: the engine decides (and names what is there)
	}
	return po.Store.Delete(ctx, path.Join(po.Path, o.Stats))
}

// budget sizes pass 3: the budget left after the table pays for the
// engine's tasks (as the engine counts them) plus the labelling buffers of
// each block in flight.
func (o *RunOptions) budget(t *Table, in, out nd.DType, shape []int) error {
	po := &o.Output
	extra := t.RelabelBytes(in, o.Stats != "")
	if po.Memory <= 0 {
		return nil
	}
	p, err := pyramid.NewPlan(out, shape, nil, po.Chunks, po.Shard)
	if err != nil {
		return err
	}
	left := po.Memory - t.Bytes() - p.TrackingBytes(max(po.ShardCount, 1))
	task := p.TaskBytes() + extra
	if left < task {
		return fmt.Errorf("%w: the label table takes %d MiB and one block %d MiB; the budget is %d MiB: use a larger budget or smaller blocks",
			pyramid.ErrBudget, t.Bytes()>>20, task>>20, po.Memory>>20)
	}
	workers := po.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	po.Workers = int(min(int64(workers), left/task))
	po.Memory -= t.Bytes() + int64(po.Workers)*extra
	return nil
}

// pieceKey is where the statistics of block b's pieces are kept until the
// table is merged.
func (o *RunOptions) pieceKey(t *Table, b nd.Box) string {
	k := t.BlockIndex(b.Min)
	return path.Join(o.Output.Path, ".ryomen", "label", strconv.Itoa(k/4096), strconv.Itoa(k))
}

// writeStats merges the blocks' pieces into the Stats key, streaming into
// StatsFile (renamed into place) or, without one, through memory.
func (o *RunOptions) writeStats(ctx context.Context, t *Table, src nd.Reader, complete bool) (uint64, error) {
	st, key := o.Output.Store, path.Join(o.Output.Path, o.Stats)
	if complete {
		if _, err := st.Get(ctx, key); err == nil {
			return 0, nil // written by the run that finished the output
		}
	}
	f := Format{Class: o.Semantic, Signed: src.DType().IsSigned(), Axes: o.Axes}
	if len(f.Axes) != len(src.Shape()) {
		f.Axes = nil
	}
	pieces := func(yield func([]byte, error) bool) {
		for k := range t.NumBlocks() {
			b := t.BlockBox(k)
			data, err := st.Get(ctx, o.pieceKey(t, b))
			if err != nil {
				yield(nil, fmt.Errorf("label: statistics of block %v: %w", b, err))
				return
			}
			if !yield(bytes.TrimPrefix(data, []byte("#\n")), nil) {
				return
			}
		}
	}
	seq := iter.Seq2[[]byte, error](pieces)
	rank := len(src.Shape())
	if o.StatsFile == "" {
		var buf bytes.Buffer
		n, err := Merge(&buf, f, rank, seq)
		if err != nil {
			return n, err
		}
		return n, st.Put(ctx, key, buf.Bytes())
	}
	return mergeToFile(o.StatsFile, f, rank, seq)
}

// mergeToFile streams the merged table into a temporary file beside dst
// and renames it into place once it is durable.
func mergeToFile(dst string, f Format, rank int, seq iter.Seq2[[]byte, error]) (uint64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-stats-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := Merge(tmp, f, rank, seq)
	if err == nil {
		err = tmp.Chmod(0o644) // like the chunks, not CreateTemp's 0600
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("label: writing %s: %w", dst, err)
	}
	return n, os.Rename(tmp.Name(), dst)
}
