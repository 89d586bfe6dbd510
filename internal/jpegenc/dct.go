package jpegenc

import "math"

// The forward DCT of T.81 A.3.3:
//
//	F(u,v) = 1/4 C(u) C(v) Σx Σy f(x,y) cos((2x+1)uπ/16) cos((2y+1)vπ/16),  C(0) = 1/√2, else 1
//
// computed separably (rows, then columns) with the 1-D transform
// X(u) = C(u)/2 Σn x(n) cos((2n+1)uπ/16) split into even and odd halves: with
// s(k) = x(k)+x(7−k) and d(k) = x(k)−x(7−k) (k = 0..3) the even outputs need only s and the
// odd outputs only d. 22 multiplications per 1-D transform instead of 64, in float32.
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

// fdct1 transforms 8 values spaced stride apart in b, in place.
func fdct1(b []float32, o, stride int) {
	x0, x1, x2, x3 := b[o], b[o+stride], b[o+2*stride], b[o+3*stride]
	x4, x5, x6, x7 := b[o+4*stride], b[o+5*stride], b[o+6*stride], b[o+7*stride]
	s0, s1, s2, s3 := x0+x7, x1+x6, x2+x5, x3+x4
	d0, d1, d2, d3 := x0-x7, x1-x6, x2-x5, x3-x4
	a, c := s0-s3, s1-s2
	b[o] = (s0 + s1 + s2 + s3) * dctC4
	b[o+4*stride] = (s0 - s1 - s2 + s3) * dctC4
	b[o+2*stride] = a*dctC2 + c*dctC6
	b[o+6*stride] = a*dctC6 - c*dctC2
	m := &dctOdd
	b[o+stride] = d0*m[0][0] + d1*m[0][1] + d2*m[0][2] + d3*m[0][3]
	b[o+3*stride] = d0*m[1][0] + d1*m[1][1] + d2*m[1][2] + d3*m[1][3]
	b[o+5*stride] = d0*m[2][0] + d1*m[2][1] + d2*m[2][2] + d3*m[2][3]
	b[o+7*stride] = d0*m[3][0] + d1*m[3][1] + d2*m[3][2] + d3*m[3][3]
}

// fdct replaces the level-shifted samples of blk (natural order) with their DCT
// coefficients (natural order, F(u,v) at index 8v+u).
func fdct(blk *[64]float32) {
	b := blk[:]
	for y := range 8 {
		fdct1(b, 8*y, 1)
	}
	for x := range 8 {
		fdct1(b, x, 8)
	}
}
