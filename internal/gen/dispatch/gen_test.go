package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every dispatch_gen.go of the module is what Generate writes from its
// package's directives today.
func TestGenerated(t *testing.T) {
	root := "../../.."
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == OutFile {
			dirs = append(dirs, filepath.Dir(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 3 {
		t.Fatalf("only %d generated dispatch files found", len(dirs))
	}
	for _, dir := range dirs {
		want, err := Generate(dir)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		got, err := os.ReadFile(filepath.Join(dir, OutFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s/%s is stale: run go generate in %s", dir, OutFile, dir)
		}
	}
}

// A package of directives exercising both forms, kept type parameters,
// array results, zero defaults and errors.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	src := `package p

import (
	"context"

	"github.com/ryomen-dev/ryomen/nd"
)

func sum[T nd.Number](ctx context.Context, a *nd.Array[T]) (float64, error) { return 0, nil }

func make_[T nd.Element](shape []int) *nd.Array[T] { return nil }

func conv[D nd.Number, S nd.Integer | nd.Bool](dst *nd.Array[D], src *nd.Array[S]) {}

func bytesOf[T nd.Element](a *nd.Array[T]) ([]byte, bool) { return nil, false }

// SumAny sums.
//
//nd:dispatch SumAny = sum(a)

// MakeAny makes.
//
//nd:dispatch MakeAny = make_[dt]

// convAny converts.
//
//nd:dispatch convAny = conv(src)

// bytesAny views.
//
//nd:dispatch bytesAny = bytesOf(a) zero
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, want := range []string{
		"func SumAny(ctx context.Context, a nd.Any) (float64, error) {",
		"case *nd.Array[float64]:\n\t\treturn sum[float64](ctx, a)",
		`return z0, fmt.Errorf("p: SumAny of unsupported array type %T", a)`,
		"func MakeAny(dt nd.DType, shape []int) nd.Any {",
		"case nd.DTypeBool:\n\t\tv0 := make_[nd.Bool](shape)\n\t\tif v0 == nil {",
		`panic(fmt.Sprintf("p: MakeAny of unsupported dtype %v", dt))`,
		"func convAny[D nd.Number](dst *nd.Array[D], src nd.Any) {",
		"case *nd.Array[nd.Bool]:\n\t\tconv[D, nd.Bool](dst, src)\n\t\treturn",
		"var z0 []byte\n\tvar z1 bool\n\treturn z0, z1",
		"\"context\"\n\t\"fmt\"\n\n\t\"github.com/ryomen-dev/ryomen/nd\"",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("generated code lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "case *nd.Array[float32]:\n\t\tconv") {
		t.Error("convAny has a float32 case outside its constraint")
	}
	for _, bad := range []string{
		"func f[T nd.Number](a []T) {}\n\n// F doc.\n//\n//nd:dispatch F = f(a)\n",
		"func f(a int) {}\n\n// F doc.\n//\n//nd:dispatch F = f(a)\n",
		"func f[T nd.Number](a *nd.Array[T]) {}\n\n//nd:dispatch F = f(a)\n",
		"func f[T nd.Number](a *nd.Array[T]) {}\n\n// F doc.\n//\n//nd:dispatch F = g(a)\n",
		"// F doc.\n//\n//nd:dispatch F = f(a)\nfunc f[T nd.Number](a *nd.Array[T]) {}\n",
	} {
		os.WriteFile(filepath.Join(dir, "p.go"), []byte("package p\n\nimport \"github.com/ryomen-dev/ryomen/nd\"\n\nvar _ nd.Any\n\n"+bad), 0o644)
		if _, err := Generate(dir); err == nil {
			t.Errorf("no error for\n%s", bad)
		}
	}
}
