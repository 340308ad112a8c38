package ome

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

var zyx = czyx[1:]

// imageWithLabels writes an image at img and label images at
// img/labels/NAME for each name, none registered yet.
func imageWithLabels(t *testing.T, st store.Store, version string, names ...string) {
	t.Helper()
	im := nd.New[uint16]([]int{4, 8, 8}, nd.C)
	for i := range im.Data() {
		im.Data()[i] = uint16(i * 37)
	}
	o, err := ImageOmero(im, zyx, im.Shape(), []string{"nuclei stain"})
	if err != nil {
		t.Fatal(err)
	}
	writeImage(t, st, "img", version, zyx, im, Image{Omero: o})
	for _, n := range names {
		lb := nd.New[uint32]([]int{4, 8, 8}, nd.C)
		lb.Sub(nd.NewBox([]int{1, 2, 2}, []int{3, 6, 5})).Fill(1)
		lb.Sub(nd.NewBox([]int{0, 6, 6}, []int{2, 8, 8})).Fill(2)
		writeImage(t, st, "img/labels/"+n, version, zyx, lb, Image{ImageLabel: NewImageLabel(1, 2)})
	}
}

func getJSON(t *testing.T, st store.Store, key string) map[string]any {
	t.Helper()
	b, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return m
}

// AddLabel creates the labels group where each version puts it, appends
// new names in order, ignores repeats and keeps what was there.
func TestAddLabel(t *testing.T) {
	ctx := context.Background()
	for _, v := range []string{V04, V05} {
		st := store.NewMemory()
		imageWithLabels(t, st, v, "cells", "nuclei")
		for _, n := range []string{"cells", "nuclei", "cells"} {
			if err := AddLabel(ctx, st, "img", n, ""); err != nil {
				t.Fatalf("%s: %v", v, err)
			}
		}
		lb, err := Read(ctx, st, "img/labels")
		if err != nil || !slices.Equal(lb.Labels, []string{"cells", "nuclei"}) || lb.Version != v {
			t.Fatalf("%s: labels %+v, %v", v, lb, err)
		}
		if v == V04 {
			if m := getJSON(t, st, "img/labels/.zattrs"); len(m) != 1 || m["labels"] == nil {
				t.Errorf("0.4 .zattrs %v", m)
			}
			if m := getJSON(t, st, "img/labels/.zgroup"); m["zarr_format"] != 2.0 {
				t.Errorf("0.4 .zgroup %v", m)
			}
		} else {
			m := getJSON(t, st, "img/labels/zarr.json")
			o := m["attributes"].(map[string]any)["ome"].(map[string]any)
			if m["node_type"] != "group" || o["version"] != V05 || len(o["labels"].([]any)) != 2 {
				t.Errorf("0.5 zarr.json %v", m)
			}
		}
		if err := AddLabel(ctx, st, "img", "cells", map[string]string{V04: V05, V05: V04}[v]); err == nil || !strings.Contains(err.Error(), "version") {
			t.Errorf("%s: wrong version: %v", v, err)
		}
	}
}

// An existing labels group keeps its entries (even of label images not
// present), their order and its other attributes.
func TestAddLabelKeeps(t *testing.T) {
	ctx := context.Background()
	for _, v := range []string{V04, V05} {
		st := store.NewMemory()
		imageWithLabels(t, st, v, "cells")
		attrs := map[string]any{"note": "keep me", "labels": []any{"zz", "old"}}
		format := 2
		if v == V05 {
			attrs = map[string]any{"note": "keep me", "ome": map[string]any{"version": V05, "labels": []any{"zz", "old"}, "x-extra": 1}}
			format = 3
		}
		if err := zarr.SetGroupAttrs(ctx, st, "img/labels", format, attrs); err != nil {
			t.Fatal(err)
		}
		if err := AddLabel(ctx, st, "img", "cells", v); err != nil {
			t.Fatal(err)
		}
		got, _, err := zarr.GroupAttrs(ctx, st, "img/labels")
		if err != nil {
			t.Fatal(err)
		}
		inner := got
		if v == V05 {
			inner = got["ome"].(map[string]any)
			if inner["x-extra"] != 1.0 {
				t.Errorf("0.5 lost ome.x-extra: %v", got)
			}
		}
		if got["note"] != "keep me" || !slices.Equal(inner["labels"].([]any), []any{"zz", "old", "cells"}) {
			t.Errorf("%s: attributes now %v", v, got)
		}
	}
}

