package ome

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ryomen-dev/ryomen/downsample"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

// Axis is one entry of "axes".
type Axis struct {
	Name string `json:"name"`
	// Type is "space", "time", "channel" or a custom type.
	Type string `json:"type,omitempty"`
	// Unit is a UDUNITS name such as "micrometer" or "second".
	Unit string `json:"unit,omitempty"`
}

// Transform is one coordinate transformation: Type "scale" with Scale, or
// "translation" with Translation.
type Transform struct {
	Type        string    `json:"type"`
	Scale       []float64 `json:"scale,omitempty"`
	Translation []float64 `json:"translation,omitempty"`
}

// Dataset is one resolution level.
type Dataset struct {
	Path                      string      `json:"path"`
	CoordinateTransformations []Transform `json:"coordinateTransformations"`
}

// Multiscale is one entry of "multiscales".
type Multiscale struct {
	// Version is "0.4" in NGFF 0.4 and empty in 0.5 (where the version sits
	// beside "multiscales").
	Version  string    `json:"version,omitempty"`
	Name     string    `json:"name,omitempty"`
	Axes     []Axis    `json:"axes"`
	Datasets []Dataset `json:"datasets"`
	// CoordinateTransformations apply after the per-dataset ones.
	CoordinateTransformations []Transform `json:"coordinateTransformations,omitempty"`
	// Type names the downsampling method ("mean", "mode", "stride", ...).
	Type string `json:"type,omitempty"`
	// Metadata describes the method in free form.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// Color maps a label value to an RGBA color.
type Color struct {
	LabelValue float64 `json:"label-value"`
	RGBA       [4]int  `json:"rgba"`
}

// ImageLabel is the "image-label" metadata of a label image.
type ImageLabel struct {
	Version    string           `json:"version,omitempty"`
	Colors     []Color          `json:"colors,omitempty"`
	Properties []map[string]any `json:"properties,omitempty"`
	Source     *struct {
		Image string `json:"image,omitempty"`
	} `json:"source,omitempty"`
}

// Versions of the NGFF specification.
const (
	V04 = "0.4"
	V05 = "0.5"
)

// Level describes one pyramid level relative to level 0.
type Level struct {
	// Shape is the level's array shape.
	Shape []int
	// Scale and Translation are the level's coordinate transformations.
	Scale, Translation []float64
}

// Levels computes the shape, scale and translation of n pyramid levels.
// shape and scale0 describe level 0 (scale0 nil means 1 on every axis);
// factors[i] is the downsampling factor from level i to level i+1 per axis
// (len n-1). Shapes round up (ceil). For every method except "stride" (and
// "nearest"), each coarser voxel averages f finer voxels, so its centre
// moves by 0.5*(f-1) finer voxels: translation += 0.5*(f-1)*finerScale.
// Stride sampling keeps the first voxel, so the translation stays.
func Levels(shape []int, scale0 []float64, factors [][]int, method string) ([]Level, error) {
	r := len(shape)
	if scale0 == nil {
		scale0 = make([]float64, r)
		for i := range scale0 {
			scale0[i] = 1
		}
	}
	if len(scale0) != r {
		return nil, fmt.Errorf("ome: %d scales for rank %d", len(scale0), r)
	}
	shift := method != "stride" && method != "nearest"
	cur := Level{Shape: append([]int(nil), shape...), Scale: append([]float64(nil), scale0...), Translation: make([]float64, r)}
	out := []Level{cur}
	for li, f := range factors {
		if len(f) != r {
			return nil, fmt.Errorf("ome: level %d factors %v for rank %d", li+1, f, r)
		}
		next := Level{Scale: make([]float64, r), Translation: make([]float64, r)}
		for i := range f {
			if f[i] < 1 {
				return nil, fmt.Errorf("ome: level %d factor %v < 1", li+1, f)
			}
		}
		next.Shape = downsample.OutShape(cur.Shape, f)
		for i := range f {
			next.Scale[i] = cur.Scale[i] * float64(f[i])
			next.Translation[i] = cur.Translation[i]
			if shift {
				next.Translation[i] += 0.5 * float64(f[i]-1) * cur.Scale[i]
			}
		}
		out = append(out, next)
		cur = next
	}
	return out, nil
}

// NewMultiscale builds a Multiscale with datasets "0", "1", ... from levels.
func NewMultiscale(name string, axes []Axis, levels []Level, method string) Multiscale {
	m := Multiscale{Name: name, Axes: axes, Type: method}
	for i, l := range levels {
		m.Datasets = append(m.Datasets, Dataset{Path: fmt.Sprint(i), CoordinateTransformations: []Transform{
			{Type: "scale", Scale: l.Scale}, {Type: "translation", Translation: l.Translation}}})
	}
	return m
}

// Validate checks the NGFF rules on axes and datasets.
func (m *Multiscale) Validate() error {
	n := len(m.Axes)
	if n < 2 || n > 5 {
		return fmt.Errorf("ome: multiscale %q has %d axes, want 2 to 5", m.Name, n)
	}
	seen := map[string]bool{}
	nspace := 0
	for i, a := range m.Axes {
		if a.Name == "" || seen[a.Name] {
			return fmt.Errorf("ome: axis %d name %q is empty or repeated", i, a.Name)
		}
		seen[a.Name] = true
		switch a.Type {
		case "time":
			if i != 0 {
				return fmt.Errorf("ome: time axis %q must be first", a.Name)
			}
		case "space":
			nspace++
		default:
			if nspace > 0 {
				return fmt.Errorf("ome: %s axis %q after a space axis", a.Type, a.Name)
			}
		}
	}
	if nspace < 2 || nspace > 3 {
		return fmt.Errorf("ome: %d space axes, want 2 or 3", nspace)
	}
	for i := n - nspace; i < n; i++ {
		if m.Axes[i].Type != "space" {
			return fmt.Errorf("ome: space axes must be last")
		}
	}
	if len(m.Datasets) == 0 {
		return fmt.Errorf("ome: multiscale %q has no datasets", m.Name)
	}
	for _, d := range m.Datasets {
		ct := d.CoordinateTransformations
		if len(ct) == 0 || ct[0].Type != "scale" || len(ct[0].Scale) != n {
			return fmt.Errorf("ome: dataset %q: first transformation must be a scale of %d values", d.Path, n)
		}
		if len(ct) > 2 || (len(ct) == 2 && (ct[1].Type != "translation" || len(ct[1].Translation) != n)) {
			return fmt.Errorf("ome: dataset %q: only one translation of %d values may follow the scale", d.Path, n)
		}
	}
	return nil
}

// Image is the OME metadata of an image group.
type Image struct {
	// Version is V04 or V05.
	Version     string
	Multiscales []Multiscale
	// Labels lists label image names (the "labels" group only).
	Labels []string
	// ImageLabel is set on label images.
	ImageLabel *ImageLabel
	// Omero holds the channels' rendering settings (images only).
	Omero *Omero
}

// Write stores img's metadata in the group at path, creating it with Zarr
// v2 for 0.4 and v3 for 0.5, and keeping other attributes.
func Write(ctx context.Context, st store.Store, path string, img Image) error {
	format := 3
	switch img.Version {
	case V04:
		format = 2
	case V05:
	default:
		return fmt.Errorf("ome: version %q unsupported", img.Version)
	}
	ms := make([]Multiscale, len(img.Multiscales))
	for i, m := range img.Multiscales {
		if err := m.Validate(); err != nil {
			return err
		}
		m.Version = ""
		if format == 2 {
			m.Version = V04
		}
		ms[i] = m
	}
	attrs, _, err := zarr.GroupAttrs(ctx, st, path)
	if err != nil {
		attrs = map[string]any{}
	}
	inner := map[string]any{}
	if len(ms) > 0 {
		inner["multiscales"] = ms
	}
	if img.Labels != nil {
		inner["labels"] = img.Labels
	}
	if img.Omero != nil {
		if err := img.Omero.Validate(); err != nil {
			return fmt.Errorf("ome: write %q: %w", path, err)
		}
		inner["omero"] = img.Omero
	}
	if img.ImageLabel != nil {
		il := *img.ImageLabel
		il.Version = ""
		if format == 2 {
			il.Version = V04
		}
		inner["image-label"] = il
	}
	if format == 2 {
		for k, v := range inner {
			attrs[k] = v
		}
	} else {
		inner["version"] = V05
		attrs["ome"] = inner
	}
	return zarr.CreateGroup(ctx, st, path, format, attrs)
}

// ErrNoOME is returned (wrapped) by Read when a group has no OME metadata.
var ErrNoOME = errors.New("ome: no OME-Zarr metadata")

// Read loads the OME metadata of the group at path (0.4 or 0.5).
func Read(ctx context.Context, st store.Store, path string) (*Image, error) {
	attrs, format, err := zarr.GroupAttrs(ctx, st, path)
	if err != nil {
		return nil, err
	}
	src := attrs
	if format == 3 {
		o, ok := attrs["ome"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w at %q", ErrNoOME, path)
		}
		src = o
	}
	b, err := json.Marshal(src)
	if err != nil {
		return nil, err
	}
	var j struct {
		Version     string       `json:"version"`
		Multiscales []Multiscale `json:"multiscales"`
		Labels      []string     `json:"labels"`
		ImageLabel  *ImageLabel  `json:"image-label"`
		Omero       *Omero       `json:"omero"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("ome: %q: %v", path, err)
	}
	img := &Image{Version: j.Version, Multiscales: j.Multiscales, Labels: j.Labels, ImageLabel: j.ImageLabel, Omero: j.Omero}
	if format == 2 {
		img.Version = V04
		for _, m := range j.Multiscales {
			if m.Version != "" {
				img.Version = m.Version
			}
		}
	}
	if img.Multiscales == nil && img.Labels == nil && img.ImageLabel == nil && img.Omero == nil {
		return nil, fmt.Errorf("%w at %q", ErrNoOME, path)
	}
	for i := range img.Multiscales {
		if err := img.Multiscales[i].Validate(); err != nil {
			return nil, fmt.Errorf("ome: %q: %w", path, err)
		}
	}
	return img, nil
}
