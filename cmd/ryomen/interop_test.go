package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
)

// zarrita (JavaScript) opens the sharded OME-Zarr v0.5 output of demo.
// It uses the zarrita install of the zarr package's interop tests.
func TestZarrita(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "demo.ome.zarr")
	mustRun(t, "demo", "--shape", "64x128x128", out)
	s := runNode(t, dir, "zarrita", "testdata/zarrita_check.mjs", out, "1", "labels/cells/1")
	for _, w := range []string{`"translation":[0.5,0.5,0.5]`, "1 [ 32, 64, 64 ] uint16", "labels/cells/1 [ 32, 64, 64 ] uint32"} {
		if !strings.Contains(s, w) {
			t.Errorf("zarrita output lacks %q:\n%s", w, s)
		}
	}
}

// runNode runs a node script from testdata in dir, beside the npm modules
// of the zarr package's interop tests (which must hold module), and
// returns its output.
func runNode(t *testing.T, dir, module, script string, args ...string) string {
	t.Helper()
	testtool.Command(t, "node")
	mods, _ := filepath.Abs("../../zarr/testdata/js/node_modules")
	_, err := os.Stat(filepath.Join(mods, filepath.FromSlash(module)))
	testtool.Require(t, module+" (npm ci in zarr/testdata/js)", err)
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "check.mjs"), b, 0o644)
	if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", append([]string{filepath.Join(dir, "check.mjs")}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, out)
	}
	return string(out)
}

// The OME-Zarr 0.5 metadata of the demo's image and label pyramids passes
// the NGFF schemas as translated by @fideus-labs/ngff-zarr (zod), and that
// library's reader loads both pyramids. The official JSON schema files are
// not installable here (no package ships them), so this third-party
// validator stands in for them.
func TestNGFFSchemas(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "demo.ome.zarr")
	mustRun(t, "demo", "--shape", "48x64x64", out)
	s := runNode(t, dir, "@fideus-labs/ngff-zarr", "testdata/ngff_check.mjs", out, ".", "labels/cells")
	if strings.Count(s, ": valid;") != 2 {
		t.Fatalf("expected two valid groups:\n%s", s)
	}
	t.Logf("%s", s)
}

// With --ome-version 0.4 the pyramid is OME-Zarr 0.4 on Zarr v2, which
// Debian's zarr-python 2 opens: every level it reads equals the level the
// default 0.5 (Zarr v3) output holds, for each codec zarr-python knows.
func TestZarrPythonReadsV04Pyramid(t *testing.T) {
	py := testtool.PythonWith(t, "zarr", "numcodecs")
	dir := t.TempDir()
	src := "synth:40x70x90?seed=9"
	ref := filepath.Join(dir, "ref")
	mustRun(t, "pyramid", "--levels", "3", "--factor", "2,2,2", "--chunks", "16,32,32", src, ref)
	for _, c := range []string{"zstd", "gzip", "blosc-lz4", "none"} {
		out := filepath.Join(dir, c)
		mustRun(t, "pyramid", "--ome-version", "0.4", "--codec", c, "--levels", "3", "--factor", "2,2,2", "--chunks", "16,32,32", src, out)
		for l := 0; l < 3; l++ {
			want := readOut(t, filepath.Join(ref, fmt.Sprint(l)))
			script := fmt.Sprintf(`import sys, zarr, numpy as np
g = zarr.open_group(%q, mode="r")
ms = g.attrs["multiscales"][0]
assert ms["version"] == "0.4", ms
a = g[ms["datasets"][%d]["path"]]
sys.stdout.buffer.write(np.ascontiguousarray(a[...]).astype("<u2").tobytes())`, out, l)
			got, err := exec.Command(py, "-c", script).Output()
			if err != nil {
				t.Fatalf("%s level %d: zarr-python: %v", c, l, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s level %d: zarr-python read %d bytes that differ from the 0.5 output's %d", c, l, len(got), len(want))
			}
		}
	}
	if r := run(t, "pyramid", "--ome-version", "0.4", "--shard-shape", "32,64,64", src, filepath.Join(dir, "bad")); r.code != exitUsage {
		t.Errorf("0.4 with shards: exit %d", r.code)
	}
}
