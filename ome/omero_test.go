package ome

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

var czyx = []Axis{{"c", "channel", ""}, {"z", "space", "micrometer"}, {"y", "space", "micrometer"}, {"x", "space", "micrometer"}}

// writeImage stores data (and coarser levels, each shape dividing the
// previous) as an OME-Zarr image at p (Zarr v2 for 0.4, v3 for 0.5) with
// the given extra metadata.
func writeImage(t *testing.T, st store.Store, p, version string, axes []Axis, data nd.Any, img Image, coarser ...nd.Any) {
	t.Helper()
	ctx := context.Background()
	var factors [][]int
	for l, lv := range append([]nd.Any{data}, coarser...) {
		m := zarr.Meta{ZarrFormat: 3, Shape: lv.Shape(), Chunks: lv.Shape(), DType: lv.DType()}
		if version == V04 {
			m.ZarrFormat, m.DimensionSeparator = 2, "/"
		} else {
			for _, a := range axes {
				m.DimensionNames = append(m.DimensionNames, a.Name)
			}
		}
		a, err := zarr.Create(ctx, st, fmt.Sprintf("%s/%d", p, l), m, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.WriteRegion(lv.Bounds(), lv); err != nil {
			t.Fatal(err)
		}
		if l > 0 {
			prev := append([]nd.Any{data}, coarser...)[l-1].Shape()
			f := make([]int, len(prev))
			for i := range f {
				f[i] = prev[i] / lv.Shape()[i]
			}
			factors = append(factors, f)
		}
	}
	l, err := Levels(data.Shape(), nil, factors, "mean")
	if err != nil {
		t.Fatal(err)
	}
	img.Version, img.Multiscales = version, []Multiscale{NewMultiscale(path2name(p), axes, l, "mean")}
	if err := Write(ctx, st, p, img); err != nil {
		t.Fatal(err)
	}
}

func path2name(p string) string { return p[strings.LastIndex(p, "/")+1:] }

func testOmero() *Omero {
	return &Omero{Name: "img", Channels: []Channel{
		{Label: "DAPI", Color: "0000FF", Window: Window{0, 65535, 100, 4000}, Active: true, Coefficient: 1, Family: "linear"},
		{Label: "GFP", Color: "00ff00", Window: Window{0, 65535, 0, 900.5}, Active: false, Coefficient: 0.5, Family: "exponential", Inverted: true},
	}, Rdefs: &Rdefs{Model: "color", DefaultZ: 3, DefaultT: 0}}
}

// The omero block is written where each version puts it (.zattrs "omero"
// for 0.4, attributes.ome.omero for 0.5) and reads back unchanged.
func TestOmeroRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, v := range []string{V04, V05} {
		st := store.NewMemory()
		want := testOmero()
		writeImage(t, st, "img", v, czyx, nd.New[uint16]([]int{2, 6, 4, 4}, nd.C), Image{Omero: want})
		key, raw := "img/zarr.json", func(m map[string]any) any { return m["attributes"].(map[string]any)["ome"].(map[string]any)["omero"] }
		if v == V04 {
			key, raw = "img/.zattrs", func(m map[string]any) any { return m["omero"] }
		}
		b, err := st.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		o, ok := raw(m).(map[string]any)
		if !ok {
			t.Fatalf("%s: no omero in %s:\n%s", v, key, b)
		}
		ch := o["channels"].([]any)[1].(map[string]any)
		if ch["color"] != "00ff00" || ch["window"].(map[string]any)["end"] != 900.5 || ch["active"] != false || ch["inverted"] != true {
			t.Errorf("%s: channel 1 stored as %v", v, ch)
		}
		if r := o["rdefs"].(map[string]any); r["model"] != "color" || r["defaultZ"] != 3.0 {
			t.Errorf("%s: rdefs stored as %v", v, r)
		}
		got, err := Read(ctx, st, "img")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Omero, want) {
			t.Errorf("%s: read back %+v, want %+v", v, got.Omero, want)
		}
	}
}

// Channels written by other tools may leave out active, coefficient and
// family; reading gives OMERO's defaults, not zero values.
func TestChannelDefaults(t *testing.T) {
	var o Omero
	if err := json.Unmarshal([]byte(`{"channels":[{"color":"FF0000","window":{"min":0,"max":255,"start":1,"end":200}},{"color":"00FF00","window":{"min":0,"max":1,"start":0,"end":1},"active":false,"family":"logarithmic","coefficient":2}]}`), &o); err != nil {
		t.Fatal(err)
	}
	c0, c1 := o.Channels[0], o.Channels[1]
	if !c0.Active || c0.Coefficient != 1 || c0.Family != "linear" || c0.Window.End != 200 {
		t.Errorf("channel 0 %+v", c0)
	}
	if c1.Active || c1.Coefficient != 2 || c1.Family != "logarithmic" {
		t.Errorf("channel 1 %+v", c1)
	}
}

