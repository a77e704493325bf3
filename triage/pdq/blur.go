package pdq

// Box filters for the Jarosz tent-filter blur.
//
// One box-filter pass over a line x[0..n-1] with a full window of win
// samples (1 <= win <= n) is defined, as in the reference, by a float32
// running sum:
//
//	lead := win / 2
//	head := win - lead
//	sum := x[0] + ... + x[lead-1]            (added left to right)
//	for o := 0; o < n; o++ {
//		if o+lead < n  { sum += x[o+lead] }
//		if o-head >= 0 { sum -= x[o-head] }
//		y[o] = sum / (number of samples currently in the window)
//	}
//
// so y[o] is the mean of x[max(0,o-head+1) .. min(n-1,o+lead)]. Because
// floating-point rounding accumulates in the running sum, every output
// depends on the exact sequence of additions and subtractions before it,
// and all functions here reproduce that sequence exactly.
//
// The blur is "rows, columns, rows, columns". Only 64x64 samples of the
// final result are needed, so the second pair of passes is evaluated
// sparsely: the second row pass keeps its running sums over whole rows but
// divides only at the 64 sampled columns (into a compact height x 64
// buffer), and the second column pass runs over those 64 columns only,
// dividing only at the 64 sampled rows. The results are bit-identical to a
// full blur followed by decimation.

// stripWidth is the number of adjacent columns filtered together by the
// column pass. Each row of a strip is one contiguous run of memory.
const stripWidth = 32

// boxGeometry returns the number of samples summed before the first output
// (lead) and the distance behind the output position at which samples
// leave the window (head); lead+head == win.
func boxGeometry(win int) (lead, head int) {
	lead = win / 2
	return lead, win - lead
}

// windowSize returns the full box-filter window for a dimension of n
// pixels reduced to 64 samples: ceil(n/128).
func windowSize(n int) int {
	return (n + 2*64 - 1) / (2 * 64)
}

// boxRows4 applies one box-filter pass to four lines at once (for
// instruction-level parallelism): d0..d3 receive the filtered s0..s3. All
// slices must have the same length n >= win. The d's must not alias the
// s's, but d's (and s's) may repeat, in which case identical values are
// written.
func boxRows4(d0, d1, d2, d3, s0, s1, s2, s3 []float32, win int) {
	n := len(s0)
	s1, s2, s3 = s1[:n], s2[:n], s3[:n]
	d0, d1, d2, d3 = d0[:n], d1[:n], d2[:n], d3[:n]
	lead, head := boxGeometry(win)

	var a0, a1, a2, a3 float32
	for i := 0; i < lead; i++ {
		a0 += s0[i]
		a1 += s1[i]
		a2 += s2[i]
		a3 += s3[i]
	}
	cnt := lead
	for o := 0; o < head; o++ {
		cnt++
		c := float32(cnt)
		i := o + lead
		a0 += s0[i]
		a1 += s1[i]
		a2 += s2[i]
		a3 += s3[i]
		d0[o] = a0 / c
		d1[o] = a1 / c
		d2[o] = a2 / c
		d3[o] = a3 / c
	}

	// Full-window part: outputs head .. n-lead-1.
	m := n - win
	fw := float32(win)
	{
		p0, p1, p2, p3 := s0[win:][:m], s1[win:][:m], s2[win:][:m], s3[win:][:m]
		q0, q1, q2, q3 := s0[:m], s1[:m], s2[:m], s3[:m]
		e0, e1, e2, e3 := d0[head:][:m], d1[head:][:m], d2[head:][:m], d3[head:][:m]
		for i := range m {
			a0 += p0[i]
			a1 += p1[i]
			a2 += p2[i]
			a3 += p3[i]
			a0 -= q0[i]
			a1 -= q1[i]
			a2 -= q2[i]
			a3 -= q3[i]
			e0[i] = a0 / fw
			e1[i] = a1 / fw
			e2[i] = a2 / fw
			e3[i] = a3 / fw
		}
	}

	for o := n - lead; o < n; o++ {
		cnt--
		c := float32(cnt)
		i := o - head
		a0 -= s0[i]
		a1 -= s1[i]
		a2 -= s2[i]
		a3 -= s3[i]
		d0[o] = a0 / c
		d1[o] = a1 / c
		d2[o] = a2 / c
		d3[o] = a3 / c
	}
}

