package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/render"
)

// demoDir writes a small demo image (with labels/cells) and returns its
// path.
func demoDir(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "demo.ome.zarr")
	mustRun(t, "demo", "--no-progress", "--shape", "64x96x128", out)
	return out
}

// startServe runs 'ryomen serve' on a free port and returns its viewer
// URL; the server is killed when the test ends.
func startServe(t *testing.T, in string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", in)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "viewer:"); ok {
			go io.Copy(io.Discard, stdout)
			return strings.TrimSpace(u)
		}
	}
	t.Fatalf("serve printed no viewer URL (%v)", sc.Err())
	return ""
}

func readPNG(t *testing.T, p string) *image.RGBA {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	b := im.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bb, a := im.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := out.PixOffset(x, y)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = uint8(r>>8), uint8(g>>8), uint8(bb>>8), uint8(a>>8)
		}
	}
	return out
}

// TestSnapshotMatchesArray draws planes of the demo with the CLI and
// compares every pixel with the stored array through the window.
func TestSnapshotMatchesArray(t *testing.T) {
	in := demoDir(t)
	im, err := dataset.Open(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	for _, tc := range []struct {
		axis, level string
		index       int
	}{{"z", "0", 16}, {"y", "1", 40}, {"x", "0", 77}} {
		out := filepath.Join(t.TempDir(), "s.png")
		mustRun(t, "snapshot", "--axis", tc.axis, "--index", fmt.Sprint(tc.index), "--level", tc.level, "--window", "100:1500", in, out)
		got := readPNG(t, out)
		l := map[string]int{"0": 0, "1": 1}[tc.level]
		lv := im.Levels[l]
		ax := map[string]int{"z": 0, "y": 1, "x": 2}[tc.axis]
		box := nd.BoxOf(lv.Shape())
		box.Min[ax] = tc.index >> l
		box.Max[ax] = box.Min[ax] + 1
		a := nd.New[uint16](box.Shape(), nd.C)
		if err := lv.ReadRegion(box, a); err != nil {
			t.Fatal(err)
		}
		plane := a.Data() // row-major over the two other axes, as drawn
		h, w := got.Rect.Dy(), got.Rect.Dx()
		if h*w != len(plane) {
			t.Fatalf("%s=%d level %s: %dx%d pixels for a plane of %d voxels", tc.axis, tc.index, tc.level, w, h, len(plane))
		}
		for i, v := range plane {
			want := uint8(math.Round(255 * math.Min(1, math.Max(0, (float64(v)-100)/1400))))
			if p := got.Pix[4*i]; p != want || got.Pix[4*i+1] != want {
				t.Fatalf("%s=%d level %s: pixel %d is %d, want %d (value %d)", tc.axis, tc.index, tc.level, i, p, want, v)
			}
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--axis", "q"}, `axis: "q" is not an axis`},
		{[]string{"--index", "64"}, `index 64 outside axis "z"`},
		{[]string{"--labels", "nuclei"}, `labels "nuclei"`},
		{[]string{"--window", "1=0:5"}, `channel "1"`},
		{[]string{"--size", "0"}, `size "0"`},
		{[]string{"--region", "1:2"}, `region "1:2"`},
	} {
		r := run(t, append(append([]string{"snapshot"}, tc.args...), in, filepath.Join(t.TempDir(), "x.png"))...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("snapshot %v: exit %d, stderr %q; want an error naming %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestServeStore checks what other viewers rely on: CORS, preflight,
// Range requests, and refusals of keys outside the store.
func TestServeStore(t *testing.T) {
	in := demoDir(t)
	base := strings.TrimSuffix(startServe(t, in), "/")
	want, err := os.ReadFile(filepath.Join(in, "zarr.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", base+"/data/zarr.json", nil)
	req.Header.Set("Range", "bytes=5-14")
	req.Header.Set("Origin", "http://example.org")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || string(body) != string(want[5:15]) {
		t.Errorf("Range 5-14: %d %q, want 206 %q", resp.StatusCode, body, want[5:15])
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Content-Range") {
		t.Errorf("CORS headers missing: %v", resp.Header)
	}
	req, _ = http.NewRequest("OPTIONS", base+"/data/0/zarr.json", nil)
	req.Header.Set("Access-Control-Request-Headers", "range")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Range") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	for path, code := range map[string]int{"/data/nope/zarr.json": 404, "/data/0/": 404, "/data/labels/cells/zarr.json": 200,
		"/api/render?axis=w": 400, "/api/label?labels=cells&at=1,2": 400, "/api/label?labels=cells&at=16,40,60": 200} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("GET %s: %d %s, want %d", path, resp.StatusCode, b, code)
		}
	}
}

// needBrowser returns the puppeteer-core directory, skipping (failing
// under CI=true) when Chromium, node or puppeteer-core is missing.
func needBrowser(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs("testdata/browser")
	var missing []string
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing = append(missing, "chromium (apt-get install chromium)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "puppeteer-core")); err != nil {
		missing = append(missing, "puppeteer-core (scripts/deps, or npm ci in "+dir+")")
	}
	if len(missing) > 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser test needs %s", strings.Join(missing, ", "))
		}
		t.Skipf("browser test needs %s", strings.Join(missing, ", "))
	}
	return dir
}

// browserReport is what testdata/browser/viewer.mjs prints.
type browserReport struct {
	Errors                 []string `json:"errors"`
	Query1, Query2, Query3 string
	Status1, Status3       string
	Error                  string
	Hovers                 []struct {
		X, Y  int
		Label string
		Text  string
	}
}

// snapshotArgs turns a viewer's /api/render query into snapshot flags.
func snapshotArgs(t *testing.T, query string) []string {
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"snapshot", "--size", q.Get("width") + "x" + q.Get("height")}
	for _, k := range []string{"axis", "index", "region", "channels", "labels", "alpha"} {
		if q.Has(k) {
			args = append(args, "--"+k, q.Get(k))
		}
	}
	for _, w := range q["window"] {
		args = append(args, "--window", w)
	}
	if q.Get("mip") == "1" {
		args = append(args, "--mip")
	}
	if q.Get("outline") == "0" {
		args = append(args, "--no-outline")
	}
	return args
}

// maxDiff returns the largest component difference of two images and
// how many pixels differ at all (-1, -1 for different sizes).
func maxDiff(a, b *image.RGBA) (int, int) {
	if a.Rect.Dx() != b.Rect.Dx() || a.Rect.Dy() != b.Rect.Dy() {
		return -1, -1
	}
	m, n := 0, 0
	for i := 0; i < len(a.Pix); i += 4 {
		d := 0
		for k := 0; k < 3; k++ {
			d = max(d, intAbs(int(a.Pix[i+k])-int(b.Pix[i+k])))
		}
		m = max(m, d)
		if d > 0 {
			n++
		}
	}
	return m, n
}

// TestViewerInChromium loads the viewer page from 'ryomen serve' on the
// demo output in headless Chromium: the canvas at a known axis, index and
// zoom equals 'ryomen snapshot' of the same view (within 1 grey level),
// the index slider changes the image (to the snapshot of the new index),
// the label ID shown under the cursor is the one drawn there, zooming
// out reads a coarser level, and the page logs no errors.
func TestViewerInChromium(t *testing.T) {
	dir := needBrowser(t)
	in := demoDir(t)
	base := startServe(t, in)
	out := t.TempDir()
	var pts [][2]int
	for y := 20; y < 600; y += 37 {
		for x := 15; x < 640; x += 41 {
			pts = append(pts, [2]int{x, y})
		}
	}
	pj, _ := json.Marshal(pts)
	cmd := exec.Command("node", filepath.Join(dir, "viewer.mjs"), base, out, "axis=0&index=16&zoom=3&cr=48&cc=64", string(pj))
	cmd.Stderr = os.Stderr
	o, err := cmd.Output()
	if err != nil {
		t.Fatalf("viewer.mjs: %v\n%s", err, o)
	}
	var rep browserReport
	if err := json.Unmarshal(o, &rep); err != nil {
		t.Fatalf("viewer.mjs output %q: %v", o, err)
	}
	if len(rep.Errors) > 0 || rep.Error != "" {
		t.Errorf("page errors: %q %q", rep.Errors, rep.Error)
	}
	q1, _ := url.ParseQuery(rep.Query1)
	q2, _ := url.ParseQuery(rep.Query2)
	if q1.Get("axis") != "0" || q1.Get("index") != "16" || q1.Get("labels") != "cells" || q2.Get("index") != "19" {
		t.Errorf("queries: %q then %q; want axis 0, index 16 then 19, labels cells", rep.Query1, rep.Query2)
	}
	var shots [2]*image.RGBA
	for i, q := range []string{rep.Query1, rep.Query2} {
		snap := filepath.Join(out, fmt.Sprintf("snap%d.png", i+1))
		mustRun(t, append(snapshotArgs(t, q), in, snap)...)
		shots[i] = readPNG(t, filepath.Join(out, fmt.Sprintf("view%d.png", i+1)))
		m, n := maxDiff(shots[i], readPNG(t, snap))
		if m < 0 || m > 1 {
			t.Errorf("view %d (%s): screenshot differs from the snapshot by up to %d levels at %d pixels", i+1, q, m, n)
		}
		t.Logf("view %d: screenshot vs snapshot: max difference %d, %d pixels differ", i+1, m, n)
	}
	if _, n := maxDiff(shots[0], shots[1]); n < 1000 {
		t.Errorf("moving the slider changed only %d pixels", n)
	}
	// The label IDs under the cursor are those drawn at those pixels.
	src, err := render.Open(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	v, lbl, err := render.ParseView(src, q1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.Render(context.Background(), src.Image, lbl, v)
	if err != nil {
		t.Fatal(err)
	}
	nonzero := 0
	for _, h := range rep.Hovers {
		id := res.Labels[h.Y*res.Plane.Width+h.X]
		if h.Text == "outside" {
			if id != 0 {
				t.Errorf("(%d,%d): page says outside, drawn label %d", h.X, h.Y, id)
			}
			continue
		}
		if h.Label != fmt.Sprint(id) || !strings.HasPrefix(h.Text, "label "+h.Label+" at z=16 ") {
			t.Errorf("(%d,%d): page shows %q (label %q), drawn label %d", h.X, h.Y, h.Text, h.Label, id)
		}
		if id != 0 {
			nonzero++
		}
	}
	if nonzero < 5 {
		t.Errorf("only %d of %d hovered points were on a label", nonzero, len(rep.Hovers))
	}
	if !strings.HasPrefix(rep.Status1, "level 0 ") || strings.HasPrefix(rep.Status3, "level 0 ") {
		t.Errorf("levels: %q at zoom 3, %q zoomed out; want level 0 then a coarser one", rep.Status1, rep.Status3)
	}
}

// TestDemoSnapshot checks the picture 'ryomen demo' ends with: the
// snapshot command it prints makes the same PNG, and the plane it chose
// shows labels.
func TestDemoSnapshot(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "d.ome.zarr")
	r := mustRun(t, "demo", "--no-progress", "--shape", "64x96x128", out)
	var cmdline string
	for _, l := range strings.Split(r.stdout, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(l), "(ryomen snapshot "); ok {
			cmdline = strings.TrimSuffix(s, ")")
		}
	}
	if cmdline == "" || !strings.Contains(r.stdout, "ryomen serve "+out) {
		t.Fatalf("demo printed no snapshot and serve commands:\n%s", r.stdout)
	}
	args := strings.Fields(cmdline)
	again := filepath.Join(dir, "again.png")
	args[len(args)-1] = again
	mustRun(t, append([]string{"snapshot"}, args...)...)
	a, b := readPNG(t, filepath.Join(dir, "d.png")), readPNG(t, again)
	if m, n := maxDiff(a, b); m != 0 {
		t.Errorf("demo snapshot differs from %q by %d at %d pixels", cmdline, m, n)
	}
	coloured := 0
	for i := 0; i < len(a.Pix); i += 4 {
		if a.Pix[i] != a.Pix[i+1] || a.Pix[i+1] != a.Pix[i+2] {
			coloured++
		}
	}
	if coloured < len(a.Pix)/4/20 {
		t.Errorf("demo snapshot: only %d of %d pixels coloured by labels", coloured, len(a.Pix)/4)
	}
}

// TestNeuroglancerOpensServe bundles Neuroglancer from npm and opens the
// demo output served by 'ryomen serve' in headless Chromium, as an image
// layer and a segmentation layer: both data sources load, chunks of both
// are read (through a counting proxy, from another origin, so CORS and
// Range requests are exercised) and the page logs no errors.
func TestNeuroglancerOpensServe(t *testing.T) {
	dir := needBrowser(t)
	for _, m := range []string{"neuroglancer", "esbuild"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", m)); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("needs %s from npm (scripts/deps)", m)
			}
			t.Skipf("needs %s from npm (scripts/deps, or npm ci in %s)", m, dir)
		}
	}
	dist := t.TempDir()
	if o, err := exec.Command("node", filepath.Join(dir, "build-neuroglancer.mjs"), dist).CombinedOutput(); err != nil {
		t.Fatalf("bundling Neuroglancer: %v\n%s", err, o)
	}
	in := demoDir(t)
	base := startServe(t, in)
	shot := filepath.Join(t.TempDir(), "ng.png")
	cmd := exec.Command("node", filepath.Join(dir, "neuroglancer.mjs"), dist, base+"data/", shot)
	cmd.Stderr = os.Stderr
	o, err := cmd.Output()
	if err != nil {
		t.Fatalf("neuroglancer.mjs: %v\n%s", err, o)
	}
	var rep struct {
		Errors []string
		Layers []struct {
			Name, Type string
			Sources    []string
		}
		Served struct {
			Image, Labels int
			Statuses      map[string]int
		}
	}
	if err := json.Unmarshal(o, &rep); err != nil {
		t.Fatalf("neuroglancer.mjs output %q: %v", o, err)
	}
	if len(rep.Errors) > 0 {
		t.Errorf("page errors: %q", rep.Errors)
	}
	if len(rep.Layers) != 2 || rep.Layers[0].Type != "image" || rep.Layers[1].Type != "segmentation" {
		t.Fatalf("layers: %+v", rep.Layers)
	}
	for _, l := range rep.Layers {
		if len(l.Sources) != 1 || l.Sources[0] != "loaded" {
			t.Errorf("layer %s: sources %q", l.Name, l.Sources)
		}
	}
	if rep.Served.Image == 0 || rep.Served.Labels == 0 || rep.Served.Statuses["206"] == 0 {
		t.Errorf("Neuroglancer read %d image and %d label chunks (statuses %v); want both, with Range requests", rep.Served.Image, rep.Served.Labels, rep.Served.Statuses)
	}
	// The plane shown (z=16, x=80) cuts two cells: Neuroglancer draws
	// them in segment colours, mixed colours that none of its pure red,
	// green or yellow interface lines have.
	im := readPNG(t, shot)
	segs := 0
	for i := 0; i < len(im.Pix); i += 4 {
		p := im.Pix[i : i+3]
		lo, hi := min(p[0], p[1], p[2]), max(p[0], p[1], p[2])
		if lo > 20 && hi-lo > 40 {
			segs++
		}
	}
	if segs < 2000 {
		t.Errorf("Neuroglancer's screenshot has %d pixels in segment colours, want the two cells (>= 2000)", segs)
	}
	t.Logf("Neuroglancer read %d image and %d label chunk objects, statuses %v; %d pixels in segment colours", rep.Served.Image, rep.Served.Labels, rep.Served.Statuses, segs)
}

