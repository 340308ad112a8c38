package ome

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

// AddLabel registers the label image name in the "labels" group of the
// image at imagePath, creating the group when it is missing: {"labels":
// [...]} top-level in .zattrs for 0.4, under attributes.ome (with
// "version") for 0.5. Existing entries keep their order, name is appended
// only if absent, and the group's other attributes are kept. version is
// V04, V05 or "" for the image's own version; it must match the image's.
//
// The image and the label image (imagePath/labels/name) must both be
// complete OME-Zarr multiscales images already, so register a label after
// building it. The read-modify-write is not atomic: do not register labels
// of one image from several processes at once.
func AddLabel(ctx context.Context, st store.Store, imagePath, name, version string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\") {
		return fmt.Errorf("ome: add label %q: name must be one non-empty path segment", name)
	}
	img, err := Read(ctx, st, imagePath)
	if err != nil {
		return fmt.Errorf("ome: add label %q: image %q: %w", name, imagePath, err)
	}
	if len(img.Multiscales) == 0 {
		return fmt.Errorf("ome: add label %q: %q is not a multiscales image: %w", name, imagePath, ErrNoOME)
	}
	if version == "" {
		version = img.Version
	}
	if version != img.Version {
		return fmt.Errorf("ome: add label %q: version %q, but image %q is OME-Zarr %s", name, version, imagePath, img.Version)
	}
	lp := path.Join(imagePath, "labels", name)
	if li, err := Read(ctx, st, lp); err != nil || len(li.Multiscales) == 0 {
		if err == nil {
			err = ErrNoOME
		}
		return fmt.Errorf("ome: add label %q: label image %q is not a multiscales image: %w", name, lp, err)
	} else if li.Version != img.Version {
		return fmt.Errorf("ome: add label %q: label image %q is OME-Zarr %s, image %q is %s", name, lp, li.Version, imagePath, img.Version)
	}
	gp := path.Join(imagePath, "labels")
	attrs, format, err := labelsGroup(ctx, st, gp, img.Version)
	if err != nil {
		return fmt.Errorf("ome: add label %q: %w", name, err)
	}
	inner := attrs
	if format == 3 {
		o, ok := attrs["ome"].(map[string]any)
		if !ok {
			if attrs["ome"] != nil {
				return fmt.Errorf("ome: add label %q: %s/zarr.json: attributes.ome is not an object", name, gp)
			}
			o = map[string]any{}
			attrs["ome"] = o
		}
		o["version"] = V05
		inner = o
	}
	names, err := labelList(inner["labels"])
	if err != nil {
		return fmt.Errorf("ome: add label %q: group %q: %w", name, gp, err)
	}
	for _, n := range names {
		if n == name {
			return nil
		}
	}
	inner["labels"] = append(names, name)
	return zarr.SetGroupAttrs(ctx, st, gp, format, attrs)
}

// labelsGroup returns the attributes and Zarr format of the labels group
// at gp, empty ones if it does not exist yet; an array there, or a group
// of the other Zarr format, is an error.
func labelsGroup(ctx context.Context, st store.Store, gp, version string) (map[string]any, int, error) {
	want := 3
	if version == V04 {
		want = 2
	}
	if b, err := st.Get(ctx, gp+"/zarr.json"); err == nil {
		var j struct {
			NodeType string `json:"node_type"`
		}
		if err := json.Unmarshal(b, &j); err != nil {
			return nil, 0, fmt.Errorf("%s/zarr.json: %w", gp, err)
		}
		if j.NodeType != "group" {
			return nil, 0, fmt.Errorf("%s/zarr.json: node_type %q, want a group", gp, j.NodeType)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, 0, err
	}
	if _, err := st.Get(ctx, gp+"/.zarray"); err == nil {
		return nil, 0, fmt.Errorf("%s is a Zarr array, want a group", gp)
	}
	attrs, format, err := zarr.GroupAttrs(ctx, st, gp)
	if errors.Is(err, store.ErrNotFound) {
		return map[string]any{}, want, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if format != want {
		return nil, 0, fmt.Errorf("%s is a Zarr v%d group; OME-Zarr %s needs v%d", gp, format, version, want)
	}
	return attrs, format, nil
}

// labelList reads the "labels" attribute: absent, or a list of strings.
func labelList(v any) ([]string, error) {
	if v == nil {
		return []string{}, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("field \"labels\" is %T, want a list of names", v)
	}
	out := make([]string, 0, len(l)+1)
	for i, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("field \"labels\"[%d] is %T, want a name", i, e)
		}
		out = append(out, s)
	}
	return out, nil
}

// NewImageLabel returns the image-label block of a label image whose
// source image is two levels up ("../../", the layout img/labels/NAME),
// with a colour from [LabelColor] for each of values (none when values is
// empty; viewers then pick their own). The version is set by [Write].
func NewImageLabel(values ...int64) *ImageLabel {
	il := &ImageLabel{Source: &struct {
		Image string `json:"image,omitempty"`
	}{Image: "../../"}}
	for _, v := range values {
		il.Colors = append(il.Colors, Color{LabelValue: float64(v), RGBA: LabelColor(v)})
	}
	return il
}

// LabelColor returns a stable pseudo-random opaque colour for a label
// value (a hash of it, with every channel in [64, 255] so no label is
// near black), and transparent black for 0, the background.
func LabelColor(v int64) [4]int {
	if v == 0 {
		return [4]int{0, 0, 0, 0}
	}
	// splitmix64 finaliser.
	z := uint64(v) + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	var c [4]int
	for i := range 3 {
		c[i] = 64 + int(z>>(8*i)&0xff)*191/255
	}
	c[3] = 255
	return c
}
