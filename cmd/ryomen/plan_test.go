package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const bigSynth = "synth:16384x8192x8192" // 2 TiB of uint16, 4.8 million 64^3 tasks

// childPeak reads the peak RSS a command logged at debug level (its own
// VmHWM), falling back to the rusage the parent saw.
func childPeak(r result) int64 {
	if m := regexp.MustCompile(`peak_rss_bytes=(\d+)`).FindStringSubmatch(r.stderr); m != nil {
		if v, err := strconv.ParseInt(m[1], 10, 64); err == nil && v > 0 {
			return v
		}
	}
	return r.maxRSS
}

type planOut struct {
	Levels   [][]int `json:"levels"`
	NumTasks int64   `json:"num_tasks"`
	Phases   []struct {
		Tasks int64 `json:"tasks"`
	} `json:"phases"`
	Listed bool `json:"tasks_listed"`
	Tasks  []struct {
		Phase int    `json:"phase"`
		ID    int64  `json:"id"`
		Shard int    `json:"shard"`
		In    string `json:"in"`
		Out   string `json:"out"`
	} `json:"tasks"`
}

// unitsIn counts 64^3 units over every level, computed here independently.
func unitsIn(levels [][]int, unit int) int64 {
	var n int64
	for _, sh := range levels {
		c := int64(1)
		for _, s := range sh {
			c *= int64((s + unit - 1) / unit)
		}
		n += c
	}
	return n
}

// ryomen plan on a 16384x8192x8192 volume (4.8 million tasks, which the
// eager plan held as about 1 GiB) prints its summary with a peak RSS under
// 100 MiB.
func TestPlanLargeVolumeRSS(t *testing.T) {
	r := mustRun(t, "--log-level", "debug", "--json", "--memory", "256MiB", "plan", "--levels-per-task", "1", bigSynth)
	var p planOut
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, r.stdout)
	}
	if want := unitsIn(p.Levels, 64); p.NumTasks != want || want != 4793491 {
		t.Errorf("num_tasks %d, want %d (4793491)", p.NumTasks, want)
	}
	var sum int64
	for _, ph := range p.Phases {
		sum += ph.Tasks
	}
	if sum != p.NumTasks || p.Listed || p.Tasks != nil {
		t.Errorf("phases sum to %d of %d; listed %v with %d tasks", sum, p.NumTasks, p.Listed, len(p.Tasks))
	}
	peak := childPeak(r)
	t.Logf("plan %s: %d tasks, peak RSS %d MiB (rusage %d MiB)", bigSynth, p.NumTasks, peak>>20, r.maxRSS>>20)
	if peak > 100<<20 || peak == 0 {
		t.Errorf("plan peak RSS %d MiB, want under 100 MiB", peak>>20)
	}
}

