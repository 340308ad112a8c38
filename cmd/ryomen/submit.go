package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

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

// jobSpec is a resolved submission: what every engine's job needs.
type jobSpec struct {
	submitFlags
	engine  string
	command string
	args    []string // the user's arguments of command
	tasks   int64    // tasks of the whole plan
	largest int64    // tasks of its largest phase
	memory  int64    // --memory of each task
	request int64    // memory each task asks the scheduler for
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
	spec := &jobSpec{submitFlags: f, engine: engine, command: command, args: args, memory: g.memBytes}
	p, err := sizingPlan(ctx, bc, pos[0])
	var unreachable inputError
	switch {
	case errors.As(err, &unreachable) && f.shards > 0:
		// The input may be readable only on the cluster (a pod's volume):
		// then the array is as large as asked, unchecked.
		fmt.Fprintf(os.Stderr, "ryomen submit: cannot open %s here (%v); sizing the array by --shards %d alone\n", pos[0], unreachable.error, f.shards)
		spec.largest = int64(f.shards)
	case err != nil:
		return nil, err
	default:
		spec.tasks = p.NumTasks()
		for i := range p.Phases {
			spec.largest = max(spec.largest, p.Phases[i].NumTasks())
		}
	}
	if spec.shards == 0 || int64(spec.shards) > spec.largest {
		spec.shards = int(min(spec.largest, 64))
		if f.shards > 0 {
			spec.shards = int(spec.largest)
		}
	}
	if spec.parallel == 0 || spec.parallel > spec.shards {
		spec.parallel = spec.shards
	}
	if p != nil {
		if _, err := pyramid.BudgetShards(p, g.memBytes, f.cpus, spec.shards); err != nil {
			return nil, fmt.Errorf("submit: each task's --memory %s: %w", g.memory, err)
		}
	}
	// Besides task data: the Go runtime, codec buffers, page cache slack.
	spec.request = (g.memBytes + 512<<20 + g.memBytes/8 + 1<<20 - 1) &^ (1<<20 - 1)
	if spec.name == "" {
		spec.name = "ryomen-" + command
	}
	return spec, nil
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
	return pyramid.NewPlanGroup(src.r.DType(), src.r.Shape(), o.Factors, o.Chunks, o.Shard, o.Group)
}

// inputError: the build's input could not be opened on this host.
type inputError struct{ error }

func (e inputError) Unwrap() error { return e.error }

// planNote describes the plan the array was sized from.
func (s *jobSpec) planNote() string {
	if s.tasks == 0 {
		return "sized by --shards (the input was not readable where this was written)"
	}
	return fmt.Sprintf("for a plan of %d tasks (largest phase %d)", s.tasks, s.largest)
}

// taskArgs is the command line of one task after the program name; shard is
// the --shard value.
func (s *jobSpec) taskArgs(shard string) []string {
	a := []string{"--memory=" + g.memory, "--workers=" + strconv.Itoa(s.cpus), "--no-progress", s.command, "--resume", "--shard=" + shard}
	return append(a, s.args...)
}

// writeJob renders the job, writes it and submits it if asked.
func writeJob(ctx context.Context, s *jobSpec) error {
	var text []byte
	var err error
	if s.engine == "slurm" {
		text, err = s.slurmScript()
	} else {
		text, err = s.k8sManifest()
	}
	if err != nil {
		return err
	}
	out := s.out
	if out == "" && s.submit {
		out = s.name + map[string]string{"slurm": ".sbatch", "k8s": ".yaml"}[s.engine]
	}
	if out == "" {
		_, err := os.Stdout.Write(text)
		return err
	}
	if err := os.WriteFile(out, text, 0o755); err != nil {
		return fmt.Errorf("submit: writing %s: %w", out, err)
	}
	if !s.submit {
		fmt.Fprintf(os.Stderr, "wrote %s (%d shard tasks, %d at a time, for %d tasks of work)\n", out, s.shards, s.parallel, s.tasks)
		return nil
	}
	return s.submitJob(ctx, out)
}

// submitJob hands the written job to the scheduler and prints its ID.
func (s *jobSpec) submitJob(ctx context.Context, file string) error {
	var cmd *exec.Cmd
	if s.engine == "slurm" {
		cmd = exec.CommandContext(ctx, "sbatch", "--parsable", file)
	} else {
		cmd = exec.CommandContext(ctx, "kubectl", "apply", "-f", file)
	}
	cmd.Stderr = os.Stderr
	res, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("submit: %s %s: %w", cmd.Args[0], file, err)
	}
	id := strings.TrimSpace(string(res))
	if s.engine == "slurm" {
		id, _, _ = strings.Cut(id, ";")
	}
	if g.json {
		return printJSON(map[string]any{"engine": s.engine, "file": file, "job": id, "shards": s.shards, "parallel": s.parallel})
	}
	fmt.Printf("submitted %s job %s (%s: %d shard tasks, %d at a time)\n", s.engine, id, file, s.shards, s.parallel)
	return nil
}