// AddLabel's refusals: each names the problem, and lookups that found
// nothing wrap store.ErrNotFound or ErrNoOME.
func TestAddLabelErrors(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	if err := AddLabel(ctx, st, "nothing", "cells", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing image: %v", err)
	}
	if err := zarr.CreateGroup(ctx, st, "plain", 3, map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if err := AddLabel(ctx, st, "plain", "cells", ""); !errors.Is(err, ErrNoOME) {
		t.Errorf("non-OME group: %v", err)
	}
	imageWithLabels(t, st, V05, "cells")
	for _, n := range []string{"", "a/b", "..", "."} {
		if err := AddLabel(ctx, st, "img", n, ""); err == nil || !strings.Contains(err.Error(), "path segment") {
			t.Errorf("name %q: %v", n, err)
		}
	}
	if err := AddLabel(ctx, st, "img", "missing", ""); err == nil || !strings.Contains(err.Error(), `"img/labels/missing"`) {
		t.Errorf("missing label image: %v", err)
	}
	if err := AddLabel(ctx, st, "img", "cells", "0.3"); err == nil {
		t.Error("version 0.3 accepted")
	}
	bad := map[string]func(store.Store) error{
		`field "labels" is string`: func(s store.Store) error {
			return zarr.SetGroupAttrs(ctx, s, "img/labels", 3, map[string]any{"ome": map[string]any{"labels": "cells"}})
		},
		`field "labels"[1] is float64`: func(s store.Store) error {
			return zarr.SetGroupAttrs(ctx, s, "img/labels", 3, map[string]any{"ome": map[string]any{"labels": []any{"a", 3}}})
		},
		"attributes.ome is not an object": func(s store.Store) error {
			return zarr.SetGroupAttrs(ctx, s, "img/labels", 3, map[string]any{"ome": "x"})
		},
		`node_type "array"`: func(s store.Store) error {
			_, err := zarr.Create(ctx, s, "img/labels", zarr.Meta{Shape: []int{2}, Chunks: []int{2}, DType: nd.Uint8}, nil)
			return err
		},
		"Zarr v2 group": func(s store.Store) error {
			s.Delete(ctx, "img/labels/zarr.json")
			return zarr.SetGroupAttrs(ctx, s, "img/labels", 2, map[string]any{"labels": []any{}})
		},
	}
	for want, f := range bad {
		s := store.NewMemory()
		imageWithLabels(t, s, V05, "cells")
		if err := f(s); err != nil {
			t.Fatal(err)
		}
		if err := AddLabel(ctx, s, "img", "cells", ""); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "img/labels") {
			t.Errorf("want %q: %v", want, err)
		}
	}
}

// Label colours are stable per value, bright, and transparent for the
// background; the image-label block points at the image two levels up.
func TestLabelColor(t *testing.T) {
	if LabelColor(0) != [4]int{} {
		t.Errorf("background %v", LabelColor(0))
	}
	seen := map[[4]int]bool{}
	for v := int64(1); v <= 2000; v++ {
		c := LabelColor(v)
		if c != LabelColor(v) || c[3] != 255 || min(c[0], c[1], c[2]) < 64 || max(c[0], c[1], c[2]) > 255 {
			t.Fatalf("label %d: %v", v, c)
		}
		seen[c] = true
	}
	if len(seen) < 1999 {
		t.Errorf("only %d distinct colours for 2000 labels", len(seen))
	}
	il := NewImageLabel(1, 5)
	if il.Source.Image != "../../" || len(il.Colors) != 2 || il.Colors[1].LabelValue != 5 || il.Colors[1].RGBA != LabelColor(5) {
		t.Errorf("%+v", il)
	}
}

// zarr-python 2 (Debian's) opens a 0.4 image whose label AddLabel
// registered: g["labels"].attrs["labels"] lists it, the label image's
// image-label and data read back, and the omero block is there.
func TestZarrPythonReadsLabels(t *testing.T) {
	py := testtool.PythonWith(t, "zarr", "numpy")
	dir := t.TempDir()
	st := store.NewFile(dir)
	imageWithLabels(t, st, V04, "cells", "nuclei")
	ctx := context.Background()
	for _, n := range []string{"nuclei", "cells"} {
		if err := AddLabel(ctx, st, "img", n, V04); err != nil {
			t.Fatal(err)
		}
	}
	script := `import sys, json, zarr, numpy as np
g = zarr.open_group(sys.argv[1], mode="r")
lab = g["labels"]
il = g["labels/cells"].attrs["image-label"]
a = g["labels/cells/0"][...]
ch = g.attrs["omero"]["channels"][0]
print(json.dumps({"labels": lab.attrs["labels"], "source": il["source"]["image"], "version": il["version"],
  "colors": [c["label-value"] for c in il["colors"]], "ones": int((a == 1).sum()), "twos": int((a == 2).sum()),
  "omero": [ch["label"], ch["color"], ch["window"]["max"]]}))`
	out, err := exec.Command(py, "-c", script, filepath.Join(dir, "img")).CombinedOutput()
	if err != nil {
		t.Fatalf("zarr-python: %v\n%s", err, out)
	}
	var got struct {
		Labels     []string
		Source     string
		Version    string
		Colors     []float64
		Ones, Twos int
		Omero      []any
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if !slices.Equal(got.Labels, []string{"nuclei", "cells"}) || got.Source != "../../" || got.Version != V04 ||
		!slices.Equal(got.Colors, []float64{1, 2}) || got.Ones != 2*4*3 || got.Twos != 2*2*2 ||
		!slices.Equal(got.Omero, []any{"nuclei stain", "FFFFFF", 65535.0}) {
		t.Errorf("zarr-python read %s", out)
	}
}

// The image may be the store's root (imagePath ""), as in the CLI's
// outputs: the group goes at "labels".
func TestAddLabelRoot(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	writeImage(t, st, "", V05, zyx, nd.New[uint8]([]int{2, 2, 2}, nd.C), Image{})
	writeImage(t, st, "labels/cells", V05, zyx, nd.New[uint8]([]int{2, 2, 2}, nd.C), Image{ImageLabel: NewImageLabel()})
	if err := AddLabel(ctx, st, "", "cells", V05); err != nil {
		t.Fatal(err)
	}
	if l, err := Read(ctx, st, "labels"); err != nil || !slices.Equal(l.Labels, []string{"cells"}) {
		t.Fatalf("%+v, %v", l, err)
	}
}