// boxRowsSampled4 runs one box-filter pass over four lines s0..s3 (same
// length n >= win) but produces only the outputs at the positions in pos
// (ascending, possibly repeated, all in 0..n-1): the output at pos[j] of
// line r is stored in out[r*len(pos)+j]. Lines may repeat.
func boxRowsSampled4(out []float32, s0, s1, s2, s3 []float32, win int, pos *[64]int) {
	n := len(s0)
	s1, s2, s3 = s1[:n], s2[:n], s3[:n]
	out = out[:4*64]
	lead, head := boxGeometry(win)

	var a0, a1, a2, a3 float32
	for i := 0; i < lead; i++ {
		a0 += s0[i]
		a1 += s1[i]
		a2 += s2[i]
		a3 += s3[i]
	}
	j := 0
	next := pos[0]
	cnt := lead
	for o := 0; o < head; o++ {
		cnt++
		i := o + lead
		a0 += s0[i]
		a1 += s1[i]
		a2 += s2[i]
		a3 += s3[i]
		if o == next {
			c := float32(cnt)
			j, next = emitSamples4(out, pos, j, o, a0/c, a1/c, a2/c, a3/c)
		}
	}

	// Full-window part: o in head .. n-lead-1, adding s[o+lead] and
	// subtracting s[o-head]. Run in segments that end at sample positions.
	fw := float32(win)
	end := n - lead
	for o := head; o < end; {
		stop := end
		if next >= o && next < end {
			stop = next + 1
		}
		p0, p1, p2, p3 := s0[o+lead:stop+lead], s1[o+lead:stop+lead], s2[o+lead:stop+lead], s3[o+lead:stop+lead]
		q0, q1, q2, q3 := s0[o-head:stop-head], s1[o-head:stop-head], s2[o-head:stop-head], s3[o-head:stop-head]
		m := len(p0)
		p1, p2, p3 = p1[:m], p2[:m], p3[:m]
		q0, q1, q2, q3 = q0[:m], q1[:m], q2[:m], q3[:m]
		for i := range m {
			a0 += p0[i]
			a1 += p1[i]
			a2 += p2[i]
			a3 += p3[i]
			a0 -= q0[i]
			a1 -= q1[i]
			a2 -= q2[i]
			a3 -= q3[i]
		}
		o = stop
		if stop-1 == next {
			j, next = emitSamples4(out, pos, j, next, a0/fw, a1/fw, a2/fw, a3/fw)
		}
	}

	for o := end; o < n; o++ {
		cnt--
		i := o - head
		a0 -= s0[i]
		a1 -= s1[i]
		a2 -= s2[i]
		a3 -= s3[i]
		if o == next {
			c := float32(cnt)
			j, next = emitSamples4(out, pos, j, o, a0/c, a1/c, a2/c, a3/c)
		}
	}
}

// emitSamples4 stores v0..v3 (the outputs of four lines at position o)
// for every sample index j' >= j with pos[j'] == o, and returns the next
// unused sample index and its position (-1 when all 64 are done).
func emitSamples4(out []float32, pos *[64]int, j, o int, v0, v1, v2, v3 float32) (int, int) {
	out = out[:4*64]
	for j < 64 && pos[j] == o {
		out[j] = v0
		out[64+j] = v1
		out[128+j] = v2
		out[192+j] = v3
		j++
	}
	if j < 64 {
		return j, pos[j]
	}
	return j, -1
}

