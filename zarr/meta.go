package zarr

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
)

// MaxRank is the largest number of axes an array may have.
const MaxRank = 32

// Meta describes a Zarr array. It is both what [Open] reports and what
// [Create] takes.
type Meta struct {
	// ZarrFormat is 2 or 3 (Create defaults to 3).
	ZarrFormat int
	// Shape is the array shape, in logical C-order axes.
	Shape []int
	// Chunks is the chunk shape; for a sharded array it is the inner chunk
	// shape.
	Chunks []int
	// Shard is the shard shape of a v3 sharded array (each entry a multiple
	// of Chunks), or nil when the array is not sharded.
	Shard []int
	// DType is the element type.
	DType nd.DType
	// BigEndian stores elements big-endian (v2 '>' dtypes, v3 bytes codec
	// endian "big").
	BigEndian bool
	// Order is the layout of bytes inside a v2 chunk (C or F). In v3, F is
	// written as a transpose codec reversing the axes.
	Order nd.Order
	// Transpose is the order of a v3 transpose codec, nil when absent.
	// Reading a v2 F-order array reports nil here and nd.F in Order.
	Transpose []int
	// FillValue is the value of missing chunks and of chunk overhang: the
	// little-endian bytes of one element of DType (build it with [FillOf];
	// nil means zero). Bytes, not a float64, so int64 and uint64 fill values
	// beyond 2^53 and NaN payloads are kept exactly.
	FillValue []byte
	// Compressor is the v2 compressor (nil for none). For v3, Create uses it
	// as the only bytes-to-bytes codec when Codecs is empty.
	Compressor codec.Codec
	// Codecs are the v3 bytes-to-bytes codecs, in encoding order (inner
	// codecs when sharded).
	Codecs []codec.Codec
	// DimensionSeparator is "." or "/" (v2 default ".", v3 default "/").
	DimensionSeparator string
	// ChunkKeyEncoding is "default" or "v2" (v3 only; default "default").
	ChunkKeyEncoding string
	// IndexAtStart puts the shard index at the start of each shard.
	IndexAtStart bool
	// NoIndexCRC32C leaves the crc32c codec out of the shard index codecs.
	NoIndexCRC32C bool
	// DimensionNames are the v3 dimension names (empty string for null).
	DimensionNames []string
	// Attributes are the user attributes (.zattrs or zarr.json attributes).
	Attributes map[string]any
}

// metaErr is a [FormatError] for the metadata at key.
func metaErr(key string, format string, args ...any) error {
	return &FormatError{Key: key, Err: fmt.Errorf(format, args...)}
}

// ---- v2 ----

type v2JSON struct {
	ZarrFormat         int             `json:"zarr_format"`
	Shape              []int           `json:"shape"`
	Chunks             []int           `json:"chunks"`
	DType              json.RawMessage `json:"dtype"`
	Compressor         json.RawMessage `json:"compressor"`
	FillValue          json.RawMessage `json:"fill_value"`
	Order              string          `json:"order"`
	Filters            json.RawMessage `json:"filters"`
	DimensionSeparator string          `json:"dimension_separator,omitempty"`
}

// ParseV2 parses the contents of a .zarray file. key is used in errors.
func ParseV2(key string, data []byte) (*Meta, error) {
	var j v2JSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, metaErr(key, "%v", err)
	}
	if j.ZarrFormat != 2 {
		return nil, metaErr(key, "zarr_format %d, want 2", j.ZarrFormat)
	}
	m := &Meta{ZarrFormat: 2, Shape: j.Shape, Chunks: j.Chunks}
	if err := checkShapes(key, m.Shape, m.Chunks); err != nil {
		return nil, err
	}
	var ds string
	if err := json.Unmarshal(j.DType, &ds); err != nil {
		return nil, fieldErr(key, "dtype", fmt.Errorf("dtype %s (structured) is not supported", bytes.TrimSpace(j.DType)))
	}
	dt, big, err := nd.ParseTypestr(ds)
	if err != nil {
		return nil, fieldErr(key, "dtype", err)
	}
	m.DType, m.BigEndian = dt, big
	switch j.Order {
	case "C", "":
		m.Order = nd.C
	case "F":
		m.Order = nd.F
	default:
		return nil, metaErr(key, "order %q unsupported", j.Order)
	}
	switch j.DimensionSeparator {
	case "", ".":
		m.DimensionSeparator = "."
	case "/":
		m.DimensionSeparator = "/"
	default:
		return nil, metaErr(key, "dimension_separator %q unsupported", j.DimensionSeparator)
	}
	if f := bytes.TrimSpace(j.Filters); len(f) > 0 && !bytes.Equal(f, []byte("null")) && !bytes.Equal(f, []byte("[]")) {
		return nil, metaErr(key, "filters %s unsupported", f)
	}
	if c := bytes.TrimSpace(j.Compressor); len(c) > 0 && !bytes.Equal(c, []byte("null")) {
		m.Compressor, err = parseV2Codec(c, dt.Size())
		if err != nil {
			return nil, metaErr(key, "compressor: %v", err)
		}
	}
	if m.FillValue, err = parseFill(j.FillValue, dt); err != nil {
		return nil, fieldErr(key, "fill_value", err)
	}
	return m, nil
}

