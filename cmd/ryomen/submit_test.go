package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var submitBuild = []string{"pyramid", "--factor", "2,2,2", "--chunks", "16,32,32", "synth:48x160x160?seed=5"}

// largestPhase asks 'ryomen plan' for the task count of the largest phase.
func largestPhase(t *testing.T, build []string) int {
	t.Helper()
	args := append([]string{"--json", "plan", "--summary"}, build[1:]...)
	r := mustRun(t, args...)
	var p struct {
		Phases []planPhase `json:"phases"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || len(p.Phases) == 0 {
		t.Fatalf("plan --json: %v\n%s", err, r.stdout)
	}
	most := 0
	for _, ph := range p.Phases {
		most = max(most, int(ph.Tasks))
	}
	return most
}

// dig follows a path of map keys and list indices in a parsed manifest.
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("manifest: %v: not a mapping at %q", path, k)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("manifest: %v: no item %d", path, k)
			}
			v = l[k]
		}
	}
	return v
}

// The Kubernetes manifest, parsed back as YAML, holds an Indexed Job whose
// completions is the plan's largest phase (the default array size),
// parallelism the throttle, retries and resources from the flags, and
// whose container runs 'ryomen pyramid --resume --shard=/N' with the
// build's arguments unchanged. Running those exact arguments one pod at a
// time (parallelism 1) with JOB_COMPLETION_INDEX set builds the same bytes
// as one process.
func TestSubmitK8sManifest(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	largest := largestPhase(t, submitBuild)
	manifest := filepath.Join(dir, "job.yaml")
	build := append(append([]string{}, submitBuild...), out)
	mustRun(t, append([]string{"--memory", "1GiB", "submit", "k8s", "--parallel", "1", "--retries", "4", "--cpus", "3",
		"--volume", "microscopy:/data", "--name", "pyr", "--namespace", "lab", "--out", manifest, "--"}, build...)...)
	text, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var job map[string]any
	if err := yaml.Unmarshal(text, &job); err != nil {
		t.Fatalf("manifest is not YAML: %v\n%s", err, text)
	}
	n := min(largest, 64)
	wantArgs := append([]any{"--memory=1GiB", "--workers=3", "--no-progress", "pyramid", "--resume", fmt.Sprintf("--shard=/%d", n)}, anys(build[1:])...)
	ctr := []any{"spec", "template", "spec", "containers", 0}
	for _, c := range []struct {
		path []any
		want any
	}{
		{[]any{"apiVersion"}, "batch/v1"},
		{[]any{"kind"}, "Job"},
		{[]any{"metadata", "name"}, "pyr"},
		{[]any{"metadata", "namespace"}, "lab"},
		{[]any{"spec", "completionMode"}, "Indexed"},
		{[]any{"spec", "completions"}, n},
		{[]any{"spec", "parallelism"}, 1},
		{[]any{"spec", "backoffLimitPerIndex"}, 4},
		{[]any{"spec", "podFailurePolicy", "rules", 0, "action"}, "FailIndex"},
		{[]any{"spec", "podFailurePolicy", "rules", 0, "onExitCodes", "values"}, []any{2, 3}},
		{[]any{"spec", "template", "spec", "restartPolicy"}, "Never"},
		{append(ctr, "name"), "ryomen"},
		{append(ctr, "args"), wantArgs},
		// 1 GiB budget + 512 MiB + 1/8 of the budget.
		{append(ctr, "resources", "requests", "memory"), "1664Mi"},
		{append(ctr, "resources", "limits", "memory"), "1664Mi"},
		{append(ctr, "resources", "requests", "cpu"), "3"},
		{append(ctr, "volumeMounts", 0, "mountPath"), "/data"},
		{[]any{"spec", "template", "spec", "volumes", 0, "persistentVolumeClaim", "claimName"}, "microscopy"},
	} {
		if got := dig(t, job, c.path...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("manifest %v = %#v, want %#v", c.path, got, c.want)
		}
	}
	// Run the pods' command line one at a time, as parallelism 1 would.
	args := dig(t, job, append(ctr, "args")...).([]any)
	for i := range n {
		cmd := exec.Command(bin, strs(args)...)
		cmd.Env = append(os.Environ(), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i))
		if o, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pod %d: %v\n%s", i, err, o)
		}
	}
	ref := filepath.Join(dir, "ref")
	mustRun(t, append(append([]string{}, submitBuild...), ref)...)
	sameTree(t, ref, out)
}

func anys(s []string) []any {
	a := make([]any, len(s))
	for i, v := range s {
		a[i] = v
	}
	return a
}

func strs(a []any) []string {
	s := make([]string, len(a))
	for i, v := range a {
		s[i] = fmt.Sprint(v)
	}
	return s
}

// The Slurm script asks for the array, memory, CPUs, requeue and logs the
// flags give, and, run by bash once per array index one after another (as
// a %1 throttle would, no Slurm needed), builds the same bytes as one
// process. Apply and convert are submitted the same way.
func TestSubmitSlurmScript(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "job.sbatch")
	mustRun(t, append([]string{"--memory", "512MiB", "submit", "slurm", "--shards", "5", "--parallel", "2", "--cpus", "1",
		"--logs", filepath.Join(dir, "logs"), "--partition", "short", "--time", "1:00:00", "--out", script, "--"}, append(submitBuild, out)...)...)
	text, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range regexp.MustCompile(`(?m)^#SBATCH (.*)$`).FindAllStringSubmatch(string(text), -1) {
		got = append(got, m[1])
	}
	want := []string{"--job-name=ryomen-pyramid", "--array=0-4%2", "--cpus-per-task=1", "--mem=1088M", "--requeue",
		"--output=" + filepath.Join(dir, "logs") + "/%x-%A_%a.out", "--open-mode=append", "--partition=short", "--time=1:00:00"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("#SBATCH lines\n got %q\nwant %q", got, want)
	}
	if st, err := os.Stat(filepath.Join(dir, "logs")); err != nil || !st.IsDir() {
		t.Errorf("log directory not created: %v", err)
	}
	for i := range 5 {
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(), fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", i))
		if o, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("array task %d: %v\n%s", i, err, o)
		}
	}
	ref := filepath.Join(dir, "ref")
	mustRun(t, append(append([]string{}, submitBuild...), ref)...)
	sameTree(t, ref, out)

	// apply and convert: same script shape, their own command.
	for _, c := range [][]string{
		{"apply", "--op", "gaussian", "--sigma", "1", "--chunks", "16,32,32", "synth:48x160x160?seed=5"},
		{"convert", "--chunks", "16,32,32", "synth:48x160x160?seed=5"},
	} {
		r := mustRun(t, append([]string{"--memory", "512MiB", "submit", "slurm", "--shards", "3", "--logs", filepath.Join(dir, "logs"), "--"}, append(c, filepath.Join(dir, c[0]))...)...)
		if !strings.Contains(r.stdout, "#SBATCH --array=0-2%3\n") || !strings.Contains(r.stdout, " "+c[0]+" --resume \"--shard=${SLURM_ARRAY_TASK_ID}/3\" ") {
			t.Errorf("%s script:\n%s", c[0], r.stdout)
		}
	}
}

