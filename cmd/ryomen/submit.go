package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ryomen-dev/ryomen/cluster"
	"github.com/ryomen-dev/ryomen/pyramid"
)

const submitLong = `Write, and with --submit also submit, the cluster job that runs a build
sharded over an array of tasks: a Slurm batch script (sbatch --array) or a
Kubernetes Indexed Job manifest. COMMAND is pyramid, apply or convert with
the arguments you would give it (without --shard or --overwrite):

    ryomen --memory 4GiB submit slurm --shards 8 --parallel 2 --logs logs -- \
        pyramid --method mean in.zarr out.ome.zarr

Task i of N runs 'ryomen COMMAND --resume --shard i/N ARGS'. Shards never
wait for one another: a task runs its own tasks of a level, then takes over
the unfinished tasks of other shards, so any subset of the tasks, started in
any order and any number at a time (--parallel, a busy partition, a preempted
and requeued task), completes the build, and every task that exits 0 leaves
the output complete (docs/cluster.md). The array size defaults to the tasks
of the plan's largest phase, at most 64; --memory (a global flag) is each
task's budget and its request is that plus overhead.`

// submitFlags are the options of 'ryomen submit'.
type submitFlags struct {
	shards, parallel, cpus, retries int
	name, out, logs, binary         string
	partition, timeLimit            string
	image, namespace                string
	volumes                         []string
	submit                          bool
}

// jobSpec is a resolved submission: the cluster job and where it goes.
type jobSpec struct {
	cluster.Job
	engine, out string
	submit      bool
}

func newSubmit() *cobra.Command {
	var f submitFlags
	c := &cobra.Command{
		Use:   "submit slurm|k8s [flags] -- COMMAND ARGS...",
		Short: "Write (and --submit) a Slurm array or Kubernetes Indexed Job that runs a sharded build",
		Long:  submitLong,
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return usagef("submit: want ENGINE -- COMMAND ARGS (put -- between the engine and the build command)")
			}
			spec, err := resolveJob(cmd.Context(), f, args[0], args[1], args[2:])
			if err != nil {
				return err
			}
			return writeJob(cmd.Context(), spec)
		},
	}
	fl := c.Flags()
	fl.IntVar(&f.shards, "shards", 0, "array size: number of shard tasks (0: the tasks of the plan's largest phase, at most 64; needed when IN cannot be opened here)")
	fl.IntVar(&f.parallel, "parallel", 0, "most tasks running at once: Slurm's %T throttle, Kubernetes parallelism (0: all)")
	fl.IntVar(&f.cpus, "cpus", 2, "CPUs per task (also its --workers)")
	fl.IntVar(&f.retries, "retries", 2, "retries of a failed task (Kubernetes backoffLimitPerIndex; Slurm: in-script retries, plus --requeue on node failure or preemption)")
	fl.StringVar(&f.name, "name", "", "job name (default ryomen-COMMAND)")
	fl.StringVar(&f.out, "out", "", "file to write the script or manifest to (default: stdout; with --submit: NAME.sbatch or NAME.yaml)")
	fl.StringVar(&f.logs, "logs", "logs", "Slurm: directory of the per-task logs (created)")
	fl.StringVar(&f.binary, "ryomen", "", "Slurm: path of the ryomen binary on the compute nodes (default: this executable)")
	fl.StringVar(&f.partition, "partition", "", "Slurm: partition")
	fl.StringVar(&f.timeLimit, "time", "", "Slurm: time limit per task, e.g. 4:00:00")
	fl.StringVar(&f.image, "image", "ghcr.io/ryomen-dev/ryomen:latest", "Kubernetes: container image")
	fl.StringVar(&f.namespace, "namespace", "", "Kubernetes: namespace")
	fl.StringArrayVar(&f.volumes, "volume", nil, "Kubernetes: CLAIM:MOUNTPATH, a ReadWriteMany PersistentVolumeClaim to mount (repeatable)")
	fl.BoolVar(&f.submit, "submit", false, "submit the job: sbatch (Slurm) or kubectl apply (Kubernetes)")
	return c
}

// buildCommand returns a fresh command of the name, for parsing its flags.
func buildCommand(name string) (*cobra.Command, error) {
	switch name {
	case "pyramid":
		return newPyramid(), nil
	case "apply":
		return newApply(), nil
	case "convert":
		return newConvert(), nil
	}
	return nil, usagef("submit: command %q: want pyramid, apply or convert", name)
}

