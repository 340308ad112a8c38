package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

func readOut(t *testing.T, p string) []byte {
	t.Helper()
	s, err := openSource(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	a := nd.NewAny(s.r.DType(), s.r.Shape(), nd.C)
	if err := s.r.ReadRegion(nd.BoxOf(s.r.Shape()), a); err != nil {
		t.Fatal(err)
	}
	b, _ := nd.AsBytes(a)
	return b
}

// A blur computed tile by tile with halos equals a blur of the whole image
// in one tile, bit for bit.
func TestApplyGaussianTiled(t *testing.T) {
	dir := t.TempDir()
	tiled, whole := filepath.Join(dir, "tiled"), filepath.Join(dir, "whole")
	mustRun(t, "apply", "--op", "gaussian", "--sigma", "1.5", "--chunks", "16,16,16", "synth:40x50x60?seed=4", tiled)
	mustRun(t, "apply", "--op", "gaussian", "--sigma", "1.5", "--chunks", "64,64,64", "synth:40x50x60?seed=4", whole)
	a, b := readOut(t, tiled), readOut(t, whole)
	if len(a) != 40*50*60*4 || !bytes.Equal(a, b) {
		t.Fatal("tiled blur differs from the whole-image blur")
	}
	th := filepath.Join(dir, "th")
	mustRun(t, "apply", "--op", "threshold", "--value", "400", "--chunks", "16,16,16", "synth:40x50x60?seed=4", th)
	ones := bytes.Count(readOut(t, th), []byte{1})
	if ones == 0 || ones == 40*50*60 {
		t.Fatalf("threshold gave %d ones", ones)
	}
	if r := run(t, "apply", "--op", "median", "synth:8x8x8", filepath.Join(dir, "x")); r.code != exitUsage {
		t.Errorf("unknown op: exit %d", r.code)
	}
}