// plan --tasks streams every task of a 600,000-task plan (which the eager
// listing held as well over 100 MiB) in the order of their IDs, under
// 100 MiB; the tasks are read here line by line, never held.
func TestPlanStreamsTasks(t *testing.T) {
	cmd := exec.Command(bin, "--log-level", "debug", "plan", "--levels-per-task", "1", "--tasks", "--shards", "7", "synth:4096x4096x8192")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^  phase (\d+) task (\d+) shard (\d+)/7: in (\S.*) -> out (\S.*)$`)
	var tasks, phases int64
	next := map[int64]int64{}
	var last string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			if strings.HasPrefix(sc.Text(), "phase: ") {
				phases++
			}
			continue
		}
		ph, _ := strconv.ParseInt(m[1], 10, 64)
		id, _ := strconv.ParseInt(m[2], 10, 64)
		sh, _ := strconv.ParseInt(m[3], 10, 64)
		if id != next[ph] || sh != id%7 {
			t.Fatalf("line %q: want task %d of phase %d, shard %d", sc.Text(), next[ph], ph, id%7)
		}
		next[ph]++
		tasks++
		if ph == 0 {
			last = m[5]
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("plan --tasks: %v\n%s", err, stderr.String())
	}
	r := result{stderr: stderr.String()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss * 1024
	}
	// Levels 4096x4096x8192 down to 64x64x128 and 32x32x64 (one chunk each
	// below that): 64*64*128 + 32*32*64 + ... units of 64^3.
	levels := [][]int{{4096, 4096, 8192}}
	for s := levels[0]; s[0] > 64 || s[2] > 64; {
		s = []int{(s[0] + 1) / 2, (s[1] + 1) / 2, (s[2] + 1) / 2}
		levels = append(levels, s)
	}
	if want := unitsIn(levels, 64); tasks != want || phases != int64(len(levels)) {
		t.Errorf("%d tasks in %d phases listed, want %d in %d", tasks, phases, want, len(levels))
	}
	if last != "[4032:4096, 4032:4096, 8128:8192]" {
		t.Errorf("last task of phase 0 writes %s", last)
	}
	peak := childPeak(r)
	t.Logf("plan --tasks: %d tasks streamed, peak RSS %d MiB (rusage %d MiB)", tasks, peak>>20, r.maxRSS>>20)
	if peak > 100<<20 || peak == 0 {
		t.Errorf("plan --tasks peak RSS %d MiB, want under 100 MiB", peak>>20)
	}
}

// Small plans list their tasks, big ones only with --tasks, --summary
// never; --json --tasks is one valid JSON document.
func TestPlanListing(t *testing.T) {
	small := []string{"plan", "--levels-per-task", "1", "--factor", "2,2,2", "--chunks", "16,16,16", "synth:32x64x64"}
	if r := mustRun(t, small...); !strings.Contains(r.stdout, "phase 0 task 31 shard 0/1: in [16:32, 48:64, 48:64] -> out [16:32, 48:64, 48:64]") {
		t.Errorf("small plan does not list its tasks:\n%s", r.stdout)
	}
	if r := mustRun(t, append(small, "--summary")...); strings.Contains(r.stdout, "task 0") || !strings.Contains(r.stdout, "37 tasks not listed") {
		t.Errorf("--summary:\n%s", r.stdout)
	}
	if r := mustRun(t, "plan", "--levels-per-task", "1", "synth:1024x1024x1024"); strings.Contains(r.stdout, "task 0 ") || !strings.Contains(r.stdout, "4681 tasks not listed; use --tasks") {
		t.Errorf("big plan without --tasks:\n%s", r.stdout)
	}
	// By default the first level is computed with the copy of level 0
	// (the budget allows as many tasks at once): 512+64+8+1 tasks.
	if r := mustRun(t, "plan", "synth:1024x1024x1024"); !strings.Contains(r.stdout, "phase: levels 0-1: 512 tasks") || !strings.Contains(r.stdout, "total tasks: 585") {
		t.Errorf("default plan is not fused:\n%s", r.stdout)
	}
	r := mustRun(t, "--json", "plan", "--levels-per-task", "1", "--tasks", "--shards", "4", "synth:1024x1024x1024")
	var p planOut
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("plan --json --tasks is not JSON: %v", err)
	}
	if p.NumTasks != 4681 || int64(len(p.Tasks)) != p.NumTasks || !p.Listed {
		t.Errorf("%d tasks listed of %d", len(p.Tasks), p.NumTasks)
	}
	for i, task := range p.Tasks[:4096] {
		if task.ID != int64(i) || task.Shard != i%4 || task.Phase != 0 {
			t.Fatalf("task %d: %+v", i, task)
		}
	}
	if r := run(t, "plan", "--tasks", "--summary", "synth:8x8x8"); r.code != exitUsage {
		t.Errorf("--tasks --summary: exit %d", r.code)
	}
}

// A [2^31, 2^31] image in 64x64 chunks is refused at once with the bytes its
// task tracking would need, and nothing is written.
func TestPyramidHostileShape(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	start := time.Now()
	r := run(t, "--memory", "256MiB", "pyramid", "--chunks", "64", "synth:2147483648x2147483648x1", out)
	took := time.Since(start)
	t.Logf("refused in %v, peak RSS %d MiB: %s", took, r.maxRSS>>20, r.stderr)
	for _, w := range []string{"budget", "[2147483648 2147483648 1]", "chunks [64 64 1]", "128.0 TiB"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q", w)
		}
	}
	if r.code != exitFailure || took > 5*time.Second || r.maxRSS > 100<<20 {
		t.Errorf("exit %d after %v, RSS %d MiB", r.code, took, r.maxRSS>>20)
	}
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("refused run wrote %s", p)
		}
		return nil
	})
}

// The headline: pyramid --memory 256MiB over a 2 TiB synthetic volume stays
// under 256 MiB of RSS for its first 30 s, making progress, and SIGINT
// stops it with exit 130.
func TestPyramidLargeVolumeRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 30 s")
	}
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(bin, "--no-progress", "--memory", "256MiB", "pyramid", bigSynth, out)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var hwm, rss int64 // the child's own VmHWM and VmRSS, in bytes
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if h, r := procMem(status); h > 0 {
			hwm, rss = h, max(rss, r)
		}
	}
	if h, _ := procMem(status); h > 0 {
		hwm = h
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var maxRSS int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSS = ru.Maxrss * 1024
	}
	markers := 0
	filepath.WalkDir(filepath.Join(out, ".ryomen", "tasks"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			markers++
		}
		return nil
	})
	t.Logf("30 s of %s at --memory 256MiB: %d tasks finished, VmHWM %d MiB, largest VmRSS sample %d MiB, rusage maxrss %d MiB; exit %v",
		bigSynth, markers, hwm>>20, rss>>20, maxRSS>>20, err)
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit %d after SIGINT, want %d\n%s", code, exitInterrupted, stderr.String())
	}
	if hwm == 0 || markers == 0 {
		t.Fatalf("no measurement (VmHWM %d) or no progress (%d tasks)", hwm, markers)
	}
	// VmHWM is the process's own high-water mark. rusage's maxrss is not:
	// os/exec starts children with vfork, and Linux carries the parent's
	// (the test binary's) high-water mark across exec into the child's.
	if hwm >= 256<<20 {
		t.Errorf("peak RSS %d MiB (rusage %d MiB), want under the 256 MiB budget", hwm>>20, maxRSS>>20)
	}
}

// procMem reads VmHWM and VmRSS from a /proc/<pid>/status file.
func procMem(status string) (hwm, rss int64) {
	b, err := os.ReadFile(status)
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmHWM":
			hwm = kb << 10
		case "VmRSS":
			rss = kb << 10
		}
	}
	return hwm, rss
}
