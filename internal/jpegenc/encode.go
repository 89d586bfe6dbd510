package jpegenc

import (
	"errors"
	"fmt"
	"math"
)

// ErrSizeWindow is wrapped by the error Fit returns when no quality puts the file in the
// requested byte window.
var ErrSizeWindow = errors.New("jpegenc: no quality fits the size window")

// Fixed header lengths: SOI, APP0 JFIF, DQT with both tables, SOF0 with 3 components,
// SOS with 3 components; and EOI at the end. The DHT length depends on the tables.
const (
	lenSOI  = 2
	lenAPP0 = 18
	lenDQT  = 4 + 2*65
	lenSOF  = 19
	lenSOS  = 14
	lenEOI  = 2
	lenHdrs = lenSOI + lenAPP0 + lenDQT + lenSOF + lenSOS + lenEOI
)

// Size returns the exact length of the file Encode(quality) returns, without writing it.
// Quality is clamped to 1..100.
func (p *Prepared) Size(quality int) int {
	s := p.tokenize(clampQuality(quality))
	defer s.release()
	return p.sizeOf(s)
}

func (p *Prepared) sizeOf(s *pass) int { return lenHdrs + len(s.codes.dht) + entropyLen(s) }

// Encode returns the baseline JPEG file at the given IJG quality (clamped to 1..100).
func (p *Prepared) Encode(quality int) []byte {
	s := p.tokenize(clampQuality(quality))
	defer s.release()
	return p.write(s)
}

// write produces the file of a tokenized pass.
func (p *Prepared) write(s *pass) []byte {
	// Capacity: the exact bit count, plus a little for stuffing (append grows if needed).
	nbits := 0
	for t := range 1024 {
		if f := s.freq[0][t] + s.freq[1][t]; f > 0 {
			e := s.codes.ent[t]
			nbits += int(f) * int((e>>16)&31+e>>24)
		}
	}
	hdr := lenHdrs + len(s.codes.dht)
	dst := make([]byte, 0, hdr+nbits/8+nbits/1024+16)
	dst = append(dst, 0xff, 0xd8)
	dst = p.appendAPP0(dst)
	dst = append(dst, 0xff, 0xdb, 0, 2*65+2, 0)
	dst = append(dst, s.qs.q[0][:]...)
	dst = append(dst, 1)
	dst = append(dst, s.qs.q[1][:]...)
	dst = p.appendSOF(dst)
	dst = append(dst, s.codes.dht...)
	dst = append(dst, 0xff, 0xda, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0)
	dst = appendEntropy(dst, s)
	return append(dst, 0xff, 0xd9)
}

// appendAPP0 writes the JFIF 1.01 segment: units 1 (dpi) with the density, no thumbnail.
func (p *Prepared) appendAPP0(dst []byte) []byte {
	units, d := byte(1), p.opts.DPI
	switch {
	case d == 0:
		d = 72
	case d < 0:
		units, d = 0, 1
	}
	d = min(d, 65535)
	return append(dst, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, units,
		byte(d>>8), byte(d), byte(d>>8), byte(d), 0, 0)
}

// appendSOF writes the baseline frame header: 8-bit samples, components 1 (Y, table 0)
// and 2, 3 (Cb, Cr, table 1), luma sampled 2×2 relative to chroma for 4:2:0.
func (p *Prepared) appendSOF(dst []byte) []byte {
	ys := byte(0x22)
	if p.opts.Subsample444 {
		ys = 0x11
	}
	return append(dst, 0xff, 0xc0, 0, 17, 8, byte(p.h>>8), byte(p.h), byte(p.w>>8), byte(p.w), 3,
		1, ys, 0, 2, 0x11, 1, 3, 0x11, 1)
}

// Fit returns the highest quality in [minQ, maxQ] (clamped to 1..100) whose file is at
// most maxBytes long (maxBytes ≤ 0: no limit), and that file. It only evaluates sizes
// (Size's cost) while searching and writes one file. The search keeps a bracket — a
// quality known to fit and one known not to — and narrows it by interpolating log(size)
// against log(IJG scale), falling back to bisection, so the answer always fits and the
// next quality up was measured not to (sizes that are not monotone in quality cannot
// make it return a file that is too large).
//
// If even minQ is larger than maxBytes, or the chosen file is shorter than minBytes, the
// error wraps ErrSizeWindow and the quality and data of that file are returned anyway.
func (p *Prepared) Fit(minQ, maxQ, minBytes, maxBytes int) (quality int, data []byte, err error) {
	minQ, maxQ = clampQuality(minQ), clampQuality(maxQ)
	if minQ > maxQ {
		return 0, nil, fmt.Errorf("jpegenc: fit: quality range %d..%d is empty", minQ, maxQ)
	}
	best := p.tokenize(maxQ)
	if hiSize := p.sizeOf(best); maxBytes > 0 && hiSize > maxBytes {
		hiQ := maxQ
		best.release()
		best = p.tokenize(minQ)
		loSize := p.sizeOf(best)
		if loSize > maxBytes {
			data := p.write(best)
			best.release()
			return minQ, data, fmt.Errorf("jpegenc: fit: %d bytes at the minimum quality %d exceed %d: %w", len(data), minQ, maxBytes, ErrSizeWindow)
		}
		loQ := minQ
		interp, prevSide := true, 0
		for hiQ-loQ > 1 {
			q := (loQ + hiQ) / 2
			if interp {
				q = interpolate(loQ, loSize, hiQ, hiSize, maxBytes)
			}
			s := p.tokenize(q)
			n := p.sizeOf(s)
			side := -1 // this probe lowered hi
			if n <= maxBytes {
				best.release()
				best = s
				loQ, loSize = q, n
				side = 1 // raised lo
			} else {
				s.release()
				hiQ, hiSize = q, n
			}
			// Interpolation converges fast when its guesses land on alternate sides;
			// after two moves of the same end, bisect once.
			interp = side != prevSide
			prevSide = side
		}
	}
	data = p.write(best)
	quality = best.quality
	best.release()
	if len(data) < minBytes {
		return quality, data, fmt.Errorf("jpegenc: fit: %d bytes at quality %d are below %d: %w", len(data), quality, minBytes, ErrSizeWindow)
	}
	return quality, data, nil
}

// interpolate guesses the quality in (loQ, hiQ) whose size is target, taking log(size)
// as linear in log(IJG scale factor), and keeps the guess strictly inside the bracket.
func interpolate(loQ, loSize, hiQ, hiSize, target int) int {
	x := func(q int) float64 { return math.Log(math.Max(float64(ijgScale(q)), 0.5)) }
	xl, xh := x(loQ), x(hiQ)
	yl, yh, yt := math.Log(float64(loSize)), math.Log(float64(hiSize)), math.Log(float64(target))
	q := loQ + 1
	if yh > yl {
		xt := xl + (yt-yl)/(yh-yl)*(xh-xl)
		// The highest quality whose scale is at least the interpolated one.
		for q+1 < hiQ && x(q+1) >= xt {
			q++
		}
	}
	return max(loQ+1, min(hiQ-1, q))
}
