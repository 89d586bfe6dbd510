package jpegdec

import "math"

// Inverse DCT (T.81 A.3.3) at full and reduced sizes, in float32.
//
// The 2-D IDCT is f(x,y) = Σu Σv w(u) w(v) F(u,v) cos((2x+1)uπ/16) cos((2y+1)vπ/16)
// with w(0) = 1/(2√2) and w(k) = 1/2 otherwise. The per-coefficient weights (and a
// few constant factors of the butterflies below) are folded into the dequantisation
// table of each component, so a transform only multiplies by the remaining cosines.
//
// At Scale s the output pixel i stands for the s input pixels s·i … s·i+s−1. Only the
// 8/s lowest frequencies are used, each weighted so that the result is the exact
// average over those s pixels of that frequency's contribution: the mean of
// cos((2x+1)kπ/16) over the s pixels equals cos(s(2i+1)kπ/16)·box_s(k) with
// box_s(k) = (1/s) Σj cos((2j−s+1)kπ/16). So the reduced output equals the box
// average of the full IDCT except for the (discarded) higher frequencies.

var (
	cosPi8  = float32(math.Cos(math.Pi / 8))
	cos3Pi8 = float32(math.Cos(3 * math.Pi / 8))
	sqrt2   = float32(math.Sqrt2)
	// Constants of the AAN odd part.
	aanA = float32(2 * math.Cos(math.Pi/8))
	aanB = float32(2 * (math.Cos(math.Pi/8) - math.Cos(3*math.Pi/8)))
	aanC = float32(2 * (math.Cos(math.Pi/8) + math.Cos(3*math.Pi/8)))
)

// weights returns the per-frequency factors for a scale (see the package comment above).
func weights(scale int) [8]float64 {
	var w [8]float64
	n := 8 / scale
	for k := 0; k < n; k++ {
		c := 0.5
		if k == 0 {
			c = 1 / (2 * math.Sqrt2)
		}
		box := 0.0
		for j := 0; j < scale; j++ {
			box += math.Cos(float64(2*j-scale+1) * float64(k) * math.Pi / 16)
		}
		box /= float64(scale)
		w[k] = c * box
	}
	// Factors folded in from the butterflies: the AAN input scaling cos(kπ/16) at
	// Scale 1, the cos(π/4) of the middle frequency otherwise.
	switch scale {
	case 1:
		for k := 1; k < 8; k++ {
			w[k] *= math.Cos(float64(k) * math.Pi / 16)
		}
	case 2:
		w[2] *= math.Cos(math.Pi / 4)
	case 4:
		w[1] *= math.Cos(math.Pi / 4)
	}
	return w
}

// scaledQuant returns the dequantisation table (natural order) with the IDCT weights
// of the given scale folded in.
func scaledQuant(q *[64]uint16, scale int) [64]float32 {
	w := weights(scale)
	var t [64]float32
	for v := 0; v < 8; v++ {
		for u := 0; u < 8; u++ {
			t[v*8+u] = float32(float64(q[v*8+u]) * w[u] * w[v])
		}
	}
	return t
}

// clamp8 converts x, which already includes the +128 level shift and +0.5 for
// rounding, to a sample value. (Truncation towards zero only differs from
// flooring below 0, where the result is clamped to 0 anyway.)
func clamp8(x float32) byte {
	v := int32(x)
	if uint32(v) > 255 {
		v = ^(v >> 31) & 255
	}
	return byte(v)
}

// zigzag position → largest column (u) and row (v) index seen up to that position.
var maxColZ, maxRowZ [64]uint8

func init() {
	var mu, mv int
	for k := 0; k < 64; k++ {
		u, v := unzig[k]&7, unzig[k]>>3
		mu, mv = max(mu, u), max(mv, v)
		maxColZ[k], maxRowZ[k] = uint8(mu), uint8(mv)
	}
}

