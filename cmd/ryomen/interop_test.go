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
	mods, _ := filepath.Abs("../../zarr/testdata/js/node_modules")
	if _, err := os.Stat(filepath.Join(mods, "zarrita")); err != nil {
		t.Skip("zarrita not installed (see scripts/test)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "demo.ome.zarr")
	mustRun(t, "demo", "--shape", "64x128x128", out)
	script, _ := os.ReadFile("testdata/zarrita_check.mjs")
	os.WriteFile(filepath.Join(dir, "check.mjs"), script, 0o644)
	if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command("node", filepath.Join(dir, "check.mjs"), out, "1", "labels/cells/1").CombinedOutput()
	if err != nil {
		t.Fatalf("zarrita: %v\n%s", err, b)
	}
	s := string(b)
	for _, w := range []string{`"translation":[0.5,0.5,0.5]`, "1 [ 32, 64, 64 ] uint16", "labels/cells/1 [ 32, 64, 64 ] uint32"} {
		if !strings.Contains(s, w) {
			t.Errorf("zarrita output lacks %q:\n%s", w, s)
		}
	}
}

// The OME-Zarr 0.5 metadata of the demo's image and label pyramids passes
// the NGFF schemas as translated by @fideus-labs/ngff-zarr (zod), and that
// library's reader loads both pyramids. The official JSON schema files are
// not installable here (no package ships them), so this third-party
// validator stands in for them.
func TestNGFFSchemas(t *testing.T) {
	mods, _ := filepath.Abs("../../zarr/testdata/js/node_modules")
	if _, err := os.Stat(filepath.Join(mods, "@fideus-labs", "ngff-zarr")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("@fideus-labs/ngff-zarr is required under CI (npm ci in zarr/testdata/js)")
		}
		t.Skip("@fideus-labs/ngff-zarr not installed (see scripts/test)")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "demo.ome.zarr")
	mustRun(t, "demo", "--shape", "48x64x64", out)
	script, _ := os.ReadFile("testdata/ngff_check.mjs")
	os.WriteFile(filepath.Join(dir, "check.mjs"), script, 0o644)
	if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command("node", filepath.Join(dir, "check.mjs"), out, ".", "labels/cells").CombinedOutput()
	if err != nil {
		t.Fatalf("NGFF validation failed: %v\n%s", err, b)
	}
	s := string(b)
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
