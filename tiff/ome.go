package tiff

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
)

// The parts of OME-XML (schema 2016-06) that place an OME-TIFF's planes
// and give its axes. Numbers are kept as strings so that errors can name
// the field that is wrong.
type omeXML struct {
	UUID       string     `xml:"UUID,attr"`
	Images     []omeImage `xml:"Image"`
	BinaryOnly *struct{}  `xml:"BinaryOnly"`
}

type omeImage struct {
	ID     string    `xml:"ID,attr"`
	Name   string    `xml:"Name,attr"`
	Pixels omePixels `xml:"Pixels"`
}

type omePixels struct {
	DimensionOrder    string        `xml:"DimensionOrder,attr"`
	Type              string        `xml:"Type,attr"`
	SizeX             string        `xml:"SizeX,attr"`
	SizeY             string        `xml:"SizeY,attr"`
	SizeZ             string        `xml:"SizeZ,attr"`
	SizeC             string        `xml:"SizeC,attr"`
	SizeT             string        `xml:"SizeT,attr"`
	PhysicalSizeX     string        `xml:"PhysicalSizeX,attr"`
	PhysicalSizeY     string        `xml:"PhysicalSizeY,attr"`
	PhysicalSizeZ     string        `xml:"PhysicalSizeZ,attr"`
	PhysicalSizeXUnit string        `xml:"PhysicalSizeXUnit,attr"`
	PhysicalSizeYUnit string        `xml:"PhysicalSizeYUnit,attr"`
	PhysicalSizeZUnit string        `xml:"PhysicalSizeZUnit,attr"`
	TimeIncrement     string        `xml:"TimeIncrement,attr"`
	TimeIncrementUnit string        `xml:"TimeIncrementUnit,attr"`
	Channels          []omeChannel  `xml:"Channel"`
	TiffData          []omeTiffData `xml:"TiffData"`
}

type omeChannel struct {
	Name            string `xml:"Name,attr"`
	SamplesPerPixel string `xml:"SamplesPerPixel,attr"`
}

type omeTiffData struct {
	IFD        string `xml:"IFD,attr"`
	FirstZ     string `xml:"FirstZ,attr"`
	FirstC     string `xml:"FirstC,attr"`
	FirstT     string `xml:"FirstT,attr"`
	PlaneCount string `xml:"PlaneCount,attr"`
	UUID       *struct {
		FileName string `xml:"FileName,attr"`
		Value    string `xml:",chardata"`
	} `xml:"UUID"`
}

// isOME reports whether an ImageDescription holds OME-XML.
func isOME(d string) bool {
	d = strings.TrimSpace(d)
	return strings.HasPrefix(d, "<") && strings.Contains(d, "<OME")
}

// omeTypes maps OME pixel types to sample types.
var omeTypes = map[string]nd.DType{"uint8": nd.Uint8, "uint16": nd.Uint16, "uint32": nd.Uint32,
	"int8": nd.Int8, "int16": nd.Int16, "int32": nd.Int32, "float": nd.Float32, "double": nd.Float64}

// omeUnit maps OME unit symbols to UDUNITS names; others are kept.
func omeUnit(u string) string {
	switch strings.TrimSpace(u) {
	case "", "µm", "um", "μm", "micron", "micrometer":
		return "micrometer"
	case "nm", "nanometer":
		return "nanometer"
	case "mm":
		return "millimeter"
	case "cm":
		return "centimeter"
	case "m":
		return "meter"
	case "pm":
		return "picometer"
	case "Å":
		return "angstrom"
	case "s":
		return "second"
	case "ms":
		return "millisecond"
	case "µs", "us":
		return "microsecond"
	case "ns":
		return "nanosecond"
	case "min":
		return "minute"
	case "h":
		return "hour"
	}
	return u
}

