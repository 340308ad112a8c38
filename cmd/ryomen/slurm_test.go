package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slurmCluster is a real Slurm cluster of one node (this machine): munged,
// slurmctld and slurmd started from a temporary directory, with their own
// ports and munge socket, so nothing outside it is touched.
type slurmCluster struct {
	dir, conf string
	pidFiles  []string
}

// needSlurm skips (fails under CI=true) when Slurm cannot run here.
func needSlurm(t *testing.T, why string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(why, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("real Slurm cluster: %s (CI=true: install slurm-wlm and munge with scripts/deps and run as root)", msg)
	}
	t.Skipf("real Slurm cluster: %s (apt-get install slurm-wlm munge, run as root)", msg)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startSlurm starts the cluster and stops it when the test ends.
func startSlurm(t *testing.T) *slurmCluster {
	t.Helper()
	if os.Geteuid() != 0 {
		needSlurm(t, "the daemons need root")
	}
	for _, b := range []string{"/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "sbatch", "squeue", "scancel", "scontrol", "sinfo"} {
		if _, err := exec.LookPath(b); err != nil {
			needSlurm(t, "%s is missing", b)
		}
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ = strings.Cut(host, ".")
	c := &slurmCluster{dir: t.TempDir()}
	t.Cleanup(c.stop)
	d := c.dir
	for _, sub := range []string{"munge", "state", "spool", "log"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	key := make([]byte, 1024)
	rand.Read(key)
	if err := os.WriteFile(filepath.Join(d, "munge/munge.key"), key, 0o400); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(d, "munge/sock")
	c.daemon(t, "/usr/sbin/munged", "munge/munged.pid", "-f", "--key-file="+filepath.Join(d, "munge/munge.key"), "--socket="+sock,
		"--pid-file="+filepath.Join(d, "munge/munged.pid"), "--log-file="+filepath.Join(d, "log/munged.log"), "--seed-file="+filepath.Join(d, "munge/seed"))
	c.conf = filepath.Join(d, "slurm.conf")
	conf := fmt.Sprintf(slurmConf, host, freePort(t), freePort(t), sock, d, d, d, d, d, d, host, host)
	if err := os.WriteFile(c.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	c.daemon(t, "/usr/sbin/slurmctld", "slurmctld.pid", "-f", c.conf)
	c.daemon(t, "/usr/sbin/slurmd", "slurmd.pid", "-f", c.conf)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		out, _ := c.cmd("sinfo", "-h", "-o", "%T").Output()
		if strings.TrimSpace(string(out)) == "idle" {
			return c
		}
		if time.Now().After(deadline) {
			logs, _ := os.ReadFile(filepath.Join(d, "log/slurmctld.log"))
			needSlurm(t, "the node is not idle after 30s (sinfo: %q); slurmctld log:\n%s", out, tail(logs, 2000))
		}
	}
}

// slurmConf works in a container: no cgroups, no accounting, root daemons.
const slurmConf = `ClusterName=ryomentest
SlurmctldHost=%s
SlurmUser=root
SlurmdUser=root
SlurmctldPort=%d
SlurmdPort=%d
AuthType=auth/munge
AuthInfo=socket=%s
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
KillWait=5
MinJobAge=600
SchedulerParameters=sched_interval=1
StateSaveLocation=%s/state
SlurmdSpoolDir=%s/spool
SlurmctldPidFile=%s/slurmctld.pid
SlurmdPidFile=%s/slurmd.pid
SlurmctldLogFile=%s/log/slurmctld.log
SlurmdLogFile=%s/log/slurmd.log
MpiDefault=none
NodeName=%s CPUs=2 RealMemory=8000 State=UNKNOWN
PartitionName=main Nodes=%s Default=YES MaxTime=INFINITE State=UP
`

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// daemon runs a program that forks into the background and writes pidFile.
func (c *slurmCluster) daemon(t *testing.T, prog, pidFile string, args ...string) {
	t.Helper()
	c.pidFiles = append(c.pidFiles, filepath.Join(c.dir, pidFile))
	if out, err := exec.Command(prog, args...).CombinedOutput(); err != nil {
		needSlurm(t, "%s: %v\n%s", prog, err, out)
	}
}

// stop ends the daemons by their pid files, slurmd first, and waits for them.
func (c *slurmCluster) stop() {
	for i := len(c.pidFiles) - 1; i >= 0; i-- {
		b, err := os.ReadFile(c.pidFiles[i])
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 1 {
			continue
		}
		syscall.Kill(pid, syscall.SIGTERM)
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end) && syscall.Kill(pid, 0) == nil; {
			time.Sleep(100 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// cmd is a Slurm client command against this cluster.
func (c *slurmCluster) cmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "SLURM_CONF="+c.conf)
	return cmd
}

// wait polls squeue until the job has left the queue.
func (c *slurmCluster) wait(t *testing.T, job string, limit time.Duration) {
	t.Helper()
	for end := time.Now().Add(limit); ; time.Sleep(300 * time.Millisecond) {
		out, err := c.cmd("squeue", "-h", "-j", job).Output()
		if err == nil && strings.TrimSpace(string(out)) == "" {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("job %s still queued after %v:\n%s", job, limit, out)
		}
	}
}

// states returns the JobState of every task of an array job.
func (c *slurmCluster) states(t *testing.T, job string) []string {
	t.Helper()
	out, err := c.cmd("scontrol", "-o", "show", "job", job).Output()
	if err != nil {
		t.Fatalf("scontrol show job %s: %v", job, err)
	}
	var st []string
	for _, f := range strings.Fields(string(out)) {
		if s, ok := strings.CutPrefix(f, "JobState="); ok {
			st = append(st, s)
		}
	}
	return st
}

// submit runs 'ryomen submit slurm --submit' in dir and returns the job ID.
func (c *slurmCluster) submit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := c.cmd(bin, append([]string{"--memory", "256MiB", "submit", "slurm", "--submit", "--cpus", "1", "--retries", "0"}, args...)...)
	cmd.Dir = dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("ryomen submit: %v\n%s", err, e.String())
	}
	f := strings.Fields(o.String())
	if len(f) < 4 || f[0] != "submitted" {
		t.Fatalf("ryomen submit printed %q", o.String())
	}
	return f[3]
}

func markers(dir string) int {
	n := 0
	filepath.WalkDir(filepath.Join(dir, ".ryomen/tasks"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// On a real Slurm cluster, an sbatch array written and submitted by
// 'ryomen submit slurm' builds the pyramid bit for bit like one process:
// with a throttle of one task at a time (%1, which deadlocks shards that
// wait for each other), and when the array is killed by scancel mid-run and
// submitted again.
func TestSlurmCluster(t *testing.T) {
	c := startSlurm(t)
	dir := t.TempDir()
	build := []string{"pyramid", "--factor", "2,2,2", "--chunks", "16,64,64", "synth:128x512x512?seed=4"}
	ref := filepath.Join(dir, "ref")
	mustRun(t, append(append([]string{"--workers", "1"}, build...), ref)...)

	// One task at a time: the first runs everything, the others find the
	// output complete.
	one := filepath.Join(dir, "one")
	job := c.submit(t, dir, append([]string{"--shards", "4", "--parallel", "1", "--out", "one.sbatch", "--name", "one", "--"}, append(build, one)...)...)
	c.wait(t, job, 5*time.Minute)
	if st := c.states(t, job); len(st) != 4 || strings.Count(strings.Join(st, " "), "COMPLETED") != 4 {
		t.Fatalf("array %s (%%1): task states %v, want 4 COMPLETED", job, st)
	}
	sameTree(t, ref, one)
	// Task 0 did all the work; the later tasks had nothing left.
	for i := 1; i < 4; i++ {
		log, err := os.ReadFile(filepath.Join(dir, "logs", fmt.Sprintf("one-%s_%d.out", job, i)))
		if err != nil || !bytes.Contains(log, []byte("already complete")) {
			t.Errorf("task %d of the %%1 array: log %q (%v), want \"already complete\"", i, log, err)
		}
	}
	script, err := os.ReadFile(filepath.Join(dir, "one.sbatch"))
	if err != nil || !strings.Contains(string(script), "#SBATCH --array=0-3%1\n") {
		t.Fatalf("one.sbatch: %v\n%s", err, script)
	}

	// Two at a time, cancelled once some tasks are done, then submitted
	// again: the new array resumes the same run.
	killed := filepath.Join(dir, "killed")
	args := append([]string{"--shards", "4", "--parallel", "2", "--out", "killed.sbatch", "--name", "killed", "--"}, append(build, killed)...)
	job = c.submit(t, dir, args...)
	for end := time.Now().Add(3 * time.Minute); markers(killed) < 20; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("job %s wrote no markers in 3 minutes", job)
		}
	}
	if out, err := c.cmd("scancel", job).CombinedOutput(); err != nil {
		t.Fatalf("scancel %s: %v\n%s", job, err, out)
	}
	c.wait(t, job, 2*time.Minute)
	if b, _ := os.ReadFile(filepath.Join(killed, "zarr.json")); bytes.Contains(b, []byte("multiscales")) {
		t.Fatalf("the build finished before scancel (%d markers): the test needs a longer build", markers(killed))
	}
	if st := strings.Join(c.states(t, job), " "); !strings.Contains(st, "CANCELLED") {
		t.Fatalf("after scancel, task states %s", st)
	}
	t.Logf("cancelled array %s with %d task markers written", job, markers(killed))
	job = c.submit(t, dir, args...)
	c.wait(t, job, 5*time.Minute)
	if st := c.states(t, job); strings.Count(strings.Join(st, " "), "COMPLETED") != 4 {
		t.Fatalf("resubmitted array %s: task states %v, want 4 COMPLETED", job, st)
	}
	sameTree(t, ref, killed)
}

// TestSlurmBenchmark measures, on the real cluster, one process against two
// Slurm array tasks for the same pyramid, and the cost of one array task
// (scheduling, start-up, claim, markers). It runs only when
// RYOMEN_SLURM_BENCH names the synthetic volume's shape (e.g. 512x2048x2048,
// 4 GiB of uint16); the numbers go to BENCHMARKS.md.
func TestSlurmBenchmark(t *testing.T) {
	shape := os.Getenv("RYOMEN_SLURM_BENCH")
	if shape == "" {
		t.Skip("set RYOMEN_SLURM_BENCH=ZxYxX to run the Slurm benchmark")
	}
	c := startSlurm(t)
	dir := os.Getenv("RYOMEN_SLURM_BENCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	build := []string{"pyramid", "--factor", "2,2,2", "--chunks", "64,128,128", "--shard-shape", "128,256,256", "synth:" + shape + "?seed=1"}
	one := func() {
		start := time.Now()
		mustRun(t, append(append([]string{"--memory", "2GiB", "--workers", "2", "--no-progress"}, build...), filepath.Join(dir, "one"))...)
		t.Logf("1 process, 2 workers: %.1fs", time.Since(start).Seconds())
	}
	two := func() {
		start := time.Now()
		job := c.submit(t, dir, append([]string{"--memory", "1GiB", "--shards", "2", "--parallel", "2", "--out", "two.sbatch", "--name", "two", "--"}, append(build, filepath.Join(dir, "two"))...)...)
		c.wait(t, job, time.Hour)
		if st := strings.Join(c.states(t, job), " "); strings.Count(st, "COMPLETED") != 2 {
			t.Fatalf("states %s", st)
		}
		t.Logf("2 Slurm tasks, 1 CPU each: %.1fs (submit to last task done)", time.Since(start).Seconds())
	}
	// RYOMEN_SLURM_BENCH_ORDER=slurm-first swaps the runs, to see how much
	// the other load on the machine moved the figures.
	if os.Getenv("RYOMEN_SLURM_BENCH_ORDER") == "slurm-first" {
		two()
		one()
	} else {
		one()
		two()
	}
	diff := exec.Command("diff", "-rq", filepath.Join(dir, "one"), filepath.Join(dir, "two"))
	if out, err := diff.CombinedOutput(); err != nil {
		t.Fatalf("1-process and Slurm outputs differ: %v\n%s", err, out)
	}

	// Per-task cost: 16 tasks one at a time on a tiny 16-task build: task 0
	// builds it, the other 15 only start, claim and find it complete.
	start := time.Now()
	job := c.submit(t, dir, "--shards", "16", "--parallel", "1", "--out", "tiny.sbatch", "--name", "tiny", "--",
		"pyramid", "--chunks", "16", "synth:16x64x64", filepath.Join(dir, "tiny"))
	c.wait(t, job, 10*time.Minute)
	t.Logf("16 array tasks %%1 of a 16-task build: %.1fs, %.2fs per task", time.Since(start).Seconds(), time.Since(start).Seconds()/16)
}
