package tiff

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
)

// OMEImage is an image for WriteOME: its axes and its resolution levels.
type OMEImage struct {
	// Name is the OME Image Name (optional).
	Name string
	// Axes name the array axes: a subsequence of t, c, z, y, x in that
	// order that ends in y, x (rank 2 to 5). Scale and Unit give the
	// physical sizes (PhysicalSizeX/Y/Z, TimeIncrement); a zero Scale
	// leaves a size out.
	Axes []nd.Axis
	// Channels are the channel names, one per index of the c axis, or nil.
	Channels []string
	// Levels are the resolutions, level 0 first. Every level has level
	// 0's sample type and shape except along y and x, where each level is
	// no larger than the one before.
	Levels []nd.Reader
}

// omeSymbols maps UDUNITS names to OME unit symbols.
var omeSymbols = map[string]string{"micrometer": "µm", "nanometer": "nm", "millimeter": "mm", "centimeter": "cm",
	"meter": "m", "picometer": "pm", "angstrom": "Å", "second": "s", "millisecond": "ms", "microsecond": "µs",
	"nanosecond": "ns", "minute": "min", "hour": "h"}

// omeTypeNames maps sample types to OME pixel types.
var omeTypeNames = map[nd.DType]string{nd.Uint8: "uint8", nd.Uint16: "uint16", nd.Uint32: "uint32",
	nd.Int8: "int8", nd.Int16: "int16", nd.Int32: "int32", nd.Float32: "float", nd.Float64: "double"}

// WriteOME writes img to w as a pyramidal OME-TIFF, the layout
// bioformats2raw/raw2ometiff write and QuPath, Fiji (Bio-Formats) and
// tifffile read: one page per (t, c, z) plane in DimensionOrder XYZCT
// (z fastest, then c, then t), each page's reduced levels in its SubIFDs,
// and the OME-XML (sizes, physical sizes, channel names, one TiffData) in
// the ImageDescription of the first page. opt sets compression,
// predictor, tiles (256x256 unless tiles or RowsPerStrip are set) and
// BigTIFF; its Pages, ImageJ and Description are set here. Planes are
// read from the levels one at a time, so the image need not fit in
// memory.
func WriteOME(w io.WriteSeeker, img OMEImage, opt WriterOptions) error {
	sizes, err := checkOME(&img)
	if err != nil {
		return err
	}
	desc, err := omeXMLFor(&img, sizes)
	if err != nil {
		return err
	}
	planes := sizes[0] * sizes[1] * sizes[2]
	opt.Pages, opt.ImageJ, opt.Description = planes, false, desc
	if opt.TileWidth == 0 && opt.TileLength == 0 && opt.RowsPerStrip == 0 {
		opt.TileWidth, opt.TileLength = 256, 256
	}
	tw, err := NewWriter(w, opt)
	if err != nil {
		return err
	}
	rank := len(img.Axes)
	for k := range planes {
		// The plane's coordinates on the leading (t, c, z) axes, C order.
		lead := make([]int, rank-2)
		for i, rem := rank-3, k; i >= 0; i-- {
			n := img.Levels[0].Shape()[i]
			lead[i], rem = rem%n, rem/n
		}
		var pages []nd.Any
		for l, lv := range img.Levels {
			p, err := readPlane(lv, lead)
			if err != nil {
				return fmt.Errorf("tiff: OME level %d plane %d: %w", l, k, err)
			}
			pages = append(pages, p)
		}
		if err := tw.WritePage(pages[0], pages[1:]...); err != nil {
			return fmt.Errorf("tiff: OME plane %d: %w", k, err)
		}
	}
	return tw.Close()
}

// readPlane reads the (y, x) plane at the leading coordinates lead.
func readPlane(r nd.Reader, lead []int) (nd.Any, error) {
	sh := r.Shape()
	n := len(sh)
	b := nd.BoxOf(sh)
	for i, v := range lead {
		b.Min[i], b.Max[i] = v, v+1
	}
	a := nd.NewAny(r.DType(), b.Shape(), nd.C)
	if err := r.ReadRegion(b, a); err != nil {
		return nil, err
	}
	raw, _ := nd.AsBytes(a)
	return nd.FromBytes(r.DType(), sh[n-2:], nd.C, raw)
}

