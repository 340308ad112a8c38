package main

import (
	"math"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/nd"
)

func newApply() *cobra.Command {
	var f pyrFlags
	var op, execCmd, outDType, haloFlag string
	var sigma, value float64
	var batch, inflight int
	var execTimeout time.Duration
	c := &cobra.Command{
		Use:   "apply IN OUT",
		Short: "Run a tiled operation over an image out of core: --op gaussian or threshold",
		Long: `Run an operation tile by tile over IN and write a one-level OME-Zarr v0.5
image to OUT, out of core, resumable and shardable like pyramid.

  --op gaussian --sigma S   Gaussian blur (float32 output); tiles read a halo
                            of ceil(3S) voxels so the result equals a blur of
                            the whole image, with edges clamped
  --op threshold --value V  1 where the voxel is > V, else 0 (uint8 output)
  --exec CMD                run CMD (through /bin/sh -c) once as a model
                            server and stream it batches of crops as .npy
                            frames over stdin/stdout (docs/exec-protocol.md)

With --exec, each task's crop is its output chunk (or shard) plus --halo
voxels of context per side, padded by mirroring (edge repeated) at the image
edges so every crop of a batch has one shape; the child returns the same
shape in --out-dtype and ryomen keeps the centre.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			src, err := openSource(ctx, args[0])
			if err != nil {
				return err
			}
			f.levels, f.factor, f.method = 1, "auto", "stride"
			o, err := f.options(src)
			if err != nil {
				return err
			}
			o.Factors = nil
			switch {
			case execCmd != "" && op != "":
				return usagef("give --op or --exec, not both")
			case execCmd != "":
				var halo []int
				if halo, err = parseHalo(haloFlag, src.spaceFlags()); err != nil {
					return err
				}
				dt := src.r.DType()
				if outDType != "" {
					if dt, err = nd.ParseDType(outDType); err != nil {
						return usagef("--out-dtype: %v", err)
					}
				}
				if batch < 1 || inflight < 1 {
					return usagef("--batch and --inflight must be >= 1")
				}
				if execTimeout < 0 {
					return usagef("--exec-timeout %v: must be >= 0 (0: no limit)", execTimeout)
				}
				ex, err := startExec(ctx, execCmd, src, halo, o.Shard, o.Chunks, dt, batch, inflight, execTimeout)
				if err != nil {
					return err
				}
				defer ex.kill()
				o.Halo, o.OutDType, o.ApplyBox = halo, dt, ex.apply
				o.Method = "exec"
				// The model is the command line: a resume with another
				// command (or batch shape) must not mix results.
				o.Params = map[string]string{"exec": execCmd, "batch": strconv.Itoa(batch)}
				// Enough tasks in flight to fill every batch in flight.
				o.Workers = max(g.workers, batch*inflight)
				err = runBuild(ctx, "apply", src, args[1], o)
				if cerr := ex.close(); err == nil && cerr != nil {
					return cerr
				}
				return err
			}
			switch op {
			case "gaussian":
				if !(sigma > 0) {
					return usagef("--sigma must be > 0")
				}
				r := int(math.Ceil(3 * sigma))
				// Blur and context along space axes only: channels and
				// time points stay apart.
				space := src.spaceFlags()
				o.Halo = make([]int, len(src.r.Shape()))
				for i := range o.Halo {
					if space[i] {
						o.Halo[i] = r
					}
				}
				o.OutDType = nd.Float32
				o.Apply = func(b nd.Any, inner nd.Box) (nd.Any, error) { return gaussian(b, inner, sigma, space) }
				o.Params = map[string]string{"op": op, "sigma": strconv.FormatFloat(sigma, 'g', -1, 64)}
			case "threshold":
				o.OutDType = nd.Uint8
				o.Apply = func(b nd.Any, inner nd.Box) (nd.Any, error) { return threshold(b, inner, value) }
				o.Params = map[string]string{"op": op, "value": strconv.FormatFloat(value, 'g', -1, 64)}
			case "":
				return usagef("--op (gaussian or threshold) or --exec CMD is required")
			default:
				return usagef("--op %q: want gaussian or threshold", op)
			}
			return runBuild(ctx, "apply", src, args[1], o)
		},
	}
	fl := c.Flags()
	registerCodec(c, &f)
	fl.StringVar(&op, "op", "", "operation: gaussian or threshold")
	fl.StringVar(&execCmd, "exec", "", "external model server command (see docs/exec-protocol.md)")
	fl.StringVar(&haloFlag, "halo", "8", "--exec: context voxels per side, one value or one per axis, each >= 0")
	fl.StringVar(&outDType, "out-dtype", "", "--exec: dtype the child returns (default: the input dtype)")
	fl.IntVar(&batch, "batch", 4, "--exec: crops per request")
	fl.IntVar(&inflight, "inflight", 2, "--exec: requests sent before waiting for a response")
	fl.DurationVar(&execTimeout, "exec-timeout", 10*time.Minute, "--exec: longest wait for one response (from its request, or from the previous response if later); then the server is killed and the run fails (0: no limit)")
	fl.Float64Var(&sigma, "sigma", 1, "gaussian sigma in voxels")
	fl.Float64Var(&value, "value", 0, "threshold value")
	fl.StringVar(&f.chunks, "chunks", "", "output chunk shape, per axis or per space axis (default: 64 per space axis of a volume, 256 of a plane; 1 for channel and time); one task per chunk or shard")
	fl.StringVar(&f.shardShape, "shard-shape", "", "output shard shape (a multiple of --chunks)")
	fl.StringVar(&f.shard, "shard", "", "run only shard i of N of the task plan: i/N")
	fl.BoolVar(&f.resume, "resume", false, "continue an unfinished run")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace whatever is at OUT")
	return c
}

func toFloat(b nd.Any) (*nd.Array[float32], error) {
	a := nd.New[float32](b.Shape(), nd.C)
	return a, nd.ConvertAny(a, b)
}

func threshold(b nd.Any, inner nd.Box, v float64) (nd.Any, error) {
	a, err := toFloat(b.View(inner))
	if err != nil {
		return nil, err
	}
	out := nd.New[uint8](a.Shape(), nd.C)
	src, _ := a.Flat()
	dst, _ := out.Flat()
	for i, x := range src {
		if float64(x) > v {
			dst[i] = 1
		}
	}
	return out, nil
}

// gaussian blurs b separably along every axis with edges clamped and returns
// the inner region.
func gaussian(b nd.Any, inner nd.Box, sigma float64, space []bool) (nd.Any, error) {
	a, err := toFloat(b)
	if err != nil {
		return nil, err
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	var sum float64
	for i := range k {
		x := float64(i - r)
		w := math.Exp(-x * x / (2 * sigma * sigma))
		k[i] = float32(w)
		sum += w
	}
	for i := range k {
		k[i] /= float32(sum)
	}
	sh := a.Shape()
	data, _ := a.Flat()
	line := make([]float32, 0, 1024)
	for ax := range sh {
		if !space[ax] {
			continue
		}
		n := sh[ax]
		inner := 1
		for _, s := range sh[ax+1:] {
			inner *= s
		}
		outer := len(data) / max(1, n*inner)
		for o := range outer {
			for i := range inner {
				base := o*n*inner + i
				line = line[:0]
				for j := range n {
					line = append(line, data[base+j*inner])
				}
				for j := range n {
					var acc float32
					for t, w := range k {
						p := min(n-1, max(0, j+t-r))
						acc += w * line[p]
					}
					data[base+j*inner] = acc
				}
			}
		}
	}
	return a.Sub(inner).Clone(nd.C), nil
}
