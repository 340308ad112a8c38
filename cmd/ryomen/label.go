package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/label"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
)

type labelFlags struct {
	conn     int
	semantic bool
	minSize  uint64
	outDType string
	stats    string
}

type labelSummary struct {
	*buildSummary
	Objects      uint64  `json:"objects"`
	FaceLabels   int     `json:"face_labels"`
	Blocks       []int   `json:"blocks"`
	TableBytes   int64   `json:"table_bytes"`
	PrepSeconds  float64 `json:"prepare_seconds"`
	Stats        string  `json:"stats,omitempty"`
	StatsRows    uint64  `json:"stats_rows,omitempty"`
	OutDType     string  `json:"out_dtype"`
	Connectivity int     `json:"connectivity"`
}

func newLabel() *cobra.Command {
	var f pyrFlags
	var lf labelFlags
	c := &cobra.Command{
		Use:   "label IN OUT",
		Short: "Connected components of a mask or label image, out of core",
		Long: `Label the connected components of IN into a one-level OME-Zarr label
image OUT, out of core: block by block (a block is an output chunk, or a
shard with --shard-shape), uniting the pieces that touch across block faces.
The result equals scipy.ndimage.label (and skimage.measure.label) up to the
numbering: IDs 1..N follow the first voxel of each object, blocks in C order.

  --connectivity C   1..rank (scipy's generate_binary_structure(rank, C)),
                     or 4/8 in 2-D, 6/18/26 in 3-D
  --semantic         only voxels of equal non-zero value connect, so every
                     class of a label image is labelled separately
  --min-size N       drop objects of fewer than N voxels
  --stats NAME       per-object table (id, voxels, [class,] bounding box,
                     centroid) written to OUT/NAME (default objects.csv;
                     none: no table)

--memory bounds the face tables of the first passes plus the blocks in
flight; --resume continues a killed run (the first passes are run again).
With --shard i/N, N processes writing to the same OUT split the relabelling
(each runs the first passes itself); each writes the same table at the end.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLabel(cmd.Context(), &f, &lf, args[0], args[1])
		},
	}
	fl := c.Flags()
	registerCodec(c, &f)
	fl.IntVar(&lf.conn, "connectivity", 1, "neighbourhood: 1..rank, or 4/8 (2-D), 6/18/26 (3-D)")
	fl.BoolVar(&lf.semantic, "semantic", false, "label each non-zero value (class) separately")
	fl.Uint64Var(&lf.minSize, "min-size", 0, "drop objects of fewer voxels")
	fl.StringVar(&lf.outDType, "out-dtype", "auto", "label dtype: auto (uint32, uint64 past 2^32-1 objects), uint8, uint16, uint32, uint64")
	fl.StringVar(&lf.stats, "stats", "objects.csv", "per-object statistics table inside OUT (none: no table)")
	fl.StringVar(&f.chunks, "chunks", "", "output chunk shape (the block, unless --shard-shape; default 64 per axis of a volume, 256 of a plane)")
	fl.StringVar(&f.shardShape, "shard-shape", "", "output shard shape (a multiple of --chunks; then the block)")
	fl.StringVar(&f.shard, "shard", "", "run only shard i of N of the relabel tasks: i/N (every shard runs the first passes)")
	fl.BoolVar(&f.resume, "resume", false, "continue an unfinished run")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace whatever is at OUT")
	return c
}

// labelOptions turns the flags into engine and labelling options.
func labelOptions(f *pyrFlags, lf *labelFlags, src *source) (pyramid.Options, label.Options, error) {
	f.levels, f.factor, f.method = 1, "auto", "stride"
	// Objects connect through space only: a channel or time axis would
	// join different channels' or time points' objects.
	for _, a := range src.Axes {
		if !a.IsSpace() {
			return pyramid.Options{}, label.Options{}, usagef("%s has a %s axis %q: label one channel or time point (an image of space axes only), e.g. a level of a single-channel image", src.Location, a.Type, a.Name)
		}
	}
	o, err := f.options(src)
	if err != nil {
		return o, label.Options{}, err
	}
	o.Factors, o.Method = nil, "label"
	rank := len(src.r.Shape())
	conn, err := label.ParseConn(rank, lf.conn)
	if err != nil {
		return o, label.Options{}, usagef("--connectivity: %v", err)
	}
	if lf.stats != "none" {
		if err := store.CheckKey(lf.stats); err != nil || strings.ContainsAny(lf.stats, "/\\") || lf.stats[0] == '.' {
			return o, label.Options{}, usagef("--stats %q: want a file name inside OUT such as objects.csv, or none", lf.stats)
		}
	}
	unit := o.Chunks
	if o.Shard != nil {
		unit = o.Shard
	}
	lo := label.Options{Conn: conn, Semantic: lf.semantic, Chunks: slices.Clone(unit), MinSize: lf.minSize,
		Workers: g.workers, Memory: g.memBytes}
	o.Label = true
	o.Params = map[string]string{"op": "label", "connectivity": strconv.Itoa(conn.Order),
		"semantic": strconv.FormatBool(lf.semantic), "min_size": strconv.FormatUint(lf.minSize, 10),
		"stats": lf.stats, "out_dtype": lf.outDType}
	return o, lo, nil
}

func runLabel(ctx context.Context, f *pyrFlags, lf *labelFlags, in, out string) error {
	src, err := openSource(ctx, in)
	if err != nil {
		return err
	}
	o, lo, err := labelOptions(f, lf, src)
	if err != nil {
		return err
	}
	want := nd.Invalid
	if lf.outDType != "auto" {
		if want, err = nd.ParseDType(lf.outDType); err != nil {
			return usagef("--out-dtype: %v", err)
		}
	}
	oo, err := openOutput(ctx, out, src)
	if err != nil {
		return err
	}
	if err := labelPrecheck(ctx, oo.st, f, lf, out); err != nil {
		return err
	}
	start := time.Now()
	slog.Info("label: passes 1-2 (block labels, face unions)", "blocks", lo.Chunks, "connectivity", lo.Conn.Order)
	t, err := label.Prepare(ctx, src.r, lo)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	prep := time.Since(start).Seconds()
	outDT, err := t.OutDType(want)
	if err != nil {
		return usagef("--out-dtype: %v", err)
	}
	if err := labelBudget(&o, t, src.r.DType(), outDT, src.r.Shape(), lf.stats != "none"); err != nil {
		return err
	}
	relabel := func(ctx context.Context, block nd.Any, b nd.Box) (nd.Any, error) {
		return t.Relabel(ctx, block, b, outDT, nil)
	}
	if lf.stats != "none" {
		relabel = func(ctx context.Context, block nd.Any, b nd.Box) (nd.Any, error) {
			return relabelWithStats(ctx, t, oo.st, block, b, outDT)
		}
	}
	// Pass 3 is a one-level image of the source relabelled block by block.
	labels := &nd.FuncReader{Type: outDT, Dims: src.r.Shape(), Read: func(ctx context.Context, b nd.Box, dst nd.Any) error {
		block := nd.NewAny(src.r.DType(), b.Shape(), nd.C)
		if err := nd.ReadRegionContext(ctx, src.r, b, block); err != nil {
			return err
		}
		res, err := relabel(ctx, block, b)
		if err != nil {
			return err
		}
		return nd.CopyAny(dst, res)
	}}
	o.Source, o.Output = src.id, out
	s, err := build(ctx, "label", pyramidOf(labels), oo.st, out, o)
	complete := errors.Is(err, pyramid.ErrComplete)
	if err != nil && !complete {
		return err
	}
	sum := &labelSummary{buildSummary: s, Objects: t.Objects(), FaceLabels: t.FaceLabels(), Blocks: t.Blocks(),
		TableBytes: t.Bytes(), PrepSeconds: prep, OutDType: outDT.String(), Connectivity: lo.Conn.Order}
	if lf.stats != "none" {
		sum.Stats = lf.stats
		if sum.StatsRows, err = writeStats(ctx, t, oo, lf, src, complete); err != nil {
			return err
		}
	}
	if s != nil {
		s.PeakRSS = peakRSS()
	}
	if g.json {
		if complete {
			return printJSON(map[string]any{"output": out, "already_complete": true, "objects": t.Objects()})
		}
		return printJSON(sum)
	}
	if complete {
		fmt.Printf("%s is already complete; nothing to do\n", out)
		return nil
	}
	fmt.Printf("wrote %s: %d objects (%s, %v, %.1fs)\n", out, t.Objects(), outDT, s.Levels[0], time.Since(start).Seconds())
	return nil
}

// labelPrecheck refuses an occupied output before the first passes run
// (the engine would refuse it after them), and lets --overwrite replace
// the table of an earlier run, which no Zarr hierarchy owns.
func labelPrecheck(ctx context.Context, st store.Store, f *pyrFlags, lf *labelFlags, out string) error {
	keys, err := store.ListFirst(ctx, st, "", 1)
	if err != nil {
		return fmt.Errorf("listing %s: %w", out, err)
	}
	if len(keys) == 0 || f.resume || f.shard != "" {
		return nil // the engine lets a resume, or another shard, join
	}
	if !f.overwrite {
		return fmt.Errorf("%w: %s is not empty; refusing to replace it without overwrite", pyramid.ErrExists, out)
	}
	if lf.stats == "none" {
		return nil
	}
	if _, err := st.Get(ctx, ".ryomen/plan.json"); err != nil {
		return nil // not ours: the engine decides (and names what is there)
	}
	return st.Delete(ctx, lf.stats)
}

// labelBudget sizes pass 3: the budget left after the table pays for the
// engine's tasks (as the engine counts them) plus the labelling buffers of
// each block in flight.
func labelBudget(o *pyramid.Options, t *label.Table, in, out nd.DType, shape []int, stats bool) error {
	extra := t.RelabelBytes(in, stats)
	if o.Memory <= 0 {
		return nil
	}
	p, err := pyramid.NewPlan(out, shape, nil, o.Chunks, o.Shard)
	if err != nil {
		return err
	}
	left := o.Memory - t.Bytes() - p.TrackingBytes(max(o.ShardCount, 1))
	task := p.TaskBytes() + extra
	if left < task {
		return fmt.Errorf("%w: the label table takes %d MiB and one block %d MiB; the budget is %d MiB: use a larger --memory or smaller --chunks",
			pyramid.ErrBudget, t.Bytes()>>20, task>>20, o.Memory>>20)
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	o.Workers = int(min(int64(workers), left/task))
	o.Memory -= t.Bytes() + int64(o.Workers)*extra
	return nil
}

// pieceKey is where the statistics of block b's pieces are kept until the
// table is merged.
func pieceKey(t *label.Table, b nd.Box) string {
	k := t.BlockIndex(b.Min)
	return path.Join(".ryomen", "label", strconv.Itoa(k/4096), strconv.Itoa(k))
}

func relabelWithStats(ctx context.Context, t *label.Table, st store.Store, block nd.Any, b nd.Box, dt nd.DType) (nd.Any, error) {
	buf := []byte("#\n") // never empty: some S3 servers refuse empty objects
	res, err := t.Relabel(ctx, block, b, dt, func(o label.Object) { buf = label.AppendPiece(buf, o) })
	if err != nil {
		return nil, err
	}
	if err := st.Put(ctx, pieceKey(t, b), buf); err != nil {
		return nil, err
	}
	return res, nil
}

// writeStats merges the blocks' pieces into OUT/<stats>, streaming into a
// local file (renamed into place) or, for object stores, through memory.
func writeStats(ctx context.Context, t *label.Table, oo *output, lf *labelFlags, src *source, complete bool) (uint64, error) {
	if complete {
		if _, err := oo.st.Get(ctx, lf.stats); err == nil {
			return 0, nil // written by the run that finished the output
		}
	}
	f := label.Format{Class: lf.semantic, Signed: src.r.DType().IsSigned()}
	for _, a := range src.Axes {
		f.Axes = append(f.Axes, a.Name)
	}
	if len(f.Axes) != len(src.r.Shape()) {
		f.Axes = nil
	}
	pieces := func(yield func([]byte, error) bool) {
		for k := range t.NumBlocks() {
			b := t.BlockBox(k)
			data, err := oo.st.Get(ctx, pieceKey(t, b))
			if err != nil {
				yield(nil, fmt.Errorf("statistics of block %v: %w", b, err))
				return
			}
			if !yield(bytes.TrimPrefix(data, []byte("#\n")), nil) {
				return
			}
		}
	}
	seq := iter.Seq2[[]byte, error](pieces)
	rank := len(src.r.Shape())
	if oo.local == "" {
		var buf bytes.Buffer
		n, err := label.Merge(&buf, f, rank, seq)
		if err != nil {
			return n, err
		}
		return n, oo.st.Put(ctx, lf.stats, buf.Bytes())
	}
	dst := filepath.Join(oo.local, filepath.FromSlash(lf.stats))
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-stats-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := label.Merge(tmp, f, rank, seq)
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
		return n, fmt.Errorf("writing %s: %w", dst, err)
	}
	return n, os.Rename(tmp.Name(), dst)
}
