package zarr

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
)

// fillFloat returns the fill bytes of v converted to dt.
func fillFloat(dt nd.DType, v float64) []byte {
	out := nd.NewAny(dt, []int{1}, nd.C)
	if err := nd.ConvertAny(out, nd.FromSlice([]float64{v}, []int{1}, nd.C)); err != nil {
		panic(err)
	}
	b, _ := nd.AsBytes(out)
	return b
}

type fillFixture struct{ Path, DType, Compressor, Fill, Data string }

func loadFillManifest(t *testing.T, name string) []fillFixture {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var fx []fillFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx) < 10 {
		t.Fatalf("%s: only %d arrays", name, len(fx))
	}
	return fx
}

// checkFillFixtures opens every array of a gen_fill.py manifest in dir and
// compares its dtype, its fill bytes and every element's bytes with what
// zarr-python reported.
func checkFillFixtures(t *testing.T, dir, manifest string) {
	t.Helper()
	ctx := context.Background()
	for _, fx := range loadFillManifest(t, manifest) {
		a, err := Open(ctx, dirStore(dir), fx.Path)
		if err != nil {
			t.Errorf("%s: %v", fx.Path, err)
			continue
		}
		m := a.Meta()
		if got := v2DTypeString(m.DType, m.BigEndian); got != fx.DType {
			t.Errorf("%s: dtype %s, want %s", fx.Path, got, fx.DType)
		}
		if got := hex.EncodeToString(m.FillValue); got != fx.Fill {
			t.Errorf("%s: fill bytes %s, zarr-python %s", fx.Path, got, fx.Fill)
		}
		buf := nd.NewAny(m.DType, m.Shape, nd.C)
		if err := a.ReadRegion(nd.BoxOf(m.Shape), buf); err != nil {
			t.Errorf("%s: %v", fx.Path, err)
			continue
		}
		if b, _ := nd.AsBytes(buf); hex.EncodeToString(b) != fx.Data {
			t.Errorf("%s: data\n%x\nzarr-python\n%s", fx.Path, b, fx.Data)
		}
	}
}

// Arrays zarr-python wrote (committed by gen_fill.py) with int64 max and
// min, uint64 max and 2^53+1 fill values, float16 NaN/-Inf/0.1 fills and
// bool true/false fills read back exactly: fill bytes and every element.
func TestV2FillFixtures(t *testing.T) {
	checkFillFixtures(t, "testdata/fill", "testdata/fill.json")
}

// The same with arrays the installed zarr-python writes now.
func TestV2FillWrittenByZarrPythonNow(t *testing.T) {
	need(t, python, "-c", "import zarr, numcodecs")
	dir := filepath.Join(t.TempDir(), "fill")
	script, _ := filepath.Abs("testdata/gen_fill.py")
	if out, err := exec.Command(python, script, dir).CombinedOutput(); err != nil {
		t.Fatalf("gen_fill.py: %v\n%s", err, out)
	}
	checkFillFixtures(t, dir, dir+".json")
}