func checkShapes(key string, shape, chunks []int) error {
	if len(shape) > MaxRank {
		return metaErr(key, "rank %d exceeds %d", len(shape), MaxRank)
	}
	if len(chunks) != len(shape) {
		return metaErr(key, "chunks %v do not match shape %v", chunks, shape)
	}
	for i := range shape {
		if shape[i] < 0 || chunks[i] <= 0 {
			return metaErr(key, "invalid shape %v or chunks %v", shape, chunks)
		}
	}
	if _, ok := nd.CheckedSize(shape); !ok {
		return metaErr(key, "shape %v overflows", shape)
	}
	if _, ok := nd.CheckedSize(chunks); !ok {
		return metaErr(key, "chunks %v overflow", chunks)
	}
	return nil
}

func v2DTypeString(dt nd.DType, big bool) string {
	k := map[bool]byte{true: 'i', false: 'u'}[dt.IsSigned()]
	switch {
	case dt.IsFloat():
		k = 'f'
	case dt == nd.DTypeBool:
		k = 'b'
	}
	bo := byte('<')
	if dt.Size() == 1 {
		bo = '|'
	} else if big {
		bo = '>'
	}
	return fmt.Sprintf("%c%c%d", bo, k, dt.Size())
}

// v2JSON returns the .zarray of m, written from its normalised chain: a
// transpose is F order (prepareV2 admits only the reversal), the bytes
// codec's endianness the dtype's byte order, and the one bytes-to-bytes
// codec the compressor.
func (m *Meta) v2JSON() ([]byte, error) {
	c := m.Chain()
	var comp any
	if len(c.BytesToBytes) > 1 {
		return nil, fmt.Errorf("zarr: Zarr v2 takes one compressor, not %d codecs", len(c.BytesToBytes))
	}
	if len(c.BytesToBytes) == 1 {
		j, err := v2CodecJSON(c.BytesToBytes[0])
		if err != nil {
			return nil, err
		}
		comp = j
	}
	order := nd.C
	if len(c.ArrayToArray) > 0 {
		order = nd.F
	}
	o := map[string]any{
		"zarr_format": 2, "shape": m.Shape, "chunks": m.Chunks,
		"dtype": v2DTypeString(m.DType, c.ArrayToBytes.BigEndian), "compressor": comp,
		"fill_value": fillJSON(m.FillValue, m.DType, false), "order": order.String(),
		"filters": nil, "dimension_separator": m.KeyEncoding().Separator,
	}
	return json.MarshalIndent(o, "", "    ")
}

// ---- v3 ----

type v3Named struct {
	Name          string          `json:"name"`
	Configuration json.RawMessage `json:"configuration,omitempty"`
}

type v3JSON struct {
	ZarrFormat       int             `json:"zarr_format"`
	NodeType         string          `json:"node_type"`
	Shape            []int           `json:"shape"`
	DataType         json.RawMessage `json:"data_type"`
	ChunkGrid        v3Named         `json:"chunk_grid"`
	ChunkKeyEncoding v3Named         `json:"chunk_key_encoding"`
	FillValue        json.RawMessage `json:"fill_value"`
	Codecs           []v3Named       `json:"codecs"`
	DimensionNames   []*string       `json:"dimension_names"`
	Attributes       map[string]any  `json:"attributes"`
	StorageTrans     []any           `json:"storage_transformers"`
}