// TestSnapshotChannels draws two channels of a synthetic czyx image in
// the colours and windows given by flags and compares every pixel with
// the sum computed here from the array.
func TestSnapshotChannels(t *testing.T) {
	const loc = "synth:2x8x24x32?seed=3"
	im, err := dataset.Open(context.Background(), loc, nil)
	if err != nil {
		t.Fatal(err)
	}
	box := nd.NewBox([]int{0, 5, 0, 0}, []int{2, 6, 24, 32})
	a := nd.New[uint16](box.Shape(), nd.C)
	if err := im.ReadRegion(box, a); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "c.png")
	mustRun(t, "snapshot", "--index", "5", "--channels", "0,1", "--color", "0=FF8000", "--color", "1=0000FF",
		"--window", "0=200:1800", "--window", "1=100:900", loc, out)
	got := readPNG(t, out)
	win := func(v uint16, s, e float64) float64 { return math.Min(1, math.Max(0, (float64(v)-s)/(e-s))) }
	inside := 0
	for y := 0; y < 24; y++ {
		for x := 0; x < 32; x++ {
			t0, t1 := win(a.At(0, 0, y, x), 200, 1800), win(a.At(1, 0, y, x), 100, 900)
			if t0 > 0 && t0 < 1 && t1 > 0 && t1 < 1 {
				inside++
			}
			want := [3]uint8{uint8(math.Round(255 * t0)), uint8(math.Round(128 * t0)), uint8(math.Round(255 * t1))}
			i := got.PixOffset(x, y)
			if [3]uint8(got.Pix[i:i+3]) != want {
				t.Fatalf("pixel (%d,%d): %v, want %v (values %d, %d)", y, x, got.Pix[i:i+3], want, a.At(0, 0, y, x), a.At(1, 0, y, x))
			}
		}
	}
	if inside < 20 {
		t.Errorf("only %d pixels inside both windows: the test checks little", inside)
	}
}
