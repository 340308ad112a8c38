package cluster

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func job() *Job {
	return &Job{Name: "ryomen-pyramid", Command: "pyramid", Args: []string{"in dir/a.zarr", "out.ome.zarr"},
		Global: []string{"--memory=4GiB", "--workers=2"}, Shards: 8, Parallel: 2, CPUs: 2, Retries: 1,
		Request: Request(4 << 30), Tasks: 100, Largest: 64, Binary: "/opt/ryomen", Logs: "/scratch/logs",
		Image: "img:1", Volumes: []Volume{{"data", "/data"}}}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"": "''", "a.zarr": "a.zarr", "in dir": "'in dir'", "it's": `'it'\''s'`, "$x": "'$x'"} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// The script is valid bash, and task 3 of its array runs shard 3/8 with
// the arguments quoted back to the original words.
func TestSlurmScript(t *testing.T) {
	s := string(job().Slurm())
	for _, w := range []string{"#SBATCH --array=0-7%2", "#SBATCH --mem=5120M", "#SBATCH --output=/scratch/logs/%x-%A_%a.out", "seq 1 2"} {
		if !strings.Contains(s, w) {
			t.Errorf("script lacks %q:\n%s", w, s)
		}
	}
	if Request(4<<30) != (4<<30 + 512<<20 + (4<<30)/8) {
		t.Errorf("Request(4 GiB) = %d", Request(4<<30))
	}
	dir := t.TempDir()
	// A fake ryomen that prints its arguments one per line.
	fake := filepath.Join(dir, "ryomen")
	os.WriteFile(fake, []byte("#!/bin/sh\nfor a; do echo \"$a\"; done\n"), 0o755)
	j := job()
	j.Binary = fake
	script := filepath.Join(dir, "job.sbatch")
	os.WriteFile(script, j.Slurm(), 0o755)
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=3")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "--memory=4GiB\n--workers=2\n--no-progress\npyramid\n--resume\n--shard=3/8\nin dir/a.zarr\nout.ome.zarr\n"
	if string(out) != want {
		t.Errorf("task 3 ran with\n%s\nwant\n%s", out, want)
	}
}

func TestKubernetesManifest(t *testing.T) {
	b, err := job().Kubernetes()
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Kind string
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int
			Parallelism    int
			Template       struct {
				Spec struct {
					Containers []struct {
						Args      []string
						Resources struct{ Limits map[string]string }
					}
					Volumes []struct {
						PersistentVolumeClaim struct {
							ClaimName string `yaml:"claimName"`
						} `yaml:"persistentVolumeClaim"`
					}
				}
			}
		}
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	c := m.Spec.Template.Spec.Containers
	if m.Kind != "Job" || m.Spec.CompletionMode != "Indexed" || m.Spec.Completions != 8 || m.Spec.Parallelism != 2 ||
		len(c) != 1 || c[0].Resources.Limits["memory"] != "5120Mi" || c[0].Args[5] != "--shard=/8" ||
		len(m.Spec.Template.Spec.Volumes) != 1 || m.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "data" {
		t.Errorf("manifest %+v", m)
	}
	if _, err := ParseVolume("nocolon"); err == nil {
		t.Error("volume without a mount path accepted")
	}
}
