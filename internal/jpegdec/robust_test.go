package jpegdec

import (
	"bytes"
	"errors"
	"image/jpeg"
	"math"
	"math/rand"
	"testing"
)

func robustInputs(t *testing.T) map[string][]byte {
	return map[string][]byte{
		"s420_rst3":    readTestdata(t, "s420_rst3.jpg"),
		"grey_rst1":    readTestdata(t, "grey_rst1.jpg"),
		"mix_22_11_12": readTestdata(t, "mix_22_11_12.jpg"),
		"colour":       encodeStd(t, synth(123, 77, 5, 10), 85),
		"grey":         encodeStd(t, toGray(synth(61, 40, 6, 10)), 85),
	}
}

// decodeBoth decodes with one and two workers and checks that they agree.
func decodeBoth(t *testing.T, name string, data []byte, scale int) error {
	t.Helper()
	m1, err1 := Decode(data, Options{Scale: scale, Workers: 1})
	m2, err2 := Decode(data, Options{Scale: scale, Workers: 2})
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("%s: Workers 1 gives %v, Workers 2 gives %v", name, err1, err2)
	}
	if err1 == nil && !sameImage(m1, m2) {
		t.Fatalf("%s: Workers 1 and 2 decode differently", name)
	}
	return err1
}

func TestTruncated(t *testing.T) {
	for name, data := range robustInputs(t) {
		for i := 0; i < 50; i++ {
			n := i * len(data) / 50
			cut := data[:n]
			err := decodeBoth(t, name, cut, 1+i%2)
			_, stdErr := jpeg.Decode(bytes.NewReader(cut))
			// Cut inside the entropy-coded data: image/jpeg fails and so must we.
			if stdErr != nil && err == nil && n < len(data)-8 {
				t.Errorf("%s cut at %d/%d: decoded, image/jpeg says %v", name, n, len(data), stdErr)
			}
			if errors.Is(err, ErrUnsupported) {
				t.Errorf("%s cut at %d: %v", name, n, err)
			}
		}
	}
}

func TestCorrupted(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for name, data := range robustInputs(t) {
		for i := 0; i < 150; i++ {
			b := bytes.Clone(data)
			for j := 0; j <= i%3; j++ {
				b[rng.Intn(len(b))] ^= byte(1 + rng.Intn(255))
			}
			decodeBoth(t, name, b, 1<<(i%4))
		}
	}
}