// Write refuses an omero block that viewers could not use, naming the
// field.
func TestOmeroInvalid(t *testing.T) {
	cases := map[string]func(o *Omero){
		"channels[0].color":  func(o *Omero) { o.Channels[0].Color = "#0000FF" },
		"channels[1].color":  func(o *Omero) { o.Channels[1].Color = "GG0000" },
		"channels[0].window": func(o *Omero) { o.Channels[0].Window.Start = 5000; o.Channels[0].Window.End = 10 },
		"rdefs.model":        func(o *Omero) { o.Rdefs.Model = "rgb" },
		"rdefs defaultZ":     func(o *Omero) { o.Rdefs.DefaultZ = -1 },
		"channels is empty":  func(o *Omero) { o.Channels = nil },
	}
	for want, f := range cases {
		o := testOmero()
		f(o)
		st := store.NewMemory()
		l, _ := Levels([]int{2, 6, 4, 4}, nil, nil, "mean")
		err := Write(context.Background(), st, "img", Image{Version: V05, Multiscales: []Multiscale{NewMultiscale("img", czyx, l, "mean")}, Omero: o})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"img"`) {
			t.Errorf("%s: error %v", want, err)
		}
	}
}

func TestChannelColors(t *testing.T) {
	cases := map[int][]string{
		1: {"FFFFFF"},
		2: {"00FF00", "FF00FF"},
		3: {"FF0000", "00FF00", "0000FF"},
		5: {"FF0000", "00FF00", "0000FF", "FFFF00", "FF00FF"},
	}
	for n, want := range cases {
		if got := ChannelColors(n); !slices.Equal(got, want) {
			t.Errorf("%d channels: %v, want %v", n, got, want)
		}
	}
	c := ChannelColors(12)
	seen := map[string]bool{}
	for _, s := range c {
		if seen[s] || !isHexColor(s) {
			t.Errorf("12 channels: %v repeats or malformed", c)
		}
		seen[s] = true
	}
	if c13 := ChannelColors(13); c13[12] != c13[0] {
		t.Errorf("13th colour %s does not restart the cycle", c13[12])
	}
}

// NewOmero's windows: the dtype range and the 0.1/99.9 percentiles for
// integers, the data range for floats, and a non-empty contrast interval
// for constant channels.
func TestNewOmero(t *testing.T) {
	a := nd.New[uint16]([]int{2, 1000}, nd.C)
	for i := range 1000 {
		a.Set(uint16(i), 0, i) // 0..999
		a.Set(7, 1, i)         // constant
	}
	st, err := ChannelStats(a, 0)
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOmero([]string{"ramp", "flat"}, nd.Uint16, st)
	if err != nil {
		t.Fatal(err)
	}
	w0, w1 := o.Channels[0].Window, o.Channels[1].Window
	// numpy.percentile(np.arange(1000), [0.1, 99.9]).tolist() = [0.999, 998.0010000000001]
	if w0 != (Window{0, 65535, 0.999, 998.0010000000001}) {
		t.Errorf("ramp window %+v", w0)
	}
	if w1 != (Window{0, 65535, 7, 8}) {
		t.Errorf("flat window %+v", w1)
	}
	if o.Channels[0].Color != "00FF00" || o.Channels[1].Color != "FF00FF" || o.Channels[1].Label != "flat" || o.Rdefs.Model != "color" {
		t.Errorf("%+v", o)
	}
	f := nd.FromSlice([]float32{-2, 0.5, 3, 3, 3}, []int{5}, nd.C)
	fs, _ := ChannelStats(f, -1)
	fo, err := NewOmero(nil, nd.Float32, fs)
	if err != nil {
		t.Fatal(err)
	}
	// numpy.percentile([-2, .5, 3, 3, 3], [0.1, 99.9]) = [-1.99, 3.0]
	if w := fo.Channels[0].Window; w.Min != -2 || w.Max != 3 || !near(w.Start, -1.99) || w.End != 3 {
		t.Errorf("float window %+v", w)
	}
	if fo.Channels[0].Label != "channel 0" || fo.Channels[0].Color != "FFFFFF" || fo.Rdefs.Model != "greyscale" {
		t.Errorf("%+v", fo.Channels[0])
	}
	c := nd.New[float64]([]int{4}, nd.C)
	c.Fill(5)
	cs, _ := ChannelStats(c, -1)
	co, err := NewOmero(nil, nd.Float64, cs)
	if err != nil || co.Channels[0].Window != (Window{5, 10, 5, 5 + 5.0/256}) {
		t.Errorf("constant float window %+v, %v", co.Channels[0].Window, err)
	}
	// 32-bit integers: the data's range, not the dtype's.
	i32 := nd.FromSlice([]int32{-40, 9, 9, 9, 100000}, []int{5}, nd.C)
	is, _ := ChannelStats(i32, -1)
	io, err := NewOmero(nil, nd.Int32, is)
	if err != nil || io.Channels[0].Window.Min != -40 || io.Channels[0].Window.Max != 100000 {
		t.Errorf("int32 window %+v, %v", io.Channels[0].Window, err)
	}
	k := nd.FromSlice([]uint32{7, 7}, []int{2}, nd.C)
	ks, _ := ChannelStats(k, -1)
	if ko, _ := NewOmero(nil, nd.Uint32, ks); ko.Channels[0].Window != (Window{7, 8, 7, 8}) {
		t.Errorf("constant uint32 window %+v", ko.Channels[0].Window)
	}
	if _, err := NewOmero([]string{"a"}, nd.Uint16, st); err == nil || !strings.Contains(err.Error(), "1 labels for 2 channels") {
		t.Errorf("label count: %v", err)
	}
}

func near(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }

// ImageOmero finds the channel axis, computes one channel each from the
// sample and puts defaultZ at the middle plane of level 0.
func TestImageOmero(t *testing.T) {
	a := nd.New[uint8]([]int{3, 2, 4, 4}, nd.C)
	for c := range 3 {
		a.Sub(nd.NewBox([]int{c, 0, 0, 0}, []int{c + 1, 2, 4, 4})).Fill(uint8(10 * (c + 1)))
	}
	o, err := ImageOmero(a, czyx, []int{3, 41, 400, 400}, []string{"r", "g", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Rdefs.DefaultZ != 20 || len(o.Channels) != 3 || o.Channels[2].Color != "0000FF" || o.Channels[2].Label != "b" {
		t.Fatalf("%+v", o)
	}
	for c, ch := range o.Channels {
		if v := float64(10 * (c + 1)); ch.Window != (Window{0, 255, v, v + 1}) {
			t.Errorf("channel %d window %+v", c, ch.Window)
		}
	}
	if _, err := ImageOmero(a, czyx[1:], []int{41, 400, 400}, nil); err == nil {
		t.Error("axes of the wrong rank accepted")
	}
}

// A malformed omero block is an error naming the group and the field.
func TestReadBadOmero(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	attrs := map[string]any{"omero": map[string]any{"channels": []any{map[string]any{"color": 255}}}}
	if err := zarr.CreateGroup(ctx, st, "img", 2, attrs); err != nil {
		t.Fatal(err)
	}
	_, err := Read(ctx, st, "img")
	if err == nil || !strings.Contains(err.Error(), `"img"`) || !strings.Contains(err.Error(), "omero.channels.color") {
		t.Errorf("error %v", err)
	}
}

// WriteOmero takes the statistics from the coarsest level and defaultZ
// from level 0, keeps the multiscales, and refuses label images.
func TestWriteOmero(t *testing.T) {
	ctx := context.Background()
	for _, v := range []string{V04, V05} {
		st := store.NewMemory()
		l0 := nd.New[uint16]([]int{2, 8, 8, 8}, nd.C)
		l0.Fill(60000) // level 0 alone would give windows near 60000
		l1 := nd.New[uint16]([]int{2, 4, 4, 4}, nd.C)
		for i := range l1.Data() {
			l1.Data()[i] = uint16(i) // channel 0: 0..63, channel 1: 64..127
		}
		writeImage(t, st, "img", v, czyx, l0, Image{}, l1)
		o, err := WriteOmero(ctx, st, "img", []string{"a", "b"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Read(ctx, st, "img")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Omero, o) || len(got.Multiscales[0].Datasets) != 2 || o.Rdefs.DefaultZ != 4 {
			t.Fatalf("%s: read %+v, wrote %+v", v, got, o)
		}
		// numpy.percentile(np.arange(64), [0.1, 99.9]).tolist() = [0.063, 62.937000000000005]
		if w := o.Channels[0].Window; w != (Window{0, 65535, 0.063, 62.937000000000005}) {
			t.Errorf("%s: window %+v", v, w)
		}
		if w := o.Channels[1].Window; !near(w.Start, 64.063) || !near(w.End, 126.937) {
			t.Errorf("%s: window %+v", v, w)
		}
		writeImage(t, st, "img/labels/x", v, czyx, l1, Image{ImageLabel: NewImageLabel()})
		if _, err := WriteOmero(ctx, st, "img/labels/x", nil); err == nil || !strings.Contains(err.Error(), "label image") {
			t.Errorf("%s: label image: %v", v, err)
		}
		if _, err := WriteOmero(ctx, st, "nothing", nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: missing image: %v", v, err)
		}
	}
}

// A sample beyond the limit is read at its centre, all channels kept.
func TestCentre(t *testing.T) {
	a := nd.New[int32]([]int{2, 100, 100, 100}, nd.C)
	for i := range a.Data() {
		a.Data()[i] = int32(i)
	}
	r := centre(a, czyx, 1000)
	if !slices.Equal(r.Shape(), []int{2, 7, 7, 7}) {
		t.Fatalf("crop shape %v", r.Shape())
	}
	got := nd.New[int32]([]int{2, 7, 7, 7}, nd.C)
	if err := r.ReadRegion(nd.BoxOf(got.Shape()), got); err != nil {
		t.Fatal(err)
	}
	want := a.Sub(nd.NewBox([]int{0, 46, 46, 46}, []int{2, 53, 53, 53})).Clone(nd.C)
	if !slices.Equal(got.Data(), want.Data()) {
		t.Error("crop reads the wrong region")
	}
	if centre(a, czyx, 2_000_000) != nd.Reader(a) {
		t.Error("a sample within the limit was cropped")
	}
}
