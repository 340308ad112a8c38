package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// A pyramid written straight to S3 (an in-process S3 server), then read
// back from S3 as the input of another pyramid, equals the one written to
// disk; and a directory served over HTTP reads like the directory.
func TestRemoteStores(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("lab"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	env := append(os.Environ(), "AWS_ENDPOINT_URL="+srv.URL, "AWS_ACCESS_KEY_ID=id", "AWS_SECRET_ACCESS_KEY=secret", "AWS_REGION=us-east-1")
	runEnv := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ryomen %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	dir := t.TempDir()
	src := "synth:24x40x48?seed=5"
	local := filepath.Join(dir, "local")
	mustRun(t, "pyramid", "--levels", "2", "--chunks", "8,16,16", src, local)
	runEnv("pyramid", "--levels", "2", "--chunks", "8,16,16", src, "s3://lab/run1/img.ome.zarr")
	info := runEnv("info", "s3://lab/run1/img.ome.zarr")
	if !strings.Contains(info, "24") || !strings.Contains(info, "uint16") {
		t.Fatalf("info of the S3 output:\n%s", info)
	}
	// Level 1 read back from S3 equals the local level 1.
	back := filepath.Join(dir, "back")
	runEnv("convert", "--chunks", "8,16,16", "s3://lab/run1/img.ome.zarr/1", back)
	if a, b := readOut(t, filepath.Join(local, "1")), readOut(t, filepath.Join(back, "0")); string(a) != string(b) {
		t.Fatal("level 1 read back from S3 differs from the local one")
	}
	// HTTP: serve the local pyramid and convert its level 1 from a URL.
	hs := httptest.NewServer(http.FileServer(http.Dir(local)))
	defer hs.Close()
	viaHTTP := filepath.Join(dir, "http")
	mustRun(t, "convert", "--chunks", "8,16,16", hs.URL+"/1", viaHTTP)
	if a, b := readOut(t, filepath.Join(local, "1")), readOut(t, filepath.Join(viaHTTP, "0")); string(a) != string(b) {
		t.Fatal("level 1 read over HTTP differs")
	}
	if r := run(t, "pyramid", src, "https://example.org/out.zarr"); r.code != exitUsage {
		t.Errorf("HTTP output: exit %d", r.code)
	}
}
