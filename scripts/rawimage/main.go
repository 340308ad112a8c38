// Command rawimage writes a W x H uint8 raw image of smooth blobs plus
// noise to stdout, as input for the vips comparison in scripts/bench-cli.
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: rawimage WIDTH HEIGHT > out.raw")
		os.Exit(2)
	}
	w, err1 := strconv.Atoi(os.Args[1])
	h, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		fmt.Fprintln(os.Stderr, "rawimage: WIDTH and HEIGHT must be positive integers")
		os.Exit(2)
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	row := make([]byte, w)
	var s uint64 = 1
	for y := 0; y < h; y++ {
		sy := math.Sin(float64(y) / 41)
		for x := range row {
			s ^= s << 13
			s ^= s >> 7
			s ^= s << 17
			v := 100 + 60*sy*math.Sin(float64(x)/37) + float64(s%16)
			row[x] = uint8(v)
		}
		if _, err := out.Write(row); err != nil {
			fmt.Fprintln(os.Stderr, "rawimage:", err)
			os.Exit(1)
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "rawimage:", err)
		os.Exit(1)
	}
}