func TestTrailingAndMissingEOI(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for name, data := range robustInputs(t) {
		want, err := Decode(data, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		junk := make([]byte, 1000)
		rng.Read(junk)
		variants := map[string][]byte{
			"junk after EOI": append(bytes.Clone(data), junk...),
			"missing EOI":    data[:len(data)-2],
			"EOI cut":        data[:len(data)-1],
		}
		for v, b := range variants {
			got, err := Decode(b, Options{})
			if err != nil {
				t.Errorf("%s, %s: %v", name, v, err)
			} else if !sameImage(want, got) {
				t.Errorf("%s, %s: decodes differently", name, v)
			}
		}
	}
}

// TestFillBytes adds 0xFF fill bytes before every marker, header and RSTn alike
// (T.81 B.1.1.2), which must not change the result.
func TestFillBytes(t *testing.T) {
	for _, f := range []string{"s420_rst3.jpg", "grey_rst1.jpg"} {
		data := readTestdata(t, f)
		want, err := Decode(data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Positions of markers: found by walking the header segments, then RSTn/EOI
		// in the entropy-coded data.
		var h header
		if err := h.parse(data, false); err != nil {
			t.Fatal(err)
		}
		var out []byte
		p := 0
		for p < len(data) {
			if p >= 2 && data[p] == 0xFF && p+1 < len(data) && data[p+1] != 0 && data[p+1] != 0xFF &&
				(p < h.scanStart && isSegmentStart(data, p) || p >= h.scanStart) {
				out = append(out, 0xFF, 0xFF)
			}
			out = append(out, data[p])
			p++
		}
		got, err := Decode(out, Options{})
		if err != nil {
			t.Fatalf("%s with fill bytes: %v", f, err)
		}
		if !sameImage(want, got) {
			t.Errorf("%s with fill bytes decodes differently", f)
		}
	}
}

// isSegmentStart reports whether a marker segment starts at p in the header part.
func isSegmentStart(data []byte, p int) bool {
	q := 2
	for q < p {
		if q+4 > len(data) {
			return false
		}
		q += 2 + be16(data[q+2:])
	}
	return q == p
}

func TestUnsupportedHeaders(t *testing.T) {
	base := encodeStd(t, synth(16, 16, 1, 0), 80)
	sof := bytes.Index(base, []byte{0xFF, 0xC0})
	mod := func(f func(b []byte)) []byte {
		b := bytes.Clone(base)
		f(b)
		return b
	}
	for name, b := range map[string][]byte{
		"12-bit":   mod(func(b []byte) { b[sof+4] = 12 }),
		"SOF2":     mod(func(b []byte) { b[sof+1] = 0xC2 }),
		"SOF3":     mod(func(b []byte) { b[sof+1] = 0xC3 }),
		"SOF9":     mod(func(b []byte) { b[sof+1] = 0xC9 }),
		"Y 4x1":    mod(func(b []byte) { b[sof+11] = 0x41 }),
		"height 0": mod(func(b []byte) { b[sof+5], b[sof+6] = 0, 0 }),
	} {
		if _, err := Decode(b, Options{}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"no SOI":      base[2:],
		"empty":       nil,
		"SOI only":    base[:2],
		"width 0":     mod(func(b []byte) { b[sof+7], b[sof+8] = 0, 0 }),
		"sampling 0":  mod(func(b []byte) { b[sof+11] = 0x00 }),
		"bad Tq":      mod(func(b []byte) { b[sof+12] = 7 }),
		"bad SOS len": mod(func(b []byte) { i := bytes.Index(b, []byte{0xFF, 0xDA}); b[i+3]++ }),
	} {
		if _, err := Decode(b, Options{}); err == nil || errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v, want a format error", name, err)
		}
	}
	if _, err := Decode(base, Options{Scale: 3}); err == nil {
		t.Error("Scale 3 accepted")
	}
}

// TestIDCT checks the transforms against the definition (T.81 A.3.3) computed in
// float64, with unit quantisation: Scale 1 against the IDCT itself, reduced
// scales against its box average, for blocks with only low frequencies set.
func TestIDCT(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var unit [64]uint16
	for i := range unit {
		unit[i] = 1
	}
	for _, scale := range []int{1, 2, 4, 8} {
		q := scaledQuant(&unit, scale)
		n := 8 / scale
		worst := 0.0
		for iter := 0; iter < 300; iter++ {
			var blk [64]int16
			last := 0
			nz := 1 + rng.Intn(64)
			if iter%3 == 0 {
				nz = 1 + rng.Intn(6)
			}
			for k := 0; k < nz; k++ {
				u, v := unzig[k]&7, unzig[k]>>3
				if u >= n || v >= n {
					continue
				}
				blk[unzig[k]] = int16(rng.Intn(400) - 200)
				if k > 0 && blk[unzig[k]] != 0 {
					last = k
				}
			}
			blk[0] = int16(rng.Intn(1600) - 800)
			var full [64]float64
			for y := 0; y < 8; y++ {
				for x := 0; x < 8; x++ {
					s := 0.0
					for v := 0; v < 8; v++ {
						for u := 0; u < 8; u++ {
							cu, cv := 1.0, 1.0
							if u == 0 {
								cu = 1 / math.Sqrt2
							}
							if v == 0 {
								cv = 1 / math.Sqrt2
							}
							s += cu * cv * float64(blk[v*8+u]) *
								math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) *
								math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
						}
					}
					full[y*8+x] = s/4 + 128
				}
			}
			var out [64]byte
			var b [64]int16 // stored as the decoder does: n×n row-major below Scale 1
			for v := 0; v < n; v++ {
				for u := 0; u < n; u++ {
					if scale == 1 {
						b[v*8+u] = blk[v*8+u]
					} else {
						b[v*n+u] = blk[v*8+u]
					}
				}
			}
			switch scale {
			case 1:
				idct8(&b, &q, last, out[:], 8)
			case 2:
				idct4(&b, &q, last, out[:], 8)
			case 4:
				idct2(&b, &q, out[:], 8)
			case 8:
				out[0] = idct1(&b, &q)
			}
			for y := 0; y < n; y++ {
				for x := 0; x < n; x++ {
					s := 0.0
					for j := 0; j < scale; j++ {
						for i := 0; i < scale; i++ {
							s += full[(y*scale+j)*8+x*scale+i]
						}
					}
					want := math.Max(0, math.Min(255, s/float64(scale*scale)))
					d := math.Abs(float64(out[y*8+x]) - want)
					worst = math.Max(worst, d)
				}
			}
		}
		if worst > 0.51 {
			t.Errorf("scale %d: worst error %.3f (want ≤ 0.5, i.e. correctly rounded)", scale, worst)
		}
	}
}
