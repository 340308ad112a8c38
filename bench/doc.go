// Package bench holds peer benchmarks: our code and a reference tool
// doing the same work on the same machine, run interleaved by the
// scripts next to this file (see gaussian.sh).
package bench
