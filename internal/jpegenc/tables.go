package jpegenc

// zigzag[i] is the natural (row-major) index of the i-th coefficient in zig-zag order;
// unzigzag is the inverse permutation. (Variable initialisers, not init functions, so
// that they are ready before any init function uses them.)
var (
	zigzag   = makeZigzag()
	unzigzag = invert(zigzag)
)

func invert(p [64]uint8) (inv [64]uint8) {
	for i, n := range p {
		inv[n] = uint8(i)
	}
	return inv
}

func makeZigzag() (zigzag [64]uint8) {
	// Walk the anti-diagonals d = x+y of the 8×8 block, alternating direction: even
	// diagonals run up-right (y decreasing), odd ones down-left (y increasing).
	i := 0
	for d := 0; d < 15; d++ {
		lo, hi := max(0, d-7), min(d, 7)
		for j := lo; j <= hi; j++ {
			y := j
			if d%2 == 0 {
				y = d - j
			}
			x := d - y
			zigzag[i] = uint8(8*y + x)
			i++
		}
	}
	return zigzag
}

// baseLuma and baseChroma are the example quantisation tables of ITU-T T.81 Annex K.1
// (Tables K.1 and K.2), in natural order; the IJG quality scaling is applied to them.
var baseLuma = [64]uint8{
	16, 11, 10, 16, 24, 40, 51, 61,
	12, 12, 14, 19, 26, 58, 60, 55,
	14, 13, 16, 24, 40, 57, 69, 56,
	14, 17, 22, 29, 51, 87, 80, 62,
	18, 22, 37, 56, 68, 109, 103, 77,
	24, 35, 55, 64, 81, 104, 113, 92,
	49, 64, 78, 87, 103, 121, 120, 101,
	72, 92, 95, 98, 112, 100, 103, 99,
}

var baseChroma = [64]uint8{
	17, 18, 24, 47, 99, 99, 99, 99,
	18, 21, 26, 66, 99, 99, 99, 99,
	24, 26, 56, 99, 99, 99, 99, 99,
	47, 66, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
}

// clampQuality maps any int to the IJG quality range 1..100.
func clampQuality(q int) int { return max(1, min(100, q)) }

// ijgScale is the IJG percentage scale factor for quality q (1..100).
func ijgScale(q int) int {
	if q < 50 {
		return 5000 / q
	}
	return 200 - 2*q
}

// quantSet holds the two quantisation tables for one quality in zig-zag order, as written
// to DQT, and their reciprocals used to quantise.
type quantSet struct {
	q     [2][64]uint8
	recip [2][64]float32
	// thr is the IJG scale / 100 (see acBound); 0 (never skip) when a step is clamped
	// at 255, at qualities below 24.
	thr float32
}

func newQuantSet(quality int) *quantSet {
	scale := ijgScale(clampQuality(quality))
	qs := &quantSet{thr: float32(scale) / 100}
	if scale*121 > 255*100 { // 121 is the largest Annex K entry
		qs.thr = 0
	}
	for t, base := range [2]*[64]uint8{&baseLuma, &baseChroma} {
		for i := range 64 {
			v := (int(base[zigzag[i]])*scale + 50) / 100
			v = max(1, min(255, v))
			qs.q[t][i] = uint8(v)
			qs.recip[t][i] = 1 / float32(v)
		}
	}
	return qs
}

// Typical Huffman tables of T.81 Annex K.3 (Tables K.3–K.6), as BITS (number of codes of
// each length 1..16) and HUFFVAL. For the AC tables only the values with codes shorter
// than 16 bits are listed: the 16-bit codes go to all the remaining run/size symbols in
// ascending order, which is how the Annex K tables are laid out.
var (
	stdDCLumaBits   = [16]uint8{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}
	stdDCChromaBits = [16]uint8{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}
	stdACLumaBits   = [16]uint8{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 125}
	stdACChromaBits = [16]uint8{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 119}

	stdACLumaShort = []uint8{
		0x01, 0x02,
		0x03,
		0x00, 0x04, 0x11,
		0x05, 0x12, 0x21,
		0x31, 0x41,
		0x06, 0x13, 0x51, 0x61,
		0x07, 0x22, 0x71,
		0x14, 0x32, 0x81, 0x91, 0xa1,
		0x08, 0x23, 0x42, 0xb1, 0xc1,
		0x15, 0x52, 0xd1, 0xf0,
		0x24, 0x33, 0x62, 0x72,
		0x82,
	}
	stdACChromaShort = []uint8{
		0x00, 0x01,
		0x02,
		0x03, 0x11,
		0x04, 0x05, 0x21, 0x31,
		0x06, 0x12, 0x41, 0x51,
		0x07, 0x61, 0x71,
		0x13, 0x22, 0x32, 0x81,
		0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1,
		0x09, 0x23, 0x33, 0x52, 0xf0,
		0x15, 0x62, 0x72, 0xd1,
		0x0a, 0x16, 0x24, 0x34,
		0xe1,
		0x25, 0xf1,
	}
)

// stdACValues completes a short AC HUFFVAL list with every other valid baseline AC symbol
// (EOB, ZRL and run 0..15 × size 1..10) in ascending order.
func stdACValues(short []uint8) []uint8 {
	var seen [256]bool
	vals := append([]uint8(nil), short...)
	for _, v := range short {
		seen[v] = true
	}
	for s := range 256 {
		size := s & 15
		valid := s == 0x00 || s == 0xf0 || (size >= 1 && size <= 10)
		if valid && !seen[s] {
			vals = append(vals, uint8(s))
		}
	}
	return vals
}

func seqValues(n int) []uint8 {
	v := make([]uint8, n)
	for i := range v {
		v[i] = uint8(i)
	}
	return v
}

// EstimateQuality inverts the IJG quality scaling: given a luminance quantisation table in
// zig-zag order (as stored in a DQT segment), it returns the quality 1..100 whose scaled
// Annex K table is closest (sum of absolute differences). Files written by this package —
// and by libjpeg or image/jpeg — read back as the quality they were written with.
func EstimateQuality(luma []uint16) int {
	if len(luma) < 64 {
		return 0
	}
	best, bestErr := 0, int(^uint(0)>>1)
	for quality := 1; quality <= 100; quality++ {
		scale := ijgScale(quality)
		e := 0
		for i := range 64 {
			v := max(1, min(255, (int(baseLuma[zigzag[i]])*scale+50)/100))
			d := v - int(luma[i])
			if d < 0 {
				d = -d
			}
			e += d
		}
		if e < bestErr {
			best, bestErr = quality, e
		}
	}
	return best
}