// checkOME validates img and returns its sizes (T, C, Z).
func checkOME(img *OMEImage) ([3]int, error) {
	sizes := [3]int{1, 1, 1}
	if len(img.Levels) == 0 {
		return sizes, fmt.Errorf("tiff: OMEImage %q has no levels", img.Name)
	}
	l0 := img.Levels[0]
	sh, dt := l0.Shape(), l0.DType()
	if _, ok := omeTypeNames[dt]; !ok {
		return sizes, UnsupportedError(fmt.Sprintf("OME-TIFF of %v samples (OME has uint8-32, int8-32, float, double)", dt))
	}
	if err := nd.CheckAxes(img.Axes, len(sh)); err != nil {
		return sizes, fmt.Errorf("tiff: OMEImage axes: %w", err)
	}
	var names string
	for _, a := range img.Axes {
		names += a.Name
	}
	if len(sh) < 2 || !strings.HasSuffix(names, "yx") || !isSubsequence(names, "tczyx") {
		return sizes, fmt.Errorf("tiff: OMEImage axes %q: want a subsequence of t, c, z, y, x ending in y, x", names)
	}
	for i, a := range img.Axes[:len(sh)-2] {
		sizes[strings.IndexByte("tcz", a.Name[0])] = sh[i]
	}
	if img.Channels != nil && len(img.Channels) != sizes[1] {
		return sizes, fmt.Errorf("tiff: OMEImage has %d channel names for %d channels", len(img.Channels), sizes[1])
	}
	prev := sh
	for k, lv := range img.Levels[1:] {
		ls := lv.Shape()
		n := len(ls)
		if lv.DType() != dt || n != len(sh) || fmt.Sprint(ls[:n-2]) != fmt.Sprint(sh[:n-2]) ||
			ls[n-2] > prev[n-2] || ls[n-1] > prev[n-1] || ls[n-2] < 1 || ls[n-1] < 1 {
			return sizes, fmt.Errorf("tiff: OME level %d is %v %v after %v %v", k+1, ls, lv.DType(), prev, dt)
		}
		prev = ls
	}
	return sizes, nil
}

// isSubsequence reports whether s is a subsequence of of.
func isSubsequence(s, of string) bool {
	for i := 0; i < len(s); i++ {
		j := strings.IndexByte(of, s[i])
		if j < 0 {
			return false
		}
		of = of[j+1:]
	}
	return true
}

// omeXMLFor returns the OME-XML of img.
func omeXMLFor(img *OMEImage, tcz [3]int) (string, error) {
	sh := img.Levels[0].Shape()
	n := len(sh)
	esc := func(s string) string {
		var b bytes.Buffer
		xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
		`xsi:schemaLocation="http://www.openmicroscopy.org/Schemas/OME/2016-06 http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd" Creator="ryomen">`)
	fmt.Fprintf(&b, `<Image ID="Image:0" Name="%s">`, esc(img.Name))
	dt := img.Levels[0].DType()
	fmt.Fprintf(&b, `<Pixels ID="Pixels:0" DimensionOrder="XYZCT" Type="%s" SizeX="%d" SizeY="%d" SizeZ="%d" SizeC="%d" SizeT="%d"`,
		omeTypeNames[dt], sh[n-1], sh[n-2], tcz[2], tcz[1], tcz[0])
	for _, a := range img.Axes {
		if a.Scale <= 0 || a.Name == "c" {
			continue
		}
		attr := "PhysicalSize" + strings.ToUpper(a.Name)
		if a.Name == "t" {
			attr = "TimeIncrement"
		}
		fmt.Fprintf(&b, ` %s="%s"`, attr, strconv.FormatFloat(a.Scale, 'g', -1, 64))
		if a.Unit != "" {
			sym, ok := omeSymbols[a.Unit]
			if !ok {
				return "", fmt.Errorf("tiff: OMEImage axis %q: unit %q has no OME symbol", a.Name, a.Unit)
			}
			fmt.Fprintf(&b, ` %sUnit="%s"`, attr, sym)
		}
	}
	fmt.Fprintf(&b, ` BigEndian="false" Interleaved="false" SignificantBits="%d">`, 8*dt.Size())
	for c := range tcz[1] {
		fmt.Fprintf(&b, `<Channel ID="Channel:0:%d" SamplesPerPixel="1"`, c)
		if img.Channels != nil {
			fmt.Fprintf(&b, ` Name="%s"`, esc(img.Channels[c]))
		}
		b.WriteString(`><LightPath/></Channel>`)
	}
	fmt.Fprintf(&b, `<TiffData IFD="0" PlaneCount="%d"/></Pixels></Image></OME>`, tcz[0]*tcz[1]*tcz[2])
	return b.String(), nil
}