// resolveJob checks the build command's arguments as the command itself
// would, and sizes the array from the build's plan.
func resolveJob(ctx context.Context, f submitFlags, engine, command string, args []string) (*jobSpec, error) {
	if engine != "slurm" && engine != "k8s" {
		return nil, usagef("submit: engine %q: want slurm or k8s", engine)
	}
	bc, err := buildCommand(command)
	if err != nil {
		return nil, err
	}
	if err := bc.Flags().Parse(args); err != nil {
		return nil, usagef("submit: %s arguments: %v", command, err)
	}
	for _, bad := range []string{"shard", "overwrite"} {
		if bc.Flags().Changed(bad) {
			return nil, usagef("submit: %s --%s: the submitter sets the shard of each task, and sharded tasks cannot overwrite (empty OUT first)", command, bad)
		}
	}
	pos := bc.Flags().Args()
	if len(pos) != 2 {
		return nil, usagef("submit: %s takes IN OUT, got %d arguments %q", command, len(pos), pos)
	}
	switch {
	case f.cpus < 1:
		return nil, usagef("submit: --cpus must be >= 1")
	case f.shards < 0 || f.parallel < 0 || f.retries < 0:
		return nil, usagef("submit: --shards, --parallel and --retries must be >= 0")
	case g.memBytes <= 0:
		return nil, usagef("submit: --memory must be a budget (e.g. 4GiB): it sizes each task's memory request")
	}
	spec := &jobSpec{engine: engine, out: f.out, submit: f.submit, Job: cluster.Job{Name: f.name, Command: command, Args: args,
		Global: []string{"--memory=" + g.memory, "--workers=" + strconv.Itoa(f.cpus)},
		Shards: f.shards, Parallel: f.parallel, CPUs: f.cpus, Retries: f.retries, Request: cluster.Request(g.memBytes),
		Binary: f.binary, Partition: f.partition, Time: f.timeLimit, Image: f.image, Namespace: f.namespace}}
	for _, v := range f.volumes {
		vol, err := cluster.ParseVolume(v)
		if err != nil {
			return nil, usagef("submit: --volume %q: want CLAIM:/mount/path (%v)", v, err)
		}
		spec.Volumes = append(spec.Volumes, vol)
	}
	if engine == "slurm" {
		if err := spec.slurmPaths(f.logs); err != nil {
			return nil, err
		}
	}
	p, err := sizingPlan(ctx, bc, pos[0])
	var unreachable inputError
	switch {
	case errors.As(err, &unreachable) && f.shards > 0:
		// The input may be readable only on the cluster (a pod's volume):
		// then the array is as large as asked, unchecked.
		fmt.Fprintf(os.Stderr, "ryomen submit: cannot open %s here (%v); sizing the array by --shards %d alone\n", pos[0], unreachable.error, f.shards)
		spec.Largest = int64(f.shards)
	case err != nil:
		return nil, err
	default:
		spec.Tasks = p.NumTasks()
		for i := range p.Phases {
			spec.Largest = max(spec.Largest, p.Phases[i].NumTasks())
		}
	}
	if spec.Shards == 0 || int64(spec.Shards) > spec.Largest {
		spec.Shards = int(min(spec.Largest, 64))
		if f.shards > 0 {
			spec.Shards = int(spec.Largest)
		}
	}
	if spec.Parallel == 0 || spec.Parallel > spec.Shards {
		spec.Parallel = spec.Shards
	}
	if p != nil {
		if _, err := pyramid.BudgetShards(p, g.memBytes, f.cpus, spec.Shards); err != nil {
			return nil, fmt.Errorf("submit: each task's --memory %s: %w", g.memory, err)
		}
	}
	if spec.Name == "" {
		spec.Name = "ryomen-" + command
	}
	return spec, nil
}

// slurmPaths resolves the ryomen binary and creates the log directory.
func (s *jobSpec) slurmPaths(logs string) error {
	if s.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("submit: finding this executable for the script (give --ryomen): %w", err)
		}
		s.Binary = exe
	}
	abs, err := filepath.Abs(logs)
	if err == nil {
		err = os.MkdirAll(abs, 0o755)
	}
	if err != nil {
		return fmt.Errorf("submit: --logs %s: %w", logs, err)
	}
	s.Logs = abs
	return nil
}

// sizingPlan opens IN and computes the pyramid plan of the build's chunk,
// shard and factor flags (apply and convert: one level), which gives the
// task counts.
func sizingPlan(ctx context.Context, bc *cobra.Command, in string) (*pyramid.Plan, error) {
	scratch := &cobra.Command{}
	var f pyrFlags
	f.register(scratch)
	f.codec, f.level = "none", -1
	if bc.Name() != "pyramid" {
		f.levels, f.factor, f.method = 1, "auto", "stride"
	}
	var err error
	bc.Flags().Visit(func(fl *pflag.Flag) {
		switch fl.Name {
		case "method", "factor", "levels", "chunks", "shard-shape", "levels-per-task":
			if e := scratch.Flags().Set(fl.Name, fl.Value.String()); e != nil && err == nil {
				err = usagef("submit: --%s: %v", fl.Name, e)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	src, err := openSource(ctx, in)
	if err != nil {
		return nil, inputError{err}
	}
	o, err := f.options(src)
	if err != nil {
		return nil, err
	}
	if bc.Name() != "pyramid" {
		o.Factors = nil
	}
	return pyramid.NewPlanAuto(src.r.DType(), src.r.Shape(), o.Factors, o.Chunks, o.Shard, o.Group, o.Memory)
}

// inputError: the build's input could not be opened on this host.
type inputError struct{ error }

func (e inputError) Unwrap() error { return e.error }

// writeJob renders the job, writes it and submits it if asked.
func writeJob(ctx context.Context, s *jobSpec) error {
	text, err := s.Slurm(), error(nil)
	if s.engine == "k8s" {
		if text, err = s.Kubernetes(); err != nil {
			return err
		}
	}
	out := s.out
	if out == "" && s.submit {
		out = s.Name + map[string]string{"slurm": ".sbatch", "k8s": ".yaml"}[s.engine]
	}
	if out == "" {
		_, err := os.Stdout.Write(text)
		return err
	}
	if err := os.WriteFile(out, text, 0o755); err != nil {
		return fmt.Errorf("submit: writing %s: %w", out, err)
	}
	if !s.submit {
		fmt.Fprintf(os.Stderr, "wrote %s (%d shard tasks, %d at a time, for %d tasks of work)\n", out, s.Shards, s.Parallel, s.Tasks)
		return nil
	}
	id, err := cluster.Submit(ctx, s.engine, out, os.Stderr)
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	if g.json {
		return printJSON(map[string]any{"engine": s.engine, "file": out, "job": id, "shards": s.Shards, "parallel": s.Parallel})
	}
	fmt.Printf("submitted %s job %s (%s: %d shard tasks, %d at a time)\n", s.engine, id, out, s.Shards, s.Parallel)
	return nil
}
