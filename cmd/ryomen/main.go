// Command ryomen builds pyramids of and processes N-d microscopy images too
// large for memory. Commands are thin: the library does the work and counts
// progress; this program parses flags, draws progress and prints summaries.
//
// Exit codes: 0 success, 1 runtime failure (I/O, bad data, budget too small),
// 2 usage error (bad flags or arguments), 3 output exists (use --overwrite or
// --resume), 130 interrupted.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/pyramid"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitExists      = 3
	exitInterrupted = 130
)

// global flags
type globals struct {
	logLevel string
	json     bool
	memory   string
	workers  int
	noProg   bool
	// cpuProfile names a file for a CPU profile of the run.
	cpuProfile string

	memBytes int64
}

var g globals

// usageError marks errors that are the caller's fault.
type usageError struct{ error }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "ryomen",
		Short:         "Pyramids and tiled processing of N-d images larger than memory",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
				return usagef("--log-level: %v", err)
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})))
			m, err := parseBytes(g.memory)
			if err != nil {
				return usagef("--memory: %v", err)
			}
			g.memBytes = m
			if m > 0 {
				// Let the GC work to the budget too, less a sixteenth for
				// what the Go runtime holds outside the heap (stacks, the
				// binary, freed pages not yet returned), so peak RSS stays
				// under --memory; the engine sizes its concurrency to it.
				debug.SetMemoryLimit(m - m/16)
			}
			if g.workers < 0 {
				return usagef("--workers must be >= 0")
			}
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.BoolVar(&g.json, "json", false, "print a machine-readable JSON summary on stdout")
	pf.StringVar(&g.memory, "memory", "1GiB", "memory budget for task data, e.g. 512MiB, 4GiB (0: unlimited)")
	pf.IntVar(&g.workers, "workers", 0, "maximum concurrent tasks (0: number of CPUs)")
	pf.BoolVar(&g.noProg, "no-progress", false, "do not show progress")
	pf.StringVar(&g.cpuProfile, "cpuprofile", "", "write a Go CPU profile to this file (for performance work)")
	pf.MarkHidden("cpuprofile")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newDemo(), newInfo(), newPyramid(), newPlan(), newConvert(), newApply(), newLabel(), newSnapshot(), newServe())
	root.AddCommand(newSubmit())
	return root
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	root.PersistentPostRun = func(*cobra.Command, []string) { pprof.StopCPUProfile() }
	cobra.OnInitialize(func() {
		if g.cpuProfile != "" {
			if f, err := os.Create(g.cpuProfile); err == nil {
				pprof.StartCPUProfile(f)
			}
		}
	})
	err := root.ExecuteContext(ctx)
	pprof.StopCPUProfile()
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "ryomen: error:", err.Error()+hint(err))
	os.Exit(exitCode(ctx, err))
}

func exitCode(ctx context.Context, err error) int {
	var ue usageError
	switch {
	case ctx.Err() != nil:
		return exitInterrupted
	case errors.As(err, &ue), strings.Contains(err.Error(), "unknown command"),
		strings.Contains(err.Error(), "accepts "), strings.Contains(err.Error(), "requires "):
		return exitUsage
	case errors.Is(err, pyramid.ErrExists), errors.Is(err, pyramid.ErrPlanChanged), errors.Is(err, pyramid.ErrForeign), errors.Is(err, dataset.ErrExists):
		return exitExists
	}
	return exitFailure
}

// hint tells what to do about an output that is in the way, in the
// command line's words (library errors do not name flags).
func hint(err error) string {
	switch {
	case errors.Is(err, pyramid.ErrExists), errors.Is(err, dataset.ErrExists):
		return " (--overwrite replaces it; --resume continues an unfinished run)"
	case errors.Is(err, pyramid.ErrPlanChanged):
		return " (--overwrite starts again from scratch)"
	}
	return ""
}

// parseBytes reads sizes such as 64MiB, 4GiB, 1.5G, 1000000.
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suf string
		m   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
	}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suf)) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suf)]), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 512MiB or 4GiB)", s)
	}
	return int64(v * mult), nil
}

// printJSON writes v as the command's summary.
func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// parseInts reads "64,64,64".
func parseInts(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("bad list %q: want positive integers separated by commas", s)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseShard reads "i/N", falling back to JOB_COMPLETION_INDEX or
// SLURM_ARRAY_TASK_ID for i when the flag is "N" alone or "$/N".
func parseShard(s string) (int, int, error) {
	if s == "" {
		return 0, 1, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	if !ok {
		is, ns = "", s
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n < 1 {
		return 0, 0, fmt.Errorf("--shard %q: want i/N with N >= 1", s)
	}
	if is == "" {
		for _, env := range []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"} {
			if v := os.Getenv(env); v != "" {
				is = v
				break
			}
		}
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: index must be in [0, %d) (or set JOB_COMPLETION_INDEX / SLURM_ARRAY_TASK_ID)", s, n)
	}
	return i, n, nil
}