// omeSeries returns one series per Image of the OME-XML d.
func (f *File) omeSeries(d string) ([]*Series, error) {
	var m omeXML
	dec := xml.NewDecoder(strings.NewReader(d))
	// OME-XML is UTF-8; a declaration naming another charset is read as
	// such rather than refused.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("tiff: %sOME-XML: %w", f.prefix(), FormatError(err.Error()))
	}
	if m.BinaryOnly != nil {
		return nil, UnsupportedError(f.prefix() + "OME-XML BinaryOnly (a companion file)")
	}
	if len(m.Images) == 0 {
		return nil, FormatError(f.prefix() + "OME-XML without an Image")
	}
	var out []*Series
	for i, im := range m.Images {
		s, err := f.omeImage(&m, &im)
		if err != nil {
			return nil, fmt.Errorf("tiff: %sOME-XML Image %d (%s): %w", f.prefix(), i, im.ID, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// omeInt parses an integer attribute in [lo, hi]; empty gives dflt.
func omeInt(field, v string, dflt, lo, hi int) (int, error) {
	if v == "" {
		return dflt, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, FormatError(fmt.Sprintf("%s=%q (want an integer in [%d, %d])", field, v, lo, hi))
	}
	return n, nil
}

// omeFloat parses a physical size; empty gives 0 (unknown).
func omeFloat(field, v string) (float64, error) {
	if v == "" {
		return 0, nil
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || x < 0 || x != x {
		return 0, FormatError(fmt.Sprintf("%s=%q", field, v))
	}
	return x, nil
}

// omeImage builds the series of one Image: its planes mapped to IFDs by
// TiffData in DimensionOrder, checked against the pages.
func (f *File) omeImage(m *omeXML, im *omeImage) (*Series, error) {
	px := &im.Pixels
	np := len(f.Pages)
	var sz [5]int // X, Y, Z, C, T
	for i, v := range []string{px.SizeX, px.SizeY, px.SizeZ, px.SizeC, px.SizeT} {
		name := "Pixels Size" + string("XYZCT"[i])
		hi := np * 64
		if i < 2 {
			hi = 1 << 31
		}
		n, err := omeInt(name, v, -1, 1, hi)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, FormatError(name + " missing")
		}
		sz[i] = n
	}
	order := px.DimensionOrder
	if len(order) != 5 || !strings.HasPrefix(order, "XY") || !isPerm3(order[2:]) {
		return nil, FormatError(fmt.Sprintf("Pixels DimensionOrder=%q", order))
	}
	dt, ok := omeTypes[px.Type]
	if !ok {
		return nil, UnsupportedError(fmt.Sprintf("Pixels Type=%q", px.Type))
	}
	spp := 1
	if len(px.Channels) > 0 {
		var err error
		if spp, err = omeInt("Channel SamplesPerPixel", px.Channels[0].SamplesPerPixel, 1, 1, 64); err != nil {
			return nil, err
		}
	}
	if sz[3]%spp != 0 || (spp > 1 && sz[3] != spp) {
		return nil, UnsupportedError(fmt.Sprintf("SizeC=%d with %d samples per pixel", sz[3], spp))
	}
	effC := sz[3] / spp
	planes := sz[2] * effC * sz[4]
	if sz[2] > np || effC > np || sz[4] > np || planes > np {
		return nil, FormatError(fmt.Sprintf("SizeZ*SizeC*SizeT = %d planes, the file has %d IFDs", planes, np))
	}
	ifds, err := omePlanes(m, px, order, [3]int{sz[2], effC, sz[4]}, np)
	if err != nil {
		return nil, err
	}
	for k, i := range ifds {
		p := f.Pages[i]
		if p.Width != sz[0] || p.Height != sz[1] || p.DType != dt || p.Samples != spp {
			return nil, FormatError(fmt.Sprintf("plane %d is IFD %d of %dx%dx%d %v, Pixels say SizeX=%d SizeY=%d Type=%s SamplesPerPixel=%d",
				k, i, p.Height, p.Width, p.Samples, p.DType, sz[0], sz[1], px.Type, spp))
		}
	}
	return f.omeAxes(im, ifds, order, [3]int{sz[4], effC, sz[2]})
}

// planeIndex numbers plane at = (z, c, t) of an image of sizes (Z, C, T)
// in DimensionOrder order ("XYZCT": z fastest, then c, then t).
func planeIndex(order string, sizes, at [3]int) int {
	k, stride := 0, 1
	for _, d := range order[2:] {
		i := strings.IndexRune("ZCT", d)
		k += at[i] * stride
		stride *= sizes[i]
	}
	return k
}

func isPerm3(s string) bool {
	return len(s) == 3 && strings.Count(s, "Z") == 1 && strings.Count(s, "C") == 1 && strings.Count(s, "T") == 1
}

// omePlanes maps each plane, numbered in DimensionOrder, to its IFD.
func omePlanes(m *omeXML, px *omePixels, order string, zct [3]int, np int) ([]int, error) {
	planes := zct[0] * zct[1] * zct[2]
	ifds := make([]int, planes)
	for i := range ifds {
		ifds[i] = -1
	}
	if len(px.TiffData) == 0 {
		return nil, FormatError("no TiffData")
	}
	index := func(z, c, t int) int { return planeIndex(order, zct, [3]int{z, c, t}) }
	for k, td := range px.TiffData {
		if td.UUID != nil && m.UUID != "" && strings.TrimSpace(td.UUID.Value) != "" && strings.TrimSpace(td.UUID.Value) != m.UUID {
			return nil, UnsupportedError(fmt.Sprintf("TiffData %d refers to another file (%s): multi-file OME-TIFF", k, td.UUID.FileName))
		}
		ifd, err := omeInt("TiffData IFD", td.IFD, 0, 0, np-1)
		if err != nil {
			return nil, err
		}
		dflt := 1
		if td.IFD == "" {
			dflt = planes
		}
		count, err := omeInt("TiffData PlaneCount", td.PlaneCount, dflt, 0, planes)
		if err != nil {
			return nil, err
		}
		var first [3]int
		for i, v := range []string{td.FirstZ, td.FirstC, td.FirstT} {
			if first[i], err = omeInt("TiffData First"+string("ZCT"[i]), v, 0, 0, zct[i]-1); err != nil {
				return nil, err
			}
		}
		start := index(first[0], first[1], first[2])
		if start+count > planes || ifd+count > np {
			return nil, FormatError(fmt.Sprintf("TiffData %d: %d planes from plane %d and IFD %d (%d planes, %d IFDs)", k, count, start, ifd, planes, np))
		}
		for j := range count {
			ifds[start+j] = ifd + j
		}
	}
	for i, v := range ifds {
		if v < 0 {
			return nil, FormatError(fmt.Sprintf("plane %d is in no TiffData", i))
		}
	}
	return ifds, nil
}

// omeAxes builds the series (t, c, z, y, x without axes of length 1,
// except c with several samples) with physical sizes and channel names.
func (f *File) omeAxes(im *omeImage, ifds []int, order string, tcz [3]int) (*Series, error) {
	px := &im.Pixels
	var ax [3]nd.Axis
	ax[0] = nd.Axis{Name: "t", Type: nd.Time}
	ax[1] = nd.Axis{Name: "c", Type: nd.Channel}
	ax[2] = nd.Axis{Name: "z", Type: nd.Space, Unit: omeUnit(px.PhysicalSizeZUnit)}
	var err error
	if ax[2].Scale, err = omeFloat("PhysicalSizeZ", px.PhysicalSizeZ); err != nil {
		return nil, err
	}
	if ax[0].Scale, err = omeFloat("TimeIncrement", px.TimeIncrement); err != nil {
		return nil, err
	}
	ax[0].Unit = omeUnit(px.TimeIncrementUnit)
	if px.TimeIncrementUnit == "" {
		ax[0].Unit = "second"
	}
	zct := [3]int{tcz[2], tcz[1], tcz[0]}
	ifd := func(t, c, z int) int { return ifds[planeIndex(order, zct, [3]int{z, c, t})] }
	s, err := f.tczSeries(KindOME, im.Name, ax, tcz, ifd)
	if err != nil {
		return nil, err
	}
	r := len(s.Axes)
	for i, v := range [][2]string{{px.PhysicalSizeY, px.PhysicalSizeYUnit}, {px.PhysicalSizeX, px.PhysicalSizeXUnit}} {
		a := &s.Axes[r-2+i]
		if a.Scale, err = omeFloat("PhysicalSize"+string("YX"[i]), v[0]); err != nil {
			return nil, err
		}
		a.Unit = omeUnit(v[1])
	}
	if c := s.axis("c"); c >= 0 && len(px.Channels) == s.shape[c] {
		named := false
		for _, ch := range px.Channels {
			s.Channels = append(s.Channels, ch.Name)
			named = named || ch.Name != ""
		}
		if !named {
			s.Channels = nil
		}
	}
	return s, nil
}

// axis returns the index of the axis called name, or -1.
func (s *Series) axis(name string) int {
	for i, a := range s.Axes {
		if a.Name == name {
			return i
		}
	}
	return -1
}
