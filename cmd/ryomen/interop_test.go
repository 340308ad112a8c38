package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
