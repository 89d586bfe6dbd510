package jpegenc

import "math"

// The forward DCT of T.81 A.3.3:
//
//	F(u,v) = 1/4 C(u) C(v) Σx Σy f(x,y) cos((2x+1)uπ/16) cos((2y+1)vπ/16),  C(0) = 1/√2, else 1
//
// computed separably with the 1-D transform X(u) = C(u)/2 Σn x(n) cos((2n+1)uπ/16), split
// into even and odd halves: with s(k) = x(k)+x(7−k) and d(k) = x(k)−x(7−k) (k = 0..3) the
// even outputs need only s and the odd outputs only d — 22 multiplications instead of 64,
// in float32. Each pass transforms the rows of its input and writes them as columns, so
// two passes give the 2-D transform with contiguous reads.
var (
	dctC4  float32 // 1/(2√2): X0 and X4
	dctC2  float32 // cos(2π/16)/2
	dctC6  float32 // cos(6π/16)/2
	dctOdd [4][4]float32
)

func init() {
	dctC4 = float32(1 / (2 * math.Sqrt2))
	dctC2 = float32(math.Cos(2*math.Pi/16) / 2)
	dctC6 = float32(math.Cos(6*math.Pi/16) / 2)
	for i := range 4 {
		u := 2*i + 1
		for k := range 4 {
			dctOdd[i][k] = float32(math.Cos(float64((2*k+1)*u)*math.Pi/16) / 2)
		}
	}
}

// dct8 is the 1-D transform of x0..x7.
func dct8(x0, x1, x2, x3, x4, x5, x6, x7 float32) (X0, X1, X2, X3, X4, X5, X6, X7 float32) {
	s0, s1, s2, s3 := x0+x7, x1+x6, x2+x5, x3+x4
	d0, d1, d2, d3 := x0-x7, x1-x6, x2-x5, x3-x4
	a, c := s0-s3, s1-s2
	m := &dctOdd
	X0 = (s0 + s1 + s2 + s3) * dctC4
	X4 = (s0 - s1 - s2 + s3) * dctC4
	X2 = a*dctC2 + c*dctC6
	X6 = a*dctC6 - c*dctC2
	X1 = d0*m[0][0] + d1*m[0][1] + d2*m[0][2] + d3*m[0][3]
	X3 = d0*m[1][0] + d1*m[1][1] + d2*m[1][2] + d3*m[1][3]
	X5 = d0*m[2][0] + d1*m[2][1] + d2*m[2][2] + d3*m[2][3]
	X7 = d0*m[3][0] + d1*m[3][1] + d2*m[3][2] + d3*m[3][3]
	return
}

// fdctSamples transforms the 8×8 block of 8-bit samples at plane[off:], rows stride
// apart, level-shifted by −128, and stores the coefficients in zig-zag order in out.
func fdctSamples(plane []uint8, off, stride int, out *[64]float32) {
	var t [64]float32 // after the first pass: t[8u+y] = 1-D DCT of row y at u
	for y := range 8 {
		r := plane[off+y*stride : off+y*stride+8 : off+y*stride+8]
		X0, X1, X2, X3, X4, X5, X6, X7 := dct8(
			float32(int32(r[0])-128), float32(int32(r[1])-128), float32(int32(r[2])-128), float32(int32(r[3])-128),
			float32(int32(r[4])-128), float32(int32(r[5])-128), float32(int32(r[6])-128), float32(int32(r[7])-128))
		c := t[y&7:]
		c[0], c[8], c[16], c[24], c[32], c[40], c[48], c[56] = X0, X1, X2, X3, X4, X5, X6, X7
	}
	for u := range 8 {
		r := t[8*(u&7) : 8*(u&7)+8 : 8*(u&7)+8]
		X0, X1, X2, X3, X4, X5, X6, X7 := dct8(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
		z := unzigzag[u&7:]
		out[z[0]&63], out[z[8]&63], out[z[16]&63], out[z[24]&63] = X0, X1, X2, X3
		out[z[32]&63], out[z[40]&63], out[z[48]&63], out[z[56]&63] = X4, X5, X6, X7
	}
}
