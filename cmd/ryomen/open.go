package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
)

// source is an opened input: the image plus the views of it the engine
// takes (OME axes, physical scale, run-record identity).
type source struct {
	*dataset.Image
	r      nd.Reader
	format string
	id     pyramid.Source
	local  string
}

// openSource opens IN through the library (see package dataset for the
// location syntax: Zarr, OME-Zarr, TIFF series, .npy, http(s), s3, synth).
func openSource(ctx context.Context, in string) (*source, error) {
	im, err := dataset.Open(ctx, in, &dataset.OpenOptions{Memory: g.memBytes})
	if err != nil {
		if strings.HasPrefix(in, "synth:") {
			return nil, usageError{err} // a synth: location is all flags
		}
		return nil, err
	}
	return fromImage(im), nil
}

// fromImage adapts a library image to the engine's options.
func fromImage(im *dataset.Image) *source {
	return &source{Image: im, r: im.Reader, format: im.Format, local: im.Local,
		id: pyramid.Source{Location: im.Location, Fingerprint: im.Fingerprint}}
}

// spaceFlags marks the space axes of src (the only ones pyramids reduce
// and tiles pad).
func (s *source) spaceFlags() []bool {
	f := make([]bool, len(s.Axes))
	for _, i := range s.SpaceAxes() {
		f[i] = true
	}
	return f
}

// joinKey joins store key paths.
func joinKey(a, b string) string {
	if a == "" {
		return b
	}
	return strings.TrimSuffix(a, "/") + "/" + b
}

// output is an opened output location.
type output struct {
	st    store.Store
	path  string // the output's path in st ("" : st's root)
	loc   string // canonical location
	local string // local path, "" for object stores
}

// openOutput returns the store for an output: a local directory (checked
// to be writable) or an s3:// location. It refuses an output that is the
// input, contains it or lies inside it, however either is spelled, before
// creating anything.
func openOutput(ctx context.Context, out string, src *source) (*output, error) {
	if out == "" {
		return nil, usagef("missing output path")
	}
	var o output
	switch {
	case strings.HasPrefix(out, "s3://"), strings.HasPrefix(out, "mem://"):
		st, err := store.Open(ctx, out)
		if err != nil {
			return nil, err
		}
		o.st = st
		o.loc, _ = store.Location(st)
	case strings.Contains(out, "://") && !strings.HasPrefix(out, "file://"):
		return nil, usagef("output %q: write to a directory or an s3:// location", out)
	default:
		o.local = strings.TrimPrefix(out, "file://")
		loc, err := store.FileLocation(o.local)
		if err != nil {
			return nil, err
		}
		o.loc = loc
	}
	if err := checkInPlace(src, &o, out); err != nil {
		return nil, err
	}
	if o.st != nil {
		return &o, nil
	}
	if fi, err := os.Stat(o.local); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%w: output %q is a file, not a directory; refusing to replace it", pyramid.ErrExists, out)
	}
	if err := os.MkdirAll(o.local, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create output %q: %w", out, err)
	}
	// A temporary name (".tmp-"), which listings skip: another shard
	// claiming the same output at this moment must not take the probe for
	// a foreign file.
	f, err := os.CreateTemp(o.local, ".tmp-probe-*")
	if err != nil {
		return nil, fmt.Errorf("output %q is not writable: %w", out, err)
	}
	f.Close()
	os.Remove(f.Name())
	// Inside an existing Zarr hierarchy (img.zarr/labels/cells), the store
	// is the hierarchy, so the output can be registered in it.
	root, inner := dataset.SplitPath(o.local)
	o.st, o.path = store.NewFile(root), inner
	return &o, nil
}

// checkInPlace refuses an output that overlaps the input.
func checkInPlace(src *source, o *output, out string) error {
	if src == nil {
		return nil
	}
	clash := src.id.Location != "" && store.Overlap(src.id.Location, o.loc)
	if !clash && src.local != "" && o.local != "" {
		clash = store.SameFileAncestor(src.local, o.local)
	}
	if clash {
		return usagef("output %q overlaps the input %s: writing it would destroy the input; choose an output outside the input", out, src.id.Location)
	}
	return nil
}
