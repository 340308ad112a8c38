package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/progress"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
)

type pyrFlags struct {
	method     string
	factor     string
	levels     int
	chunks     string
	shardShape string
	shard      string
	resume     bool
	overwrite  bool
	label      bool
	group      int
	codec      string
	level      int
	omeVersion string
}

func (f *pyrFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.method, "method", "mean", "downsampling method: mean, mode, sparse-mean, sparse-mode, min, max, stride, median")
	fl.StringVar(&f.factor, "factor", "auto", "factor per level, e.g. 2,2,2, or auto (near-isotropic from voxel size)")
	fl.IntVar(&f.levels, "levels", 0, "number of levels including level 0 (0: until the smallest level fits one chunk)")
	fl.StringVar(&f.chunks, "chunks", "", "output chunk shape, per axis or per space axis (default: 64 per space axis of a volume, 256 of a plane; 1 for channel and time)")
	fl.StringVar(&f.shardShape, "shard-shape", "", "output shard shape (a multiple of --chunks; empty: unsharded)")
	fl.StringVar(&f.shard, "shard", "", "run only shard i of N of the task plan: i/N (i from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID when given as /N)")
	fl.BoolVar(&f.resume, "resume", false, "continue an unfinished run, skipping finished tasks")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace whatever is at OUT")
	fl.BoolVar(&f.label, "label", false, "mark the output as an OME-Zarr label image")
	registerCodec(c, f)
	fl.IntVar(&f.group, "levels-per-task", 0, "levels one task computes from one block read (larger: fewer reads, bigger blocks; 0: one, and the first level computed with the copy of level 0 when --memory allows as many tasks at once)")
}

// options turns flags into engine options for src.
func (f *pyrFlags) options(src *source) (pyramid.Options, error) {
	var o pyramid.Options
	shape := src.r.Shape()
	space := src.spaceFlags()
	var err error
	chunks := dataset.DefaultChunks(shape, src.Axes)
	if f.chunks != "" {
		if chunks, err = perAxis("--chunks", f.chunks, shape, space, 0); err != nil {
			return o, err
		}
	}
	for i := range chunks {
		chunks[i] = min(chunks[i], shape[i])
	}
	var shardShape []int
	if f.shardShape != "" {
		if shardShape, err = perAxis("--shard-shape", f.shardShape, shape, space, 0); err != nil {
			return o, err
		}
		for i := range shardShape {
			// Like chunks, a shard larger than the array is pointless.
			if shardShape[i] > shape[i] {
				shardShape[i] = (shape[i] + chunks[i] - 1) / chunks[i] * chunks[i]
			}
			if shardShape[i]%chunks[i] != 0 {
				return o, usagef("--shard-shape %v is not a multiple of --chunks %v", shardShape, chunks)
			}
		}
	}
	if pyramid.Methods[f.method] == nil {
		return o, usagef("--method %q: want mean, mode, sparse-mean, sparse-mode, min, max, stride or median", f.method)
	}
	if f.levels < 0 {
		return o, usagef("--levels must be >= 0")
	}
	if f.factor == "auto" {
		o.Factors = pyramid.AutoFactors(shape, src.Scale(), space, chunks, f.levels)
	} else {
		ff, err := perAxis("--factor", f.factor, shape, space, 1)
		if err != nil {
			return o, usagef("%v (or auto)", err)
		}
		for i, v := range ff {
			if v > 1 && !space[i] {
				return o, usagef("--factor %q reduces axis %q, a %s axis: pyramids reduce space axes only (reducing it would mix %ss)",
					f.factor, src.Axes[i].Name, src.Axes[i].Type, src.Axes[i].Type)
			}
		}
		o.Factors = pyramid.FixedFactors(shape, ff, chunks, f.levels)
	}
	o.ShardIndex, o.ShardCount, err = parseShard(f.shard)
	if err != nil {
		return o, usageError{err}
	}
	if o.Codecs, err = dataset.Compression(f.codec, f.level, src.r.DType()); err != nil {
		return o, usagef("--codec %s --level %d: %v", f.codec, f.level, err)
	}
	switch f.omeVersion {
	case "", "0.5":
	case "0.4":
		if shardShape != nil {
			return o, usagef("--shard-shape needs --ome-version 0.5 (Zarr v3 sharding)")
		}
	default:
		return o, usagef("--ome-version %q: want 0.4 or 0.5", f.omeVersion)
	}
	o.OMEVersion = f.omeVersion
	o.Method, o.Chunks, o.Shard = f.method, chunks, shardShape
	o.Axes = src.Axes
	o.Memory, o.Workers = g.memBytes, g.workers
	o.Resume, o.Overwrite = f.resume, f.overwrite
	if f.group < 0 {
		return o, usagef("--levels-per-task must be >= 0")
	}
	o.Group = f.group
	o.Label = f.label
	return o, nil
}

type buildSummary struct {
	Output       string  `json:"output"`
	Path         string  `json:"path,omitempty"`
	Levels       [][]int `json:"levels"`
	Factors      [][]int `json:"factors"`
	Method       string  `json:"method"`
	Tasks        int64   `json:"tasks"`
	Skipped      int64   `json:"tasks_skipped"`
	BytesRead    int64   `json:"bytes_read"`
	BytesWritten int64   `json:"bytes_written"`
	Seconds      float64 `json:"seconds"`
	PeakRSS      int64   `json:"peak_rss_bytes,omitempty"`
	FlushSeconds float64 `json:"flush_seconds"`
}

// runner runs a job of the engine: pyramid.Build of a source, or
// process.Run.
type runner func(context.Context, pyramid.Options) (*pyramid.Plan, error)

