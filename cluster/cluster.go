// Package cluster writes the batch jobs that run a sharded ryomen build on
// the clusters users have: a Slurm array script (sbatch --array) or a
// Kubernetes Indexed Job manifest. Task i of N runs
//
//	ryomen GLOBAL... COMMAND --resume --shard i/N ARGS...
//
// Shards never wait for one another (package engine): a task runs its own
// tasks of a phase and then takes over the unfinished tasks of the others,
// so any subset of the array, started in any order and any number at a
// time, completes the build, and every task that exits 0 leaves the output
// complete. Failures a retry cannot fix (exit 2: usage, 3: output in the
// way, 130: interrupted) are not retried.
package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Job is one sharded build to submit.
type Job struct {
	// Name is the job's name; Command the ryomen command (pyramid, apply,
	// convert) and Args its arguments (without --shard and --resume);
	// Global the global flags every task gets (--memory=..., --workers=...).
	Name    string
	Command string
	Args    []string
	Global  []string
	// Shards is the array size, Parallel the most tasks at once, CPUs the
	// CPUs of each task, Retries the retries of a failed task.
	Shards, Parallel, CPUs, Retries int
	// Request is the memory each task asks the scheduler for (see
	// Request).
	Request int64
	// Tasks and Largest describe the plan the array was sized from (its
	// tasks, and those of its largest phase; 0: not known).
	Tasks, Largest int64
	// Slurm: the ryomen binary on the compute nodes, the absolute
	// directory of the per-task logs, the partition and time limit.
	Binary, Logs, Partition, Time string
	// Kubernetes: the container image, the namespace and the volumes.
	Image, Namespace string
	Volumes          []Volume
}

// Volume is a ReadWriteMany PersistentVolumeClaim mounted in every pod.
type Volume struct{ Claim, Path string }

// ParseVolume reads CLAIM:/mount/path.
func ParseVolume(s string) (Volume, error) {
	claim, dir, ok := strings.Cut(s, ":")
	if !ok || claim == "" || !strings.HasPrefix(dir, "/") {
		return Volume{}, fmt.Errorf("cluster: volume %q: want CLAIM:/mount/path", s)
	}
	return Volume{claim, dir}, nil
}

// Request is the memory a task with the given budget asks for: the budget,
// plus the Go runtime, codec buffers and page cache slack (512 MiB and an
// eighth of the budget), rounded up to MiB.
func Request(memory int64) int64 {
	return (memory + 512<<20 + memory/8 + 1<<20 - 1) &^ (1<<20 - 1)
}

// TaskArgs is the command line of one task after the program name; shard
// is the --shard value.
func (j *Job) TaskArgs(shard string) []string {
	a := append([]string{}, j.Global...)
	a = append(a, "--no-progress", j.Command, "--resume", "--shard="+shard)
	return append(a, j.Args...)
}

func (j *Job) planNote() string {
	if j.Tasks == 0 {
		return "sized by the shard count (the input was not readable where this was written)"
	}
	return fmt.Sprintf("for a plan of %d tasks (largest phase %d)", j.Tasks, j.Largest)
}

// ShellQuote quotes a word for a POSIX shell.
func ShellQuote(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+./:,@%") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// Slurm renders an sbatch array script: task i runs shard i of N,
// retrying failures that a retry can fix; Slurm requeues tasks on node
// failure or preemption.
func (j *Job) Slurm() []byte {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", j.Name)
	fmt.Fprintf(&b, "#SBATCH --array=0-%d%%%d\n", j.Shards-1, j.Parallel)
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", j.CPUs)
	fmt.Fprintf(&b, "#SBATCH --mem=%dM\n", j.Request>>20)
	b.WriteString("#SBATCH --requeue\n")
	fmt.Fprintf(&b, "#SBATCH --output=%s/%%x-%%A_%%a.out\n", j.Logs)
	b.WriteString("#SBATCH --open-mode=append\n")
	if j.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", j.Partition)
	}
	if j.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", j.Time)
	}
	fmt.Fprintf(&b, "# Written by 'ryomen submit slurm': %d shard tasks, %d at a time, %s.\n", j.Shards, j.Parallel, j.planNote())
	b.WriteString("# Any task that exits 0 leaves the output complete; tasks never wait for\n")
	b.WriteString("# each other, so the throttle and the start order do not matter.\n")
	b.WriteString("set -u\n")
	var cmd []string
	for _, a := range j.TaskArgs(fmt.Sprintf("${SLURM_ARRAY_TASK_ID}/%d", j.Shards)) {
		if strings.HasPrefix(a, "--shard=") {
			cmd = append(cmd, `"`+a+`"`)
			continue
		}
		cmd = append(cmd, ShellQuote(a))
	}
	fmt.Fprintf(&b, "for attempt in $(seq 1 %d); do\n", j.Retries+1)
	fmt.Fprintf(&b, "  %s %s && exit 0\n", ShellQuote(j.Binary), strings.Join(cmd, " "))
	b.WriteString("  rc=$?\n")
	b.WriteString("  # usage (2), output in the way (3), interrupted (130): a retry cannot help\n")
	b.WriteString("  case $rc in 2|3|130) exit $rc;; esac\n")
	b.WriteString("  echo \"ryomen submit: shard ${SLURM_ARRAY_TASK_ID} attempt $attempt failed (exit $rc)\" >&2\n")
	b.WriteString("  sleep 5\n")
	b.WriteString("done\nexit $rc\n")
	return []byte(b.String())
}

