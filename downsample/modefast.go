package downsample

import "github.com/ryomen-dev/ryomen/nd"

// modeRows handles the factor-2 mode cases row by row: 2x2 (countless-if,
// or stippled when sparse) with or without the last axis, and 2x2x2 with
// the last axis. It returns nil for other factors.
func modeRows[T nd.Number](src *nd.Array[T], factor []int, sparse bool, workers int, into *nd.Array[T]) *nd.Array[T] {
	last := len(factor) - 1
	fx, fam, red := factor[last], family(factor), countNot1(factor)
	if !rowable(factor) || fam != red || (fam != 2 && fam != 3) || (fam == 3 && fx != 2) {
		return nil
	}
	g := newGrid(src.Shape(), factor)
	data, _ := src.Flat()
	out := newOut(g.out, into, 1, 1)
	od := out.Data()
	nx, nxIn := g.out[last], g.in[last]
	g.forEachRow(workers, true, func(o int, rows []int) {
		d := od[o : o+nx]
		switch {
		case fam == 2 && fx == 2:
			mode2x2Pairs(d, data[rows[0]:rows[0]+nxIn], data[rows[1]:rows[1]+nxIn], sparse)
		case fam == 2:
			mode2x2Rows(d, data[rows[0]:rows[0]+nx], data[rows[1]:rows[1]+nx], data[rows[2]:rows[2]+nx], data[rows[3]:rows[3]+nx], sparse)
		default:
			mode2x2x2(d, data[rows[0]:rows[0]+nxIn], data[rows[1]:rows[1]+nxIn],
				data[rows[2]:rows[2]+nxIn], data[rows[3]:rows[3]+nxIn], sparse)
		}
	})
	return out
}

// mode2x2Pairs: 2x2 blocks (a b / c d) from two rows, the last axis paired.
// Reference loop: d[x] = countlessIf(r0[2x], r0[2x+1], r1[2x], r1[2x+1])
// with 2x+1 clamped to the row.
func mode2x2Pairs[T nd.Number](d, r0, r1 []T, sparse bool) {
	n := len(r0)
	half := n / 2
	e0, e1 := r0[:2*half], r1[:2*half]
	dd := d[:half]
	if sparse {
		for x := range dd {
			p, q := e0[2*x:2*x+2], e1[2*x:2*x+2]
			dd[x] = stippled(p[0], p[1], q[0], q[1])
		}
	} else {
		for x := range dd {
			p, q := e0[2*x:2*x+2], e1[2*x:2*x+2]
			a, b, c := p[0], p[1], q[0]
			switch {
			case a == b, a == c:
				dd[x] = a
			case b == c:
				dd[x] = b
			default:
				dd[x] = q[1]
			}
		}
	}
	if n%2 == 1 {
		a, c := r0[n-1], r1[n-1]
		if sparse {
			d[half] = stippled(a, a, c, c)
		} else {
			d[half] = countlessIf(a, a, c, c)
		}
	}
}

// mode2x2Rows: 2x2 blocks across four rows (the last axis not reduced):
// d[x] = countlessIf(r0[x], r1[x], r2[x], r3[x]).
func mode2x2Rows[T nd.Number](d, r0, r1, r2, r3 []T, sparse bool) {
	r0, r1, r2, r3 = r0[:len(d)], r1[:len(d)], r2[:len(d)], r3[:len(d)]
	for x := range d {
		if sparse {
			d[x] = stippled(r0[x], r1[x], r2[x], r3[x])
		} else {
			d[x] = countlessIf(r0[x], r1[x], r2[x], r3[x])
		}
	}
}

// mode2x2x2 is the mode of the 8 voxels of each 2x2x2 block, read in scan
// order (row 0 pair, row 1 pair, ...), edges repeated: the highest count
// wins, ties go to the value seen first; zeros do not vote when sparse.
// Reference loop: d[x] = blockMode(the 8 values, sparse).
func mode2x2x2[T nd.Number](d, r0, r1, r2, r3 []T, sparse bool) {
	n := len(r0)
	half := n / 2
	// Pairs inside the rows: no clamping needed.
	e0, e1, e2, e3 := r0[:2*half], r1[:2*half], r2[:2*half], r3[:2*half]
	dd := d[:half]
	for x := range dd {
		a, b, c, e := e0[2*x:2*x+2], e1[2*x:2*x+2], e2[2*x:2*x+2], e3[2*x:2*x+2]
		v0 := a[0]
		// Instant majority: four equal values in the first half decide
		// (the second half can at most tie, and ties go to the first).
		if a[1] == v0 && b[0] == v0 && b[1] == v0 && (!sparse || v0 != 0) {
			dd[x] = v0
			continue
		}
		v := [8]T{a[0], a[1], b[0], b[1], c[0], c[1], e[0], e[1]}
		dd[x] = mode8(&v, sparse)
	}
	if n%2 == 1 {
		l := n - 1
		v := [8]T{r0[l], r0[l], r1[l], r1[l], r2[l], r2[l], r3[l], r3[l]}
		d[half] = mode8(&v, sparse)
	}
}

func mode8[T nd.Number](v *[8]T, sparse bool) T {
	var best T
	bestN := 0
	for i := 0; i < 8; i++ {
		c := v[i]
		if sparse && c == 0 {
			continue
		}
		n := 0
		for j := i; j < 8; j++ {
			if v[j] == c {
				n++
			}
		}
		// Counting from i only undercounts values seen before i, whose
		// first occurrence already had the full count, so the first
		// occurrence of each value decides and ties keep the earlier.
		if n > bestN {
			best, bestN = c, n
			if n > 4 {
				break
			}
		}
	}
	return best
}
