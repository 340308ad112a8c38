package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/label"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/progress"
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

// labelOptions turns the flags into the labelling's options.
func labelOptions(f *pyrFlags, lf *labelFlags, src *source) (label.RunOptions, error) {
	var lo label.RunOptions
	f.levels, f.factor, f.method = 1, "auto", "stride"
	// Objects connect through space only: a channel or time axis would
	// join different channels' or time points' objects.
	for _, a := range src.Axes {
		if !a.IsSpace() {
			return lo, usagef("%s has a %s axis %q: label one channel or time point (an image of space axes only), e.g. a level of a single-channel image", src.Location, a.Type, a.Name)
		}
	}
	o, err := f.options(src)
	if err != nil {
		return lo, err
	}
	o.Factors, o.Method = nil, "label"
	if lo.Conn, err = label.ParseConn(len(src.r.Shape()), lf.conn); err != nil {
		return lo, usagef("--connectivity: %v", err)
	}
	if lf.stats != "none" {
		if err := store.CheckKey(lf.stats); err != nil || strings.ContainsAny(lf.stats, "/\\") || lf.stats[0] == '.' {
			return lo, usagef("--stats %q: want a file name inside OUT such as objects.csv, or none", lf.stats)
		}
		lo.Stats = lf.stats
	}
	if lf.outDType != "auto" {
		if lo.OutDType, err = nd.ParseDType(lf.outDType); err != nil {
			return lo, usagef("--out-dtype: %v", err)
		}
	}
	lo.Semantic, lo.MinSize, lo.Workers, lo.Memory = lf.semantic, lf.minSize, g.workers, g.memBytes
	for _, a := range src.Axes {
		lo.Axes = append(lo.Axes, a.Name)
	}
	o.Params = map[string]string{"op": "label", "connectivity": strconv.Itoa(lo.Conn.Order),
		"semantic": strconv.FormatBool(lf.semantic), "min_size": strconv.FormatUint(lf.minSize, 10),
		"stats": lf.stats, "out_dtype": lf.outDType}
	lo.Output = o
	return lo, nil
}

func runLabel(ctx context.Context, f *pyrFlags, lf *labelFlags, in, out string) error {
	src, err := openSource(ctx, in)
	if err != nil {
		return err
	}
	lo, err := labelOptions(f, lf, src)
	if err != nil {
		return err
	}
	oo, err := openOutput(ctx, out, src)
	if err != nil {
		return err
	}
	if oo.local != "" && lo.Stats != "" {
		lo.StatsFile = filepath.Join(oo.local, filepath.FromSlash(lo.Stats))
	}
	var pr progress.Counter
	lo.Output.Store, lo.Output.Progress, lo.Output.Source, lo.Output.Output = oo.st, &pr, src.id, out
	start := time.Now()
	slog.Info("label: passes 1-2 (block labels, face unions)", "connectivity", lo.Conn.Order)
	stop := watch("label", &pr)
	r, err := label.Run(ctx, src.r, lo)
	stop()
	if errors.Is(err, label.ErrOutDType) {
		return usagef("--out-dtype: %v", err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	t := r.Table
	if r.Complete {
		if g.json {
			return printJSON(map[string]any{"output": out, "already_complete": true, "objects": t.Objects()})
		}
		fmt.Printf("%s is already complete; nothing to do\n", out)
		return nil
	}
	s := summarize(out, lo.Output, r.Plan, &pr, start)
	sum := &labelSummary{buildSummary: s, Objects: t.Objects(), FaceLabels: t.FaceLabels(), Blocks: t.Blocks(),
		TableBytes: t.Bytes(), PrepSeconds: r.PrepSeconds, OutDType: r.OutDType.String(), Connectivity: lo.Conn.Order,
		Stats: lo.Stats, StatsRows: r.StatsRows}
	if g.json {
		return printJSON(sum)
	}
	fmt.Printf("wrote %s: %d objects (%s, %v, %.1fs)\n", out, t.Objects(), r.OutDType, s.Levels[0], time.Since(start).Seconds())
	return nil
}