// Kubernetes renders an Indexed Job: completions is the array size,
// parallelism the throttle, independent of each other; each pod takes its
// index from JOB_COMPLETION_INDEX (ryomen reads it for --shard /N).
func (j *Job) Kubernetes() ([]byte, error) {
	mem := strconv.FormatInt(j.Request>>20, 10) + "Mi"
	ctr := map[string]any{
		"name":  "ryomen",
		"image": j.Image,
		"args":  j.TaskArgs("/" + strconv.Itoa(j.Shards)),
		"resources": map[string]any{
			"requests": map[string]any{"cpu": strconv.Itoa(j.CPUs), "memory": mem},
			"limits":   map[string]any{"memory": mem},
		},
	}
	var mounts, vols []any
	for i, v := range j.Volumes {
		name := fmt.Sprintf("data%d", i)
		mounts = append(mounts, map[string]any{"name": name, "mountPath": v.Path})
		vols = append(vols, map[string]any{"name": name, "persistentVolumeClaim": map[string]any{"claimName": v.Claim}})
	}
	if mounts != nil {
		ctr["volumeMounts"] = mounts
	}
	pod := map[string]any{"restartPolicy": "Never", "containers": []any{ctr}}
	if vols != nil {
		pod["volumes"] = vols
	}
	meta := map[string]any{"name": j.Name, "labels": map[string]any{"app.kubernetes.io/name": "ryomen", "app.kubernetes.io/component": j.Command}}
	if j.Namespace != "" {
		meta["namespace"] = j.Namespace
	}
	job := map[string]any{
		"apiVersion": "batch/v1",
		"kind":       "Job",
		"metadata":   meta,
		"spec": map[string]any{
			"completionMode":       "Indexed",
			"completions":          j.Shards,
			"parallelism":          j.Parallel,
			"backoffLimitPerIndex": j.Retries,
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
		return nil, fmt.Errorf("cluster: rendering the manifest: %w", err)
	}
	head := fmt.Sprintf("# Written by 'ryomen submit k8s': %d shard pods, %d at a time, %s.\n"+
		"# Pods never wait for each other: any pod that succeeds leaves the output\n"+
		"# complete, so parallelism may be anything from 1 to completions.\n", j.Shards, j.Parallel, j.planNote())
	return append([]byte(head), body.Bytes()...), nil
}

// Submit hands a written job file to the scheduler (engine "slurm":
// sbatch; "k8s": kubectl apply) and returns the job's ID as it prints it.
func Submit(ctx context.Context, engine, file string, stderr io.Writer) (string, error) {
	var cmd *exec.Cmd
	if engine == "slurm" {
		cmd = exec.CommandContext(ctx, "sbatch", "--parsable", file)
	} else {
		cmd = exec.CommandContext(ctx, "kubectl", "apply", "-f", file)
	}
	cmd.Stderr = stderr
	res, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cluster: %s %s: %w", cmd.Args[0], file, err)
	}
	id := strings.TrimSpace(string(res))
	if engine == "slurm" {
		id, _, _ = strings.Cut(id, ";")
	}
	return id, nil
}