// shellQuote quotes a word for a POSIX shell.
func shellQuote(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+./:,@%") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// slurmScript renders an sbatch array script: task i runs shard i of N,
// retrying failures that a retry can fix.
func (s *jobSpec) slurmScript() ([]byte, error) {
	bin := s.binary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("submit: finding this executable for the script (give --ryomen): %w", err)
		}
		bin = exe
	}
	logs, err := filepath.Abs(s.logs)
	if err == nil {
		err = os.MkdirAll(logs, 0o755)
	}
	if err != nil {
		return nil, fmt.Errorf("submit: --logs %s: %w", s.logs, err)
	}
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", s.name)
	fmt.Fprintf(&b, "#SBATCH --array=0-%d%%%d\n", s.shards-1, s.parallel)
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", s.cpus)
	fmt.Fprintf(&b, "#SBATCH --mem=%dM\n", s.request>>20)
	b.WriteString("#SBATCH --requeue\n")
	fmt.Fprintf(&b, "#SBATCH --output=%s/%%x-%%A_%%a.out\n", logs)
	b.WriteString("#SBATCH --open-mode=append\n")
	if s.partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", s.partition)
	}
	if s.timeLimit != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", s.timeLimit)
	}
	fmt.Fprintf(&b, "# Written by 'ryomen submit slurm': %d shard tasks, %d at a time, %s.\n", s.shards, s.parallel, s.planNote())
	b.WriteString("# Any task that exits 0 leaves the output complete; tasks never wait for\n")
	b.WriteString("# each other, so the throttle and the start order do not matter.\n")
	b.WriteString("set -u\n")
	var cmd []string
	for _, a := range s.taskArgs(fmt.Sprintf("${SLURM_ARRAY_TASK_ID}/%d", s.shards)) {
		if strings.HasPrefix(a, "--shard=") {
			cmd = append(cmd, `"`+a+`"`)
			continue
		}
		cmd = append(cmd, shellQuote(a))
	}
	fmt.Fprintf(&b, "for attempt in $(seq 1 %d); do\n", s.retries+1)
	fmt.Fprintf(&b, "  %s %s && exit 0\n", shellQuote(bin), strings.Join(cmd, " "))
	b.WriteString("  rc=$?\n")
	b.WriteString("  # usage (2), output in the way (3), interrupted (130): a retry cannot help\n")
	b.WriteString("  case $rc in 2|3|130) exit $rc;; esac\n")
	b.WriteString("  echo \"ryomen submit: shard ${SLURM_ARRAY_TASK_ID} attempt $attempt failed (exit $rc)\" >&2\n")
	b.WriteString("  sleep 5\n")
	b.WriteString("done\nexit $rc\n")
	return []byte(b.String()), nil
}

// k8sManifest renders a Kubernetes Indexed Job: completions is the array
// size, parallelism the throttle, independent of each other.
func (s *jobSpec) k8sManifest() ([]byte, error) {
	mem := strconv.FormatInt(s.request>>20, 10) + "Mi"
	ctr := map[string]any{
		"name":  "ryomen",
		"image": s.image,
		"args":  s.taskArgs("/" + strconv.Itoa(s.shards)),
		"resources": map[string]any{
			"requests": map[string]any{"cpu": strconv.Itoa(s.cpus), "memory": mem},
			"limits":   map[string]any{"memory": mem},
		},
	}
	var mounts, vols []any
	for i, v := range s.volumes {
		claim, dir, ok := strings.Cut(v, ":")
		if !ok || claim == "" || !strings.HasPrefix(dir, "/") {
			return nil, usagef("submit: --volume %q: want CLAIM:/mount/path", v)
		}
		name := fmt.Sprintf("data%d", i)
		mounts = append(mounts, map[string]any{"name": name, "mountPath": dir})
		vols = append(vols, map[string]any{"name": name, "persistentVolumeClaim": map[string]any{"claimName": claim}})
	}
	if mounts != nil {
		ctr["volumeMounts"] = mounts
	}
	pod := map[string]any{"restartPolicy": "Never", "containers": []any{ctr}}
	if vols != nil {
		pod["volumes"] = vols
	}
	meta := map[string]any{"name": s.name, "labels": map[string]any{"app.kubernetes.io/name": "ryomen", "app.kubernetes.io/component": s.command}}
	if s.namespace != "" {
		meta["namespace"] = s.namespace
	}
	job := map[string]any{
		"apiVersion": "batch/v1",
		"kind":       "Job",
		"metadata":   meta,
		"spec": map[string]any{
			"completionMode":       "Indexed",
			"completions":          s.shards,
			"parallelism":          s.parallel,
			"backoffLimitPerIndex": s.retries,
			"podFailurePolicy": map[string]any{"rules": []any{map[string]any{
				"action":      "FailIndex",
				"onExitCodes": map[string]any{"containerName": "ryomen", "operator": "In", "values": []int{2, 3}},
			}}},
			"template": map[string]any{"spec": pod},
		},
	}
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(job); err != nil {
		return nil, fmt.Errorf("submit: rendering the manifest: %w", err)
	}
	head := fmt.Sprintf("# Written by 'ryomen submit k8s': %d shard pods, %d at a time, %s.\n"+
		"# Pods never wait for each other: any pod that succeeds leaves the output\n"+
		"# complete, so parallelism may be anything from 1 to completions.\n", s.shards, s.parallel, s.planNote())
	return append([]byte(head), body.Bytes()...), nil
}
