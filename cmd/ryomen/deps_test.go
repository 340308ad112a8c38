package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The command is thin: it reaches formats and codecs only through the
// library's entry points (dataset, pyramid, tile), never directly.
func TestNoFormatImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range strings.Fields(string(out)) {
		for _, banned := range []string{"zarr", "tiff", "npy", "ome", "codec"} {
			if imp == "github.com/ryomen-dev/ryomen/"+banned {
				t.Errorf("cmd/ryomen imports %s directly", imp)
			}
		}
	}
}