// Bad submissions are usage errors (exit 2) that name the problem.
func TestSubmitRefusals(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"submit", "pbs", "--", "pyramid", "synth:16x16x16", out}, `engine "pbs"`},
		{[]string{"submit", "slurm", "pyramid", "synth:16x16x16", out}, "put -- between"},
		{[]string{"submit", "slurm", "--", "pyramid", "--shard", "0/2", "synth:16x16x16", out}, "--shard"},
		{[]string{"submit", "slurm", "--", "pyramid", "--overwrite", "synth:16x16x16", out}, "--overwrite"},
		{[]string{"submit", "slurm", "--", "label", "synth:16x16x16", out}, `command "label"`},
		{[]string{"submit", "slurm", "--", "pyramid", "synth:16x16x16"}, "takes IN OUT"},
		{[]string{"--memory", "0", "submit", "slurm", "--", "pyramid", "synth:16x16x16", out}, "--memory must be a budget"},
		{[]string{"submit", "k8s", "--volume", "nocolon", "--", "pyramid", "synth:16x16x16", out}, `--volume "nocolon"`},
		{[]string{"submit", "slurm", "--", "pyramid", "--method", "average", "synth:16x16x16", out}, `--method "average"`},
	} {
		r := run(t, c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("ryomen %s: exit %d, stderr %q; want exit 2 naming %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
	}
}

// docs/kubernetes-job.yaml is what 'ryomen submit k8s' writes for the
// command line its header gives (the input need not exist here).
func TestKubernetesDocInStep(t *testing.T) {
	doc, err := os.ReadFile("../../docs/kubernetes-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, "--memory", "3GiB", "submit", "k8s", "--shards", "8", "--parallel", "2", "--retries", "3", "--cpus", "4",
		"--volume", "microscopy-data:/data", "--name", "ryomen-pyramid", "--",
		"pyramid", "--method=mean", "--factor=auto", "--chunks=64,128,128", "--shard-shape=128,512,512",
		"/data/in/volume.ome.zarr", "/data/out/volume-pyramid.ome.zarr")
	var want, got map[string]any
	if err := yaml.Unmarshal(doc, &want); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("docs/kubernetes-job.yaml is out of step with 'ryomen submit k8s'; generated:\n%s", r.stdout)
	}
	if dig(t, want, "spec", "parallelism") == dig(t, want, "spec", "completions") {
		t.Error("the documented job should show parallelism below completions")
	}
}