// pyramidOf is the runner of a pyramid of r.
func pyramidOf(r nd.Reader) runner {
	return func(ctx context.Context, o pyramid.Options) (*pyramid.Plan, error) { return pyramid.Build(ctx, r, o) }
}

// build runs the engine with progress and returns a summary.
func build(ctx context.Context, name string, run runner, st store.Store, out string, o pyramid.Options) (*buildSummary, error) {
	var pr progress.Counter
	o.Store, o.Progress = st, &pr
	start := time.Now()
	stop := watch(name, &pr)
	p, err := run(ctx, o)
	stop()
	if err != nil {
		return nil, err
	}
	s := summarize(out, o, p, &pr, start)
	slog.Debug("built", "name", name, "levels", len(p.Shapes), "tasks", s.Tasks, "seconds", s.Seconds)
	return s, nil
}

// summarize describes a finished build.
func summarize(out string, o pyramid.Options, p *pyramid.Plan, pr *progress.Counter, start time.Time) *buildSummary {
	return &buildSummary{Output: out, Path: o.Path, Levels: p.Shapes, Factors: p.Factors, Method: o.Method,
		Tasks: pr.Done.Load(), Skipped: pr.Skipped.Load(), BytesRead: pr.BytesRead.Load(),
		BytesWritten: pr.BytesWritten.Load(), Seconds: time.Since(start).Seconds(), PeakRSS: peakRSS(),
		FlushSeconds: time.Duration(pr.FlushNanos.Load()).Seconds()}
}

func newPyramid() *cobra.Command {
	var f pyrFlags
	c := &cobra.Command{
		Use:   "pyramid IN OUT",
		Short: "Build an OME-Zarr v0.5 multiscale pyramid out of core",
		Long: `Build an OME-Zarr v0.5 (Zarr v3) multiscale pyramid from IN (a Zarr array,
an OME-Zarr image, or synth:ZxYxX[?seed=N&labels=1]) into the directory OUT.

Memory stays within --memory: work proceeds one output chunk (or shard) per
task. Finished tasks leave markers under OUT/.ryomen, so --resume continues a
killed run; the OME metadata is written last. --shard i/N runs one slice of the
deterministic task plan, for Kubernetes Indexed Jobs and Slurm arrays; all
shards write to the same OUT, in any order and any number at a time: a shard
that finishes its own tasks of a level takes over the others' unfinished ones,
so none waits and each that succeeds leaves OUT complete ('ryomen submit'
writes the jobs; docs/cluster.md).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			src, err := openSource(ctx, args[0])
			if err != nil {
				return err
			}
			o, err := f.options(src)
			if err != nil {
				return err
			}
			return runBuild(ctx, "pyramid", src, args[1], o, pyramidOf(src.r))
		},
	}
	f.register(c)
	return c
}

// perAxis reads a per-axis list flag: one value per axis, one value per
// space axis (channel and time axes then get 1, or def for an empty
// flag), or one value for every space axis. An empty flag gives def on
// space axes (def 0: the flag is required).
func perAxis(flag, s string, shape []int, space []bool, def int) ([]int, error) {
	nspace := 0
	for _, sp := range space {
		if sp {
			nspace++
		}
	}
	vals, err := parseInts(s)
	if err != nil {
		return nil, usagef("%s: %v", flag, err)
	}
	out := make([]int, len(shape))
	switch {
	case len(vals) == len(shape):
		copy(out, vals)
	case len(vals) == 0 && def > 0, len(vals) == 1, len(vals) == nspace:
		k := 0
		for i := range out {
			switch {
			case !space[i]:
				out[i] = 1
			case len(vals) == 0:
				out[i] = def
			case len(vals) == 1:
				out[i] = vals[0]
			default:
				out[i] = vals[k]
				k++
			}
		}
	default:
		return nil, usagef("%s %q: want %d values (one per axis) or %d (one per space axis) for shape %v", flag, s, len(shape), nspace, shape)
	}
	return out, nil
}

// registerCodec adds --codec and --level to a command writing Zarr.
func registerCodec(c *cobra.Command, f *pyrFlags) {
	c.Flags().StringVar(&f.codec, "codec", "zstd", "chunk compression: none, zstd, gzip, blosc-lz4, blosc-lz4hc, blosc-zstd, blosc-zlib, blosc-blosclz")
	c.Flags().IntVar(&f.level, "level", -1, "compression level (-1: the codec's default: zstd 3, gzip 6, blosc 5)")
	c.Flags().StringVar(&f.omeVersion, "ome-version", "0.5", "output format: 0.5 (OME-Zarr on Zarr v3, shards allowed) or 0.4 (on Zarr v2, for zarr-python 2 and older viewers)")
}

// runBuild opens OUT, runs the engine and prints the summary: the common
// tail of pyramid, convert and apply.
func runBuild(ctx context.Context, name string, src *source, out string, o pyramid.Options, run runner) error {
	oo, err := openOutput(ctx, out, src)
	if err != nil {
		return err
	}
	o.Source, o.Output, o.Path = src.id, out, joinKey(oo.path, o.Path)
	s, err := build(ctx, name, run, oo.st, out, o)
	if errors.Is(err, pyramid.ErrComplete) {
		// Retry wrappers resume until success: a finished output is one.
		if g.json {
			return printJSON(map[string]any{"output": out, "already_complete": true})
		}
		fmt.Printf("%s is already complete; nothing to do\n", out)
		return nil
	}
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(s)
	}
	if name == "pyramid" {
		fmt.Printf("wrote %d levels to %s (%d tasks, %d skipped, %.1fs)\n", len(s.Levels), out, s.Tasks, s.Skipped, s.Seconds)
	} else {
		fmt.Printf("wrote %s (%v, %.1fs)\n", out, s.Levels[0], s.Seconds)
	}
	return nil
}
