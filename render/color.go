package render

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
)

// Channel is how one channel of an image is drawn.
type Channel struct {
	// Index is the channel's position on the channel axis (0 for an image
	// without one).
	Index int
	// Label names the channel.
	Label string
	// Color is the colour of values at or above End.
	Color color.RGBA
	// Start and End bound the display window: Start maps to black, End
	// to Color.
	Start, End float64
	// Inverted swaps the ends of the window.
	Inverted bool
	// Active channels are drawn; Render skips the others.
	Active bool
}

// Level returns t in [0, 1]: where v falls in the channel's window,
// clamped (1-t when inverted). A window with End <= Start is a step at
// Start. NaN gives 0.
func (c Channel) Level(v float64) float64 {
	var t float64
	switch {
	case math.IsNaN(v):
		return 0
	case c.End > c.Start:
		t = (v - c.Start) / (c.End - c.Start)
	case v >= c.Start:
		t = 1
	}
	t = math.Min(1, math.Max(0, t))
	if c.Inverted {
		t = 1 - t
	}
	return t
}

// ParseColor reads a colour of 6 hexadecimal digits RRGGBB, with or
// without a leading "#".
func ParseColor(s string) (color.RGBA, error) {
	h := s
	if len(h) > 0 && h[0] == '#' {
		h = h[1:]
	}
	if len(h) != 6 {
		return color.RGBA{}, fmt.Errorf("render: colour %q: want 6 hex digits RRGGBB", s)
	}
	n, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.RGBA{}, fmt.Errorf("render: colour %q: want 6 hex digits RRGGBB", s)
	}
	return color.RGBA{R: uint8(n >> 16), G: uint8(n >> 8), B: uint8(n), A: 255}, nil
}

// HexColor returns c as RRGGBB.
func HexColor(c color.RGBA) string { return fmt.Sprintf("%02X%02X%02X", c.R, c.G, c.B) }

// LabelColor returns the colour of label id: a hash of id alone (so the
// same on every level, view and run) with every component in [64, 255],
// so that labels stay visible on a dark image. ID 0 (background) is
// transparent black.
func LabelColor(id uint64) color.RGBA {
	if id == 0 {
		return color.RGBA{}
	}
	h := mix64(id)
	c := func(b uint64) uint8 { return uint8(64 + (b&0xff)*191/255) }
	return color.RGBA{R: c(h), G: c(h >> 8), B: c(h >> 16), A: 255}
}

// mix64 is the splitmix64 finaliser: a bijection of uint64 whose output
// bits each depend on every input bit.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// blend returns round((1-a)*x + a*y) for 8-bit components.
func blend(x, y uint8, a float64) uint8 {
	return uint8(math.Round((1-a)*float64(x) + a*float64(y)))
}