// Go writes the gen_fill.py arrays (only the blocks zarr-python wrote, so
// missing chunks must read as the fill value) and zarr-python reads the
// same fill values and elements, bit for bit.
func TestV2FillWrittenByUsReadByZarrPython(t *testing.T) {
	need(t, python, "-c", "import zarr, numcodecs")
	ctx := context.Background()
	dir := t.TempDir()
	for _, fx := range loadFillManifest(t, "testdata/fill.json") {
		dt, big, err := nd.ParseTypestr(fx.DType)
		if err != nil {
			t.Fatal(err)
		}
		fill, _ := hex.DecodeString(fx.Fill)
		m := Meta{ZarrFormat: 2, Shape: []int{5, 7}, Chunks: []int{2, 3}, DType: dt, BigEndian: big, FillValue: fill}
		if fx.Compressor == "zstd" {
			m.Compressor = codec.Zstd{Level: 1}
		}
		a, err := Create(ctx, dirStore(dir), fx.Path, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := hex.DecodeString(fx.Data)
		whole, err := nd.FromBytes(dt, []int{5, 7}, nd.C, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range []nd.Box{nd.NewBox([]int{0, 0}, []int{2, 3}), nd.NewBox([]int{4, 6}, []int{5, 7})} {
			if err := a.WriteRegion(b, whole.View(b)); err != nil {
				t.Fatal(err)
			}
		}
	}
	script, _ := filepath.Abs("testdata/gen_fill.py")
	manifest, _ := filepath.Abs("testdata/fill.json")
	out, err := exec.Command(python, script, "--check", dir, manifest).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok 0" {
		t.Fatalf("zarr-python: %v\n%s", err, out)
	}
}

// fill_value JSON round trips exactly through our writer and reader in
// both formats, and is written the way zarr-python and the v3 spec spell
// it.
func TestFillJSON(t *testing.T) {
	cases := []struct {
		dt     nd.DType
		fill   []byte
		v2, v3 string
	}{
		{nd.Int64, FillOf(int64(math.MaxInt64)), "9223372036854775807", "9223372036854775807"},
		{nd.Int64, FillOf(int64(math.MinInt64)), "-9223372036854775808", "-9223372036854775808"},
		{nd.Uint64, FillOf(uint64(math.MaxUint64)), "18446744073709551615", "18446744073709551615"},
		{nd.Int64, FillOf(int64(1<<53 + 1)), "9007199254740993", "9007199254740993"},
		{nd.Int8, FillOf(int8(-128)), "-128", "-128"},
		{nd.DTypeBool, FillOf(nd.True), "true", "true"},
		{nd.DTypeBool, nil, "false", "false"},
		{nd.DTypeFloat16, FillOf(nd.Float16NaN), `"NaN"`, `"NaN"`},
		{nd.DTypeFloat16, FillOf(nd.Float16(0x7e01)), `"NaN"`, `"0x7e01"`},
		{nd.DTypeFloat16, FillOf(nd.Float16FromFloat32(0.1)), "0.0999755859375", "0.0999755859375"},
		{nd.DTypeFloat16, FillOf(nd.Float16NegInf), `"-Infinity"`, `"-Infinity"`},
		{nd.Float32, FillOf(float32(math.NaN())), `"NaN"`, `"NaN"`},
		{nd.Float32, FillOf(math.Float32frombits(0xffc00001)), `"NaN"`, `"0xffc00001"`},
		{nd.Float32, FillOf(float32(0.1)), "0.1", "0.1"},
		{nd.Float64, FillOf(math.Copysign(0, -1)), "-0", "-0"},
		{nd.Float64, FillOf(1e300), "1e+300", "1e+300"},
	}
	ctx := context.Background()
	for i, c := range cases {
		for _, format := range []int{2, 3} {
			st := store.NewMemory()
			m := Meta{ZarrFormat: format, Shape: []int{3}, Chunks: []int{2}, DType: c.dt, FillValue: c.fill}
			if _, err := Create(ctx, st, "a", m, nil); err != nil {
				t.Fatal(err)
			}
			key := map[int]string{2: "a/.zarray", 3: "a/zarr.json"}[format]
			raw, _ := st.Get(ctx, key)
			var doc struct {
				FillValue json.RawMessage `json:"fill_value"`
			}
			json.Unmarshal(raw, &doc)
			want := map[int]string{2: c.v2, 3: c.v3}[format]
			if string(doc.FillValue) != want {
				t.Errorf("case %d v%d: fill_value %s, want %s", i, format, doc.FillValue, want)
			}
			a, err := Open(ctx, st, "a")
			if err != nil {
				t.Fatal(err)
			}
			wantBytes, _ := fillBytes(c.dt, c.fill)
			if c.v2 == `"NaN"` && format == 2 {
				wantBytes, _ = parseFill([]byte(`"NaN"`), c.dt) // v2 has one NaN
			}
			if got := a.Meta().FillValue; !bytes.Equal(got, wantBytes) {
				t.Errorf("case %d v%d: read back %x, want %x", i, format, got, wantBytes)
			}
		}
	}
}

// Fill values a dtype cannot hold exactly are refused with a FormatError
// naming the key and fill_value; accepted spellings give exact bytes.
func TestFillParse(t *testing.T) {
	doc := func(dtype, fill string) []byte {
		return []byte(`{"zarr_format":2,"shape":[2],"chunks":[2],"dtype":"` + dtype + `","compressor":null,"fill_value":` + fill + `,"order":"C","filters":null}`)
	}
	for _, c := range []struct{ dtype, fill string }{
		{"|i1", "128"}, {"|u1", "-1"}, {"<u8", "18446744073709551616"}, {"<i8", "9223372036854775808"},
		{"<i8", "-9223372036854775809"}, {"<u2", "1.5"}, {"<i4", "1e20"}, {"<i4", `"NaN"`}, {"<f4", "1e39"},
		{"<f2", "65520"}, {"<f8", "1e400"}, {"|b1", "2"}, {"|u1", `"0x123"`}, {"<u4", `"seven"`}, {"<u4", "[1]"},
		{"<u8", "9007199254740993.0"},
	} {
		_, err := ParseV2("g/x/.zarray", doc(c.dtype, c.fill))
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Key != "g/x/.zarray" || fe.Field != "fill_value" || !strings.Contains(err.Error(), "g/x/.zarray: fill_value") {
			t.Errorf("%s fill %s: %v, want a FormatError for g/x/.zarray fill_value", c.dtype, c.fill, err)
		}
	}
	for _, c := range []struct {
		dtype, fill string
		want        []byte
	}{
		{"<i8", "9223372036854775807", FillOf(int64(math.MaxInt64))},
		{"<u8", "18446744073709551615", FillOf(uint64(math.MaxUint64))},
		{"<u8", "9007199254740993", FillOf(uint64(1<<53 + 1))},
		{"<i2", "7.0", FillOf(int16(7))},
		{"<i2", "-3e2", FillOf(int16(-300))},
		{"|b1", "1", FillOf(nd.True)},
		{"|b1", "true", FillOf(nd.True)},
		{"<f2", "65519", FillOf(nd.Float16Max)},
		{"<f2", `"0x7c01"`, FillOf(nd.Float16(0x7c01))},
		{"<f4", `"-Infinity"`, FillOf(float32(math.Inf(-1)))},
		{"<f8", "null", FillOf(0.0)},
	} {
		m, err := ParseV2("k", doc(c.dtype, c.fill))
		if err != nil || !bytes.Equal(m.FillValue, c.want) {
			t.Errorf("%s fill %s: %x %v, want %x", c.dtype, c.fill, m.FillValue, err, c.want)
		}
	}
	// A fill of the wrong size is refused by Create, naming the path.
	_, err := Create(context.Background(), store.NewMemory(), "p", Meta{Shape: []int{2}, Chunks: []int{2}, DType: nd.Uint16, FillValue: []byte{1}}, nil)
	if err == nil || !strings.Contains(err.Error(), `"p"`) {
		t.Errorf("1-byte fill for uint16: %v", err)
	}
}

// Unsupported dtypes are refused with a FormatError quoting the dtype as
// written and naming its kind; "<U4" is no longer read as uint32.
func TestDTypeRefused(t *testing.T) {
	v2 := func(dtype string) []byte {
		return []byte(`{"zarr_format":2,"shape":[2],"chunks":[2],"dtype":` + dtype + `,"compressor":null,"fill_value":0,"order":"C","filters":null}`)
	}
	_, err := ParseV2("0/.zarray", v2(`"<U4"`))
	if err == nil || err.Error() != `zarr: 0/.zarray: dtype "<U4" (unicode string) is not supported` {
		t.Errorf("<U4: %v", err)
	}
	for dtype, kind := range map[string]string{`"|S5"`: "byte string", `"<M8[ns]"`: "datetime", `"<m8[s]"`: "timedelta",
		`"|O"`: "object", `"<c16"`: "complex", `"|V4"`: "void", `[["a","<u2"],["b","|u1"]]`: "structured", `"<f16"`: "extended"} {
		_, err := ParseV2("0/.zarray", v2(dtype))
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Field != "dtype" || !strings.Contains(err.Error(), kind) {
			t.Errorf("%s: %v, want a dtype FormatError naming %q", dtype, err, kind)
		}
	}
	v3 := func(dt string) []byte {
		return []byte(`{"zarr_format":3,"node_type":"array","shape":[2],"data_type":"` + dt + `","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},"chunk_key_encoding":{"name":"default"},"fill_value":0,"codecs":[{"name":"bytes"}]}`)
	}
	for _, dt := range []string{"complex64", "r16", "Float32", "u4", "string"} {
		_, err := ParseV3("a/zarr.json", v3(dt))
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Field != "data_type" || !strings.Contains(err.Error(), fmt.Sprintf("%q", dt)) {
			t.Errorf("v3 %s: %v", dt, err)
		}
	}
	for _, dt := range []string{"float16", "bool"} {
		m, err := ParseV3("a/zarr.json", v3(dt))
		if err != nil || m.DType.String() != dt {
			t.Errorf("v3 %s: %v", dt, err)
		}
	}
}

// Float16 and bool arrays round trip through every layout we write: v2 and
// v3, both byte orders, F order / transpose, sharded, with a fill.
func TestHalfBoolRoundTrip(t *testing.T) {
	shape, chunks := []int{6, 10, 7}, []int{4, 3, 5}
	for _, dt := range []nd.DType{nd.DTypeFloat16, nd.DTypeBool} {
		for _, m := range []Meta{
			{ZarrFormat: 2, Order: nd.F, BigEndian: true, Compressor: codec.Gzip{Level: 1}},
			{ZarrFormat: 2, FillValue: fillFloat(dt, 1)},
			{ZarrFormat: 3, Transpose: []int{1, 2, 0}, BigEndian: true},
			{ZarrFormat: 3, Shard: []int{8, 6, 10}, Codecs: []codec.Codec{codec.Blosc{CName: "lz4", CLevel: 5, Shuffle: 1}}, FillValue: fillFloat(dt, 1)},
		} {
			m.Shape, m.Chunks, m.DType = shape, chunks, dt
			t.Run(fmt.Sprintf("%v_v%d_%v", dt, m.ZarrFormat, m.Shard), func(t *testing.T) { roundTrip(t, m) })
		}
	}
}

// zarrita and we agree on v3 bool arrays: zarrita's (fill true, codecs [])
// reads here element for element, and ours (plain, sharded, fill true,
// fill false) read there.
func TestV3BoolZarrita(t *testing.T) {
	script, _ := filepath.Abs("testdata/js/gen_v3.mjs")
	need(t, "node", script, "read", "testdata/v3", "a0")
	ctx := context.Background()
	dir := t.TempDir()
	if out, err := exec.Command("node", script, "bool", filepath.Join(dir, "z")).CombinedOutput(); err != nil {
		t.Fatalf("zarrita: %v\n%s", err, out)
	}
	want := make([]nd.Bool, 35)
	for i := range want {
		want[i] = nd.BoolOf(i/7 >= 2 || i%7 >= 3 || (i/7*3+i%7)%2 == 0)
	}
	a, err := Open(ctx, dirStore(filepath.Join(dir, "z")), "b")
	if err != nil {
		t.Fatal(err)
	}
	got := nd.New[nd.Bool]([]int{5, 7}, nd.C)
	if err := a.ReadRegion(nd.BoxOf([]int{5, 7}), got); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Data()) != fmt.Sprint(want) || !bytes.Equal(a.Meta().FillValue, []byte{1}) {
		t.Fatalf("zarrita's bool array: %v fill %x, want %v", got.Data(), a.Meta().FillValue, want)
	}
	st := dirStore(filepath.Join(dir, "g"))
	var paths []string
	for name, m := range map[string]Meta{
		"plain": {FillValue: FillOf(nd.True)}, "sharded": {Shard: []int{4, 6}, FillValue: FillOf(nd.True)},
		"fill-false": {Codecs: []codec.Codec{codec.Zstd{Level: 1}}},
	} {
		m.Shape, m.Chunks, m.DType = []int{5, 7}, []int{2, 3}, nd.DTypeBool
		w, err := Create(ctx, st, name, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		block := nd.FromSlice(want[:6], []int{2, 3}, nd.C) // any six values
		if err := w.WriteRegion(nd.NewBox([]int{1, 2}, []int{3, 5}), block); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, name)
	}
	out, err := exec.Command("node", append([]string{script, "read", filepath.Join(dir, "g")}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("zarrita: %v\n%s", err, out)
	}
	var read map[string][]any
	if err := json.Unmarshal(out, &read); err != nil {
		t.Fatalf("zarrita output: %v\n%.300s", err, out)
	}
	for _, p := range paths {
		fill := p != "fill-false"
		for i := range 35 {
			y, x := i/7, i%7
			w := fill
			if y >= 1 && y < 3 && x >= 2 && x < 5 {
				w = want[(y-1)*3+x-2] != 0
			}
			if len(read[p]) != 35 || read[p][i] != w {
				t.Fatalf("%s: zarrita read %v at %d, want %v (all: %v)", p, read[p][i%max(len(read[p]), 1)], i, w, read[p])
			}
		}
	}
}

// Every key the writer's chunk key encoding produces is one that Owned's
// matcher accepts, for every encoding and rank 0 to 3, and is refused at
// the next rank.
func TestChunkKeySchemes(t *testing.T) {
	for _, m := range []Meta{
		{ZarrFormat: 2, DimensionSeparator: "."}, {ZarrFormat: 2, DimensionSeparator: "/"},
		{ZarrFormat: 3, ChunkKeyEncoding: "default", DimensionSeparator: "/"},
		{ZarrFormat: 3, ChunkKeyEncoding: "default", DimensionSeparator: "."},
		{ZarrFormat: 3, ChunkKeyEncoding: "v2", DimensionSeparator: "."},
	} {
		for rank := 0; rank <= 3; rank++ {
			m.Shape = make([]int, rank)
			s := m.KeyEncoding()
			idx := make([]int, rank)
			for i := range idx {
				idx[i] = 10*i + 3
			}
			k := s.Key(idx)
			if !s.match(k) {
				t.Errorf("%+v rank %d: key %q not matched", m, rank, k)
			}
			m.Shape = make([]int, rank+1)
			// (a v2 0-d key "0" is also the rank-1 key of chunk 0)
			if (rank > 0 || s.Prefix) && m.KeyEncoding().match(k) {
				t.Errorf("%+v: rank-%d key %q matched at rank %d", m, rank, k, rank+1)
			}
		}
	}
	m := Meta{ZarrFormat: 3, ChunkKeyEncoding: "default", DimensionSeparator: "/", Shape: []int{1, 1, 1}}
	if k := m.KeyEncoding().Key([]int{0, 3, 1}); k != "c/0/3/1" {
		t.Errorf("default key %q", k)
	}
	m = Meta{ZarrFormat: 2, DimensionSeparator: ".", Shape: []int{1, 1, 1}}
	if k := m.KeyEncoding().Key([]int{0, 3, 1}); k != "0.3.1" {
		t.Errorf("v2 key %q", k)
	}
}