// ParseV3 parses the contents of an array's zarr.json. key is used in
// errors.
func ParseV3(key string, data []byte) (*Meta, error) {
	var j v3JSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, metaErr(key, "%v", err)
	}
	if j.ZarrFormat != 3 || j.NodeType != "array" {
		return nil, metaErr(key, "not a zarr v3 array (zarr_format %d, node_type %q)", j.ZarrFormat, j.NodeType)
	}
	if len(j.StorageTrans) > 0 {
		return nil, metaErr(key, "storage_transformers unsupported")
	}
	m := &Meta{ZarrFormat: 3, Shape: j.Shape, Attributes: j.Attributes}
	var dts string
	if err := json.Unmarshal(j.DataType, &dts); err != nil {
		return nil, fieldErr(key, "data_type", fmt.Errorf("data_type %s is not supported", bytes.TrimSpace(j.DataType)))
	}
	dt, err := nd.ParseDType(dts)
	if err != nil {
		return nil, fieldErr(key, "data_type", err)
	}
	if dts != dt.String() {
		return nil, fieldErr(key, "data_type", fmt.Errorf("data_type %q is not a Zarr v3 name (want %q)", dts, dt.String()))
	}
	m.DType = dt
	if j.ChunkGrid.Name != "regular" {
		return nil, metaErr(key, "chunk_grid %q unsupported", j.ChunkGrid.Name)
	}
	var cg struct {
		ChunkShape []int `json:"chunk_shape"`
	}
	if err := json.Unmarshal(j.ChunkGrid.Configuration, &cg); err != nil {
		return nil, metaErr(key, "chunk_grid: %v", err)
	}
	if err := checkShapes(key, m.Shape, cg.ChunkShape); err != nil {
		return nil, err
	}
	if m.ChunkKeyEncoding, m.DimensionSeparator, err = parseKeyEncoding(key, j.ChunkKeyEncoding); err != nil {
		return nil, err
	}
	if m.FillValue, err = parseFill(j.FillValue, dt); err != nil {
		return nil, fieldErr(key, "fill_value", err)
	}
	if j.DimensionNames != nil {
		if len(j.DimensionNames) != len(m.Shape) {
			return nil, metaErr(key, "dimension_names %d entries for rank %d", len(j.DimensionNames), len(m.Shape))
		}
		m.DimensionNames = make([]string, len(m.Shape))
		for i, n := range j.DimensionNames {
			if n != nil {
				m.DimensionNames[i] = *n
			}
		}
	}
	// Codec chain: sharding_indexed at the top level, or a plain chain.
	if len(j.Codecs) == 1 && j.Codecs[0].Name == "sharding_indexed" {
		if err := m.parseSharding(key, j.Codecs[0].Configuration, cg.ChunkShape); err != nil {
			return nil, err
		}
	} else {
		m.Chunks = cg.ChunkShape
		if err := m.parseChain(key, j.Codecs); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// parseKeyEncoding reads a v3 chunk_key_encoding: its name and separator.
func parseKeyEncoding(key string, e v3Named) (string, string, error) {
	var ck struct {
		Separator string `json:"separator"`
	}
	if len(e.Configuration) > 0 {
		if err := json.Unmarshal(e.Configuration, &ck); err != nil {
			return "", "", metaErr(key, "chunk_key_encoding: %v", err)
		}
	}
	switch e.Name {
	case "default":
		if ck.Separator == "" {
			ck.Separator = "/"
		}
	case "v2":
		if ck.Separator == "" {
			ck.Separator = "."
		}
	default:
		return "", "", metaErr(key, "chunk_key_encoding %q unsupported", e.Name)
	}
	if ck.Separator != "/" && ck.Separator != "." {
		return "", "", metaErr(key, "chunk key separator %q unsupported", ck.Separator)
	}
	return e.Name, ck.Separator, nil
}

// parseSharding reads the configuration of a sharding_indexed codec whose
// shards have the chunk grid's shape grid.
func (m *Meta) parseSharding(key string, conf json.RawMessage, grid []int) error {
	var sc struct {
		ChunkShape    []int     `json:"chunk_shape"`
		Codecs        []v3Named `json:"codecs"`
		IndexCodecs   []v3Named `json:"index_codecs"`
		IndexLocation string    `json:"index_location"`
	}
	if err := json.Unmarshal(conf, &sc); err != nil {
		return metaErr(key, "sharding_indexed: %v", err)
	}
	if err := checkShapes(key, m.Shape, sc.ChunkShape); err != nil {
		return err
	}
	for i := range sc.ChunkShape {
		if grid[i]%sc.ChunkShape[i] != 0 {
			return metaErr(key, "sharding chunk_shape %v does not divide shard shape %v", sc.ChunkShape, grid)
		}
	}
	m.Shard, m.Chunks = grid, sc.ChunkShape
	switch sc.IndexLocation {
	case "", "end":
	case "start":
		m.IndexAtStart = true
	default:
		return metaErr(key, "index_location %q unsupported", sc.IndexLocation)
	}
	m.NoIndexCRC32C = true
	for i, c := range sc.IndexCodecs {
		switch {
		case i == 0 && c.Name == "bytes":
			var e struct{ Endian string }
			_ = json.Unmarshal(c.Configuration, &e)
			if e.Endian == "big" {
				return metaErr(key, "big-endian shard index unsupported")
			}
		case i == 1 && c.Name == "crc32c":
			m.NoIndexCRC32C = false
		default:
			return metaErr(key, "index_codecs %q unsupported", c.Name)
		}
	}
	if len(sc.IndexCodecs) == 0 {
		return metaErr(key, "index_codecs missing")
	}
	return m.parseChain(key, sc.Codecs)
}

func (m *Meta) parseChain(key string, cs []v3Named) error {
	i := 0
	for ; i < len(cs) && cs[i].Name == "transpose"; i++ {
		if m.Transpose != nil {
			return metaErr(key, "more than one transpose codec unsupported")
		}
		var t struct {
			Order json.RawMessage `json:"order"`
		}
		if err := json.Unmarshal(cs[i].Configuration, &t); err != nil {
			return metaErr(key, "transpose: %v", err)
		}
		var perm []int
		var s string
		if json.Unmarshal(t.Order, &s) == nil {
			perm = make([]int, len(m.Shape))
			for k := range perm {
				perm[k] = k
				if s == "F" {
					perm[k] = len(perm) - 1 - k
				}
			}
		} else if err := json.Unmarshal(t.Order, &perm); err != nil {
			return metaErr(key, "transpose order: %v", err)
		}
		if !nd.IsPerm(perm, len(m.Shape)) {
			return metaErr(key, "transpose order %v is not a permutation", perm)
		}
		m.Transpose = perm
	}
	if len(cs) == 0 {
		// zarrita writes "codecs": [] for its default chain; read it as a
		// little-endian bytes codec.
		return nil
	}
	if i >= len(cs) || cs[i].Name != "bytes" {
		return metaErr(key, "codecs: want a bytes codec, got %v", cs)
	}
	var e struct {
		Endian string `json:"endian"`
	}
	if len(cs[i].Configuration) > 0 {
		if err := json.Unmarshal(cs[i].Configuration, &e); err != nil {
			return metaErr(key, "bytes: %v", err)
		}
	}
	m.BigEndian = e.Endian == "big" && m.DType.Size() > 1
	for _, c := range cs[i+1:] {
		cc, err := parseV3Codec(c, m.DType.Size())
		if err != nil {
			return metaErr(key, "codecs: %v", err)
		}
		m.Codecs = append(m.Codecs, cc)
	}
	return nil
}

func named(name string, conf any) map[string]any {
	o := map[string]any{"name": name}
	if conf != nil {
		o["configuration"] = conf
	}
	return o
}

// v3Chain returns the codecs of m's (inner) chunks as zarr.json writes
// them, from its normalised chain.
func (m *Meta) v3Chain() ([]any, error) {
	c := m.Chain()
	var out []any
	for _, t := range c.ArrayToArray {
		out = append(out, named("transpose", map[string]any{"order": t.Order}))
	}
	endian := "little"
	if c.ArrayToBytes.BigEndian {
		endian = "big"
	}
	out = append(out, named("bytes", map[string]any{"endian": endian}))
	for _, cc := range c.BytesToBytes {
		j, err := v3CodecJSON(cc, m.DType.Size())
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

func (m *Meta) v3JSON() ([]byte, error) {
	chain, err := m.v3Chain()
	if err != nil {
		return nil, err
	}
	grid := m.Chunks
	if m.Shard != nil {
		grid = m.Shard
		idx := []any{named("bytes", map[string]any{"endian": "little"})}
		if !m.NoIndexCRC32C {
			idx = append(idx, named("crc32c", nil))
		}
		loc := "end"
		if m.IndexAtStart {
			loc = "start"
		}
		chain = []any{named("sharding_indexed", map[string]any{
			"chunk_shape": m.Chunks, "codecs": chain, "index_codecs": idx, "index_location": loc})}
	}
	ke, keName := m.KeyEncoding(), "v2"
	if ke.Prefix {
		keName = "default"
	}
	attrs := m.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	o := map[string]any{
		"zarr_format": 3, "node_type": "array", "shape": m.Shape, "data_type": m.DType.String(),
		"chunk_grid":         named("regular", map[string]any{"chunk_shape": grid}),
		"chunk_key_encoding": named(keName, map[string]any{"separator": ke.Separator}),
		"fill_value":         fillJSON(m.FillValue, m.DType, true), "codecs": chain, "attributes": attrs,
	}
	if m.DimensionNames != nil {
		dn := make([]any, len(m.DimensionNames))
		for i, n := range m.DimensionNames {
			if n != "" {
				dn[i] = n
			}
		}
		o["dimension_names"] = dn
	}
	return json.MarshalIndent(o, "", "    ")
}
