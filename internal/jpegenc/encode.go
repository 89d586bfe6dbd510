package jpegenc

import (
	"errors"
	"fmt"
	"sync"
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
// most maxBytes long (maxBytes ≤ 0: no limit), and that file.
//
// It searches with exact sizes (Size's cost) but few of them: a bracket — the highest
// quality known to fit and the lowest known not to — is narrowed by probing the quality
// that a cheap size estimate (every 4th MCU tokenized, scaled up) predicts to be the
// answer, with the estimate recalibrated against each exact size. The search ends only
// when the bracket's ends are adjacent qualities, so the answer always fits and the next
// quality up was measured not to; an estimate that is off, or sizes that are not monotone
// in quality, cost extra probes, never a wrong file. One file is written at the end.
//
// If even minQ is larger than maxBytes, or the chosen file is shorter than minBytes, the
// error wraps ErrSizeWindow and the quality and data of that file are returned anyway.
func (p *Prepared) Fit(minQ, maxQ, minBytes, maxBytes int) (quality int, data []byte, err error) {
	quality, data, err, _ = p.fit(minQ, maxQ, minBytes, maxBytes)
	return quality, data, err
}

// fitStats counts the work of one Fit.
type fitStats struct{ exact, estimates int }

func (p *Prepared) fit(minQ, maxQ, minBytes, maxBytes int) (int, []byte, error, fitStats) {
	var st fitStats
	minQ, maxQ = clampQuality(minQ), clampQuality(maxQ)
	if minQ > maxQ {
		return 0, nil, fmt.Errorf("jpegenc: fit: quality range %d..%d is empty", minQ, maxQ), st
	}
	var best *pass
	if maxBytes <= 0 {
		best = p.tokenize(maxQ)
		st.exact++
	} else {
		var est [101]float64 // estimated sizes, 0 = not yet estimated
		estimate := func(q int) float64 {
			if est[q] == 0 {
				est[q] = p.estimate(q)
				st.estimates++
			}
			return est[q]
		}
		calib := 1.0 // exact/estimated size at the last exact probe
		fits := func(q int) bool { return calib*estimate(q) <= float64(maxBytes) }
		lo, hi := minQ-1, maxQ+1 // lo fits (or is below the range), hi does not (or is above)
		for hi-lo > 1 {
			// Guess the highest quality in (lo, hi) that the calibrated estimate says fits.
			a, b := lo+1, hi-1
			q := a
			switch {
			case !fits(a):
			case fits(b):
				q = b
			default:
				for b-a > 1 { // a fits, b does not
					if m := (a + b) / 2; fits(m) {
						a = m
					} else {
						b = m
					}
				}
				q = a
			}
			s := p.tokenize(q)
			n := p.sizeOf(s)
			st.exact++
			calib = float64(n) / estimate(q)
			if n <= maxBytes {
				if best != nil {
					best.release()
				}
				best, lo = s, q
			} else {
				hi = q
				if q == minQ { // nothing fits: report the minimum quality's file
					data := p.write(s)
					s.release()
					return minQ, data, fmt.Errorf("jpegenc: fit: %d bytes at the minimum quality %d exceed %d: %w", len(data), minQ, maxBytes, ErrSizeWindow), st
				}
				s.release()
			}
		}
	}
	data := p.write(best)
	quality := best.quality
	best.release()
	if len(data) < minBytes {
		return quality, data, fmt.Errorf("jpegenc: fit: %d bytes at quality %d are below %d: %w", len(data), quality, minBytes, ErrSizeWindow), st
	}
	return quality, data, nil, st
}

// estimateStep is the MCU sampling step of size estimates.
const estimateStep = 8

// estimate predicts Size(q) from every estimateStep-th MCU: the Huffman-coded length of
// their tokens (with tables built from their statistics) scaled to all MCUs, plus the
// headers and an allowance of one stuffed byte in 256.
func (p *Prepared) estimate(q int) float64 {
	n := p.mcuX * p.mcuY
	step := estimateStep
	if n < 64 {
		step = 1
	}
	s := passPool.Get().(*pass)
	defer s.release()
	qs := newQuantSet(q)
	// Two halves on two goroutines; mid is a multiple of step so the sample is the same.
	mid := n / 2 / step * step
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.tok[1] = p.tokens(qs, mid, n, step, s.tok[1][:0], &s.freq[1])
	}()
	s.tok[0] = p.tokens(qs, 0, mid, step, s.tok[0][:0], &s.freq[0])
	wg.Wait()
	codes := p.codesFor(s)
	bits := 0
	for t := range 1024 {
		if f := s.freq[0][t] + s.freq[1][t]; f > 0 {
			e := codes.ent[t]
			bits += int(f) * int((e>>16)&31+e>>24)
		}
	}
	sampled := (mid+step-1)/step + (n-mid+step-1)/step
	entropy := float64(bits) / 8 * float64(n) / float64(sampled) * (1 + 1.0/256)
	return float64(lenHdrs+len(codes.dht)) + entropy
}
