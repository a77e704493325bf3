package transpose

import "fmt"

// In8 sets t[8x+i] = rows[i][x] for x below n. It panics, writing
// nothing, unless n is a non-negative multiple of 8, t holds at least 8n
// floats and every row at least n.
func In8(t []float32, rows *[8][]float32, n int) {
	p := check("In8", t, rows, n)
	if n > 0 {
		in8(t, rows, &p, n)
	}
}

// Out8 sets rows[i][x] = u[8x+i] for x below n: In8 the other way. It
// panics, writing nothing, unless n is a non-negative multiple of 8, u
// holds at least 8n floats and every row at least n.
func Out8(rows *[8][]float32, u []float32, n int) {
	p := check("Out8", u, rows, n)
	if n > 0 {
		out8(rows, u, &p, n)
	}
}

// check panics unless n is a non-negative multiple of 8, the 8n floats
// of t and the first n of each row are within the slices; it returns the
// rows' starts (nil for n = 0) for the assembly.
func check(op string, t []float32, rows *[8][]float32, n int) (p [8]*float32) {
	if n < 0 || n%8 != 0 {
		panic(fmt.Sprintf("transpose.%s: n = %d is not a non-negative multiple of 8", op, n))
	}
	if len(t)/8 < n {
		panic(fmt.Sprintf("transpose.%s: %d floats for %d columns of 8", op, len(t), n))
	}
	for i, r := range rows {
		if len(r) < n {
			panic(fmt.Sprintf("transpose.%s: row %d has %d floats, fewer than %d", op, i, len(r), n))
		}
		if n > 0 {
			p[i] = &r[0]
		}
	}
	return p
}

// in8Go is In8's loop in Go, for CPUs without AVX2.
func in8Go(t []float32, rows *[8][]float32, n int) {
	for i, r := range rows {
		for x, v := range r[:n] {
			t[8*x+i] = v
		}
	}
}

// out8Go is Out8's loop in Go, for CPUs without AVX2.
func out8Go(rows *[8][]float32, u []float32, n int) {
	for i, r := range rows {
		for x := range r[:n] {
			r[x] = u[8*x+i]
		}
	}
}
