// Package testtool holds helpers for the interop tests that call
// third-party readers and writers (Debian's Python packages, libtiff's
// tools, node).
package testtool

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python is Debian's interpreter, the one that imports Debian's numpy,
// zarr, numcodecs and tifffile.
const Python = "/usr/bin/python3"

// Require skips the test when the tool is missing (err != nil), or fails
// it when the environment says CI=true, where every tool must be present.
func Require(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true: %v", what, err)
	}
	t.Skipf("%s not available: %v", what, err)
}

// PythonWith returns Python after checking that it imports every module
// (Require semantics otherwise).
func PythonWith(t testing.TB, modules ...string) string {
	t.Helper()
	err := exec.Command(Python, "-c", "import "+strings.Join(modules, ", ")).Run()
	Require(t, Python+" with "+strings.Join(modules, ", "), err)
	return Python
}

// Command returns the path of a program on PATH (Require semantics).
func Command(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	Require(t, name, err)
	return p
}
