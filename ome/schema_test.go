package ome

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

// ngffCheck runs testdata/ngff_omero_check.mjs on groups under root,
// beside the npm modules of the zarr package's interop tests (which must
// hold @fideus-labs/ngff-zarr), and returns its output and error.
func ngffCheck(t *testing.T, root string, groups ...string) (string, error) {
	t.Helper()
	testtool.Command(t, "node")
	mods, _ := filepath.Abs("../zarr/testdata/js/node_modules")
	_, err := os.Stat(filepath.Join(mods, "@fideus-labs", "ngff-zarr"))
	testtool.Require(t, "@fideus-labs/ngff-zarr (npm ci in zarr/testdata/js)", err)
	b, err := os.ReadFile("testdata/ngff_omero_check.mjs")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "check.mjs"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", append([]string{filepath.Join(dir, "check.mjs"), root}, groups...)...).CombinedOutput()
	return string(out), err
}

func jsNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// The omero block NewOmero computes, the labels group AddLabel writes and
// the image-label block of NewImageLabel pass the NGFF schemas (as the
// zod schemas of @fideus-labs/ngff-zarr), for 0.4 and 0.5, and that
// library's reader parses our channels' labels, colours and windows. The
// official JSON schema files are not installable here, so this
// third-party translation stands in for them. A broken omero block (a
// "#" colour, a window without start) is rejected by the same check.
func TestNGFFSchemaOmero(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	im := nd.New[uint16]([]int{3, 4, 16, 16}, nd.C)
	for i := range im.Data() {
		c := i / (4 * 16 * 16)
		im.Data()[i] = uint16((i*2654435761)%(1000*(c+1)) + 50*c)
	}
	o, err := ImageOmero(im, czyx, im.Shape(), []string{"DAPI", "GFP", "mCherry"})
	if err != nil {
		t.Fatal(err)
	}
	var groups, want []string
	for _, v := range []string{V04, V05} {
		st := store.NewFile(filepath.Join(root, v))
		writeImage(t, st, "img", v, czyx, im, Image{Omero: o})
		lb := nd.New[uint8]([]int{3, 4, 16, 16}, nd.C)
		lb.Sub(nd.NewBox([]int{0, 1, 2, 2}, []int{3, 3, 9, 9})).Fill(3)
		writeImage(t, st, "img/labels/cells", v, czyx, lb, Image{ImageLabel: NewImageLabel(3)})
		if err := AddLabel(ctx, st, "img", "cells", v); err != nil {
			t.Fatal(err)
		}
		groups = append(groups, v+"/img", v+"/img/labels", v+"/img/labels/cells")
		var ch []string
		for _, c := range o.Channels {
			w := c.Window
			ch = append(ch, fmt.Sprintf("%s=%s[%s,%s of %s,%s]", c.Label, c.Color, jsNum(w.Start), jsNum(w.End), jsNum(w.Min), jsNum(w.Max)))
		}
		lc := v + "/img/labels/cells: valid " + v + "; image-label; 1 levels"
		if v == V05 {
			lc = v + "/img/labels/cells: valid " + v + "; image 0.5,image-label; 1 levels"
		}
		want = append(want, v+"/img: valid "+v+"; ", "; 1 levels; omero "+strings.Join(ch, " ")+"\n", v+"/img/labels: valid "+v+"; labels\n", lc+"\n")
	}
	out, err := ngffCheck(t, root, groups...)
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Count(out, ": valid") != len(groups) {
		t.Errorf("want %d valid groups:\n%s", len(groups), out)
	}
	t.Logf("%s", out)

	// Negative control: the same check rejects a broken block.
	st := store.NewFile(filepath.Join(root, "bad"))
	writeImage(t, st, "img", V05, czyx, im, Image{})
	attrs, _, _ := zarr.GroupAttrs(ctx, st, "img")
	attrs["ome"].(map[string]any)["omero"] = map[string]any{"channels": []any{map[string]any{"color": "#00FF00", "window": map[string]any{"min": 0, "max": 1, "end": 1}}}}
	if err := zarr.SetGroupAttrs(ctx, st, "img", 3, attrs); err != nil {
		t.Fatal(err)
	}
	out, err = ngffCheck(t, root, "bad/img")
	if err == nil || !strings.Contains(out, "bad/img: omero INVALID") || !strings.Contains(out, "color INVALID") {
		t.Errorf("broken omero not rejected (%v):\n%s", err, out)
	}
}