// idct8 transforms blk (last = zig-zag index of its last nonzero coefficient) into
// an 8×8 block of dst starting at dst[0] with the given stride. It uses the
// Arai–Agui–Nakajima factorisation (5 multiplications per 1-D transform), whose
// input scaling is folded into q by scaledQuant.
func idct8(blk *[64]int16, q *[64]float32, last int, dst []byte, stride int) {
	if last == 0 {
		v := clamp8(float32(blk[0])*q[0] + 128.5)
		for y := 0; y < 8; y++ {
			d := dst[y*stride : y*stride+8]
			for x := range d {
				d[x] = v
			}
		}
		return
	}
	maxU, maxV := int(maxColZ[last]), int(maxRowZ[last])
	var ws [64]float32
	// Columns: 1-D IDCT along v for each u that may be nonzero.
	for u := 0; u < 8 && u <= maxU; u++ {
		y0 := float32(blk[u]) * q[u]
		if maxV == 0 {
			for v := 0; v < 8; v++ {
				ws[v*8+u] = y0
			}
			continue
		}
		y1 := float32(blk[8+u]) * q[8+u]
		y2 := float32(blk[16+u]) * q[16+u]
		y3 := float32(blk[24+u]) * q[24+u]
		y4 := float32(blk[32+u]) * q[32+u]
		y5 := float32(blk[40+u]) * q[40+u]
		y6 := float32(blk[48+u]) * q[48+u]
		y7 := float32(blk[56+u]) * q[56+u]
		if y1 == 0 && y2 == 0 && y3 == 0 && y4 == 0 && y5 == 0 && y6 == 0 && y7 == 0 {
			for v := 0; v < 8; v++ {
				ws[v*8+u] = y0
			}
			continue
		}
		t10, t11 := y0+y4, y0-y4
		t13 := y2 + y6
		t12 := (y2-y6)*sqrt2 - t13
		e0, e3, e1, e2 := t10+t13, t10-t13, t11+t12, t11-t12
		z13, z10 := y5+y3, y5-y3
		z11, z12 := y1+y7, y1-y7
		o7 := z11 + z13
		u11 := (z11 - z13) * sqrt2
		z5 := (z10 + z12) * aanA
		u10 := z5 - z12*aanB
		u12 := z5 - z10*aanC
		o6 := u12 - o7
		o5 := u11 - o6
		o4 := u10 - o5
		ws[0*8+u] = e0 + o7
		ws[7*8+u] = e0 - o7
		ws[1*8+u] = e1 + o6
		ws[6*8+u] = e1 - o6
		ws[2*8+u] = e2 + o5
		ws[5*8+u] = e2 - o5
		ws[3*8+u] = e3 + o4
		ws[4*8+u] = e3 - o4
	}
	// Rows: 1-D IDCT along u, then level shift, round and clamp.
	for y := 0; y < 8; y++ {
		row := ws[y*8 : y*8+8 : y*8+8]
		d := dst[y*stride : y*stride+8 : y*stride+8]
		y0 := row[0] + 128.5
		if maxU == 0 {
			v := clamp8(y0)
			for x := range d {
				d[x] = v
			}
			continue
		}
		y1, y2, y3, y4, y5, y6, y7 := row[1], row[2], row[3], row[4], row[5], row[6], row[7]
		t10, t11 := y0+y4, y0-y4
		t13 := y2 + y6
		t12 := (y2-y6)*sqrt2 - t13
		e0, e3, e1, e2 := t10+t13, t10-t13, t11+t12, t11-t12
		z13, z10 := y5+y3, y5-y3
		z11, z12 := y1+y7, y1-y7
		o7 := z11 + z13
		u11 := (z11 - z13) * sqrt2
		z5 := (z10 + z12) * aanA
		u10 := z5 - z12*aanB
		u12 := z5 - z10*aanC
		o6 := u12 - o7
		o5 := u11 - o6
		o4 := u10 - o5
		d[0] = clamp8(e0 + o7)
		d[7] = clamp8(e0 - o7)
		d[1] = clamp8(e1 + o6)
		d[6] = clamp8(e1 - o6)
		d[2] = clamp8(e2 + o5)
		d[5] = clamp8(e2 - o5)
		d[3] = clamp8(e3 + o4)
		d[4] = clamp8(e3 - o4)
	}
}

// idct4 produces the 4×4 block of a Scale-2 decode from the top-left 4×4
// coefficients, stored row-major in blk[0:16].
func idct4(blk *[64]int16, q *[64]float32, last int, dst []byte, stride int) {
	if last == 0 || (maxColZ[last] == 0 && maxRowZ[last] == 0) {
		v := clamp8(float32(blk[0])*q[0] + 128.5)
		for y := 0; y < 4; y++ {
			d := dst[y*stride : y*stride+4]
			d[0], d[1], d[2], d[3] = v, v, v, v
		}
		return
	}
	var ws [16]float32
	for u := 0; u < 4; u++ {
		x0 := float32(blk[u]) * q[u]
		x1 := float32(blk[4+u]) * q[8+u]
		x2 := float32(blk[8+u]) * q[16+u]
		x3 := float32(blk[12+u]) * q[24+u]
		e0, e1 := x0+x2, x0-x2
		o0 := x1*cosPi8 + x3*cos3Pi8
		o1 := x1*cos3Pi8 - x3*cosPi8
		ws[0*4+u] = e0 + o0
		ws[3*4+u] = e0 - o0
		ws[1*4+u] = e1 + o1
		ws[2*4+u] = e1 - o1
	}
	for y := 0; y < 4; y++ {
		row := ws[y*4 : y*4+4 : y*4+4]
		d := dst[y*stride : y*stride+4 : y*stride+4]
		x0, x1, x2, x3 := row[0]+128.5, row[1], row[2], row[3]
		e0, e1 := x0+x2, x0-x2
		o0 := x1*cosPi8 + x3*cos3Pi8
		o1 := x1*cos3Pi8 - x3*cosPi8
		d[0] = clamp8(e0 + o0)
		d[3] = clamp8(e0 - o0)
		d[1] = clamp8(e1 + o1)
		d[2] = clamp8(e1 - o1)
	}
}

// idct2 produces the 2×2 block of a Scale-4 decode from the top-left 2×2
// coefficients, stored row-major in blk[0:4].
func idct2(blk *[64]int16, q *[64]float32, dst []byte, stride int) {
	c00 := float32(blk[0])*q[0] + 128.5
	c01 := float32(blk[1]) * q[1] // u=1
	c10 := float32(blk[2]) * q[8] // v=1
	c11 := float32(blk[3]) * q[9]
	t0, t1 := c00+c10, c00-c10 // rows 0 and 1 at u=0
	s0, s1 := c01+c11, c01-c11 // rows 0 and 1 at u=1
	d0 := dst[0:2:2]
	d1 := dst[stride : stride+2 : stride+2]
	d0[0], d0[1] = clamp8(t0+s0), clamp8(t0-s0)
	d1[0], d1[1] = clamp8(t1+s1), clamp8(t1-s1)
}

// idct1 produces the single pixel of a Scale-8 decode: the block mean.
func idct1(blk *[64]int16, q *[64]float32) byte {
	return clamp8(float32(blk[0])*q[0] + 128.5)
}
