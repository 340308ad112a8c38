// Command dispatch writes the dtype dispatch of a package: for every
// directive
//
//	// Doc comment of the generated function.
//	//
//	//nd:dispatch NAME = GENERIC(PARAM)
//	//nd:dispatch NAME = GENERIC[DT]
//
// in a comment group of a non-test Go file of the package (a group of its
// own, not the doc of a declaration), it writes to dispatch_gen.go a
// function NAME with GENERIC's parameters, in which the *nd.Array[T]
// parameter PARAM is an nd.Any (first form), or with a leading parameter
// DT of type nd.DType (second form), that calls GENERIC instantiated for
// the element type found at run time: one type switch, the only place the
// package meets runtime dtypes. The cases are the element types of T's
// constraint (nd.Number, nd.Element, nd.Integer, or a union of them and
// element types), in the order of nd.DTypes. Other parameters and results
// of type *nd.Array[T] become nd.Any (parameters asserted to the
// instantiated type, which the caller must have checked); other type
// parameters of GENERIC stay type parameters of NAME. For a type outside
// the set NAME returns an error when its last result is an error, and
// panics otherwise (a programming error), or returns zero values when the
// directive ends in the word "zero".
//
// Run it with go generate (//go:generate go run
// github.com/ryomen-dev/ryomen/internal/gen/dispatch) in the package's
// directory; TestGenerated checks that every dispatch_gen.go of the
// module is up to date.
package main

import (
	"fmt"
	"log"
	"os"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	src, err := Generate(dir)
	if err != nil {
		log.Fatalf("dispatch: %v", err)
	}
	if err := os.WriteFile(dir+"/"+OutFile, src, 0o644); err != nil {
		log.Fatalf("dispatch: %v", err)
	}
	fmt.Fprintf(os.Stderr, "dispatch: wrote %s/%s\n", dir, OutFile)
}