// boxColumnsStrip applies one in-place box-filter pass along the columns
// c0 .. c0+L-1 of the w-wide image img (h rows, h >= win). scratch must
// hold at least L*h values; it receives a copy of the strip so that the
// outputs can overwrite img.
func boxColumnsStrip(img []float32, w, h, c0, L, win int, scratch []float32) {
	src := scratch[:L*h]
	for r := 0; r < h; r++ {
		copy(src[r*L:r*L+L], img[r*w+c0:r*w+c0+L])
	}
	lead, head := boxGeometry(win)

	var sums [stripWidth]float32
	s := sums[:L]
	for r := 0; r < lead; r++ {
		row := src[r*L:][:L]
		for k := range s {
			s[k] += row[k]
		}
	}
	cnt := lead
	for o := 0; o < head; o++ {
		cnt++
		c := float32(cnt)
		add := src[(o+lead)*L:][:L]
		dst := img[o*w+c0:][:L]
		for k := range s {
			v := s[k] + add[k]
			s[k] = v
			dst[k] = v / c
		}
	}
	// The full-window part: the first n columns with AVX2 where there is
	// (the same values), the rest here.
	fw := float32(win)
	n := boxColumnsVec(s, img[head*w+c0:], w, src, L, win, h-win)
	for o := head; o < h-lead && n < L; o++ {
		add := src[(o+lead)*L+n:][:L-n]
		sub := src[(o-head)*L+n:][:L-n]
		dst := img[o*w+c0+n:][:L-n]
		for k, sk := range s[n:] {
			v := sk + add[k]
			v -= sub[k]
			s[n+k] = v
			dst[k] = v / fw
		}
	}
	for o := h - lead; o < h; o++ {
		cnt--
		c := float32(cnt)
		sub := src[(o-head)*L:][:L]
		dst := img[o*w+c0:][:L]
		for k := range s {
			v := s[k] - sub[k]
			s[k] = v
			dst[k] = v / c
		}
	}
}

// boxColumnsSampled runs one box-filter pass down each of the 64 columns
// of the h x 64 buffer mid (h >= win) and stores the outputs at the rows
// in pos (ascending, possibly repeated) into out: out[i*64+c] is the
// output of column c at row pos[i].
func boxColumnsSampled(out *[64 * 64]float32, mid []float32, h, win int, pos *[64]int) {
	mid = mid[:h*64]
	lead, head := boxGeometry(win)

	var s [64]float32
	for r := 0; r < lead; r++ {
		row := (*[64]float32)(mid[r*64:])
		for k := range s {
			s[k] += row[k]
		}
	}
	i := 0
	cnt := lead
	for o := 0; o < head; o++ {
		cnt++
		add := (*[64]float32)(mid[(o+lead)*64:])
		for k := range s {
			s[k] += add[k]
		}
		i = emitRows(out, &s, pos, i, o, float32(cnt))
	}
	fw := float32(win)
	for o := head; o < h-lead; o++ {
		add := (*[64]float32)(mid[(o+lead)*64:])
		sub := (*[64]float32)(mid[(o-head)*64:])
		for k := range s {
			v := s[k] + add[k]
			s[k] = v - sub[k]
		}
		i = emitRows(out, &s, pos, i, o, fw)
	}
	for o := h - lead; o < h; o++ {
		cnt--
		sub := (*[64]float32)(mid[(o-head)*64:])
		for k := range s {
			s[k] -= sub[k]
		}
		i = emitRows(out, &s, pos, i, o, float32(cnt))
	}
}

// emitRows stores s/c as output row i' for every i' >= i with pos[i'] == o
// and returns the next unused index.
func emitRows(out *[64 * 64]float32, s *[64]float32, pos *[64]int, i, o int, c float32) int {
	for i < 64 && pos[i] == o {
		dst := (*[64]float32)(out[i*64:])
		for k := range s {
			dst[k] = s[k] / c
		}
		i++
	}
	return i
}
