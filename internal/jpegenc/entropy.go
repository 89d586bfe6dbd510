package jpegenc

import (
	"math"
	"math/bits"
	"sync"
)

// Entropy coding works on tokens: one uint32 per Huffman-coded symbol, holding the table
// and symbol as an index into a 1024-entry code table (bits 16–25: table·256 + symbol,
// tables 0 luma DC, 1 luma AC, 2 chroma DC, 3 chroma AC) and the extra magnitude bits
// that follow the code (bits 0–15). Tokenizing (quantisation, run lengths, categories,
// symbol frequencies) is the expensive part and is shared by Size and Encode; emitting
// the tokens with the codes is cheap whether it counts the bytes or writes them.
const (
	tabLumaDC   = 0
	tabLumaAC   = 256
	tabChromaDC = 512
	tabChromaAC = 768
)

// pass is the tokenized scan for one quality.
type pass struct {
	quality int
	qs      *quantSet
	tok     [2][]uint32 // the scan's tokens in two consecutive parts (one per goroutine)
	freq    [2][1024]int32
	codes   *codeSet
}

// codeSet is the Huffman coding of one pass: the code of every symbol and the DHT segment.
type codeSet struct {
	ent [1024]uint32
	dht []byte
}

var passPool = sync.Pool{New: func() any { return new(pass) }}

func (s *pass) release() {
	s.qs, s.codes = nil, nil
	s.tok[0], s.tok[1] = s.tok[0][:0], s.tok[1][:0]
	passPool.Put(s)
}

// tokenize quantises the coefficients at quality q and produces the tokens and symbol
// frequencies, on two goroutines for large images.
func (p *Prepared) tokenize(q int) *pass {
	s := passPool.Get().(*pass)
	s.quality = q
	s.qs = newQuantSet(q)
	n := p.mcuX * p.mcuY
	if n*p.bpm >= 1024 {
		mid := n / 2
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.tok[1] = p.tokens(s.qs, mid, n, 1, s.tok[1][:0], &s.freq[1])
		}()
		s.tok[0] = p.tokens(s.qs, 0, mid, 1, s.tok[0][:0], &s.freq[0])
		wg.Wait()
	} else {
		s.tok[0] = p.tokens(s.qs, 0, n, 1, s.tok[0][:0], &s.freq[0])
		s.tok[1] = s.tok[1][:0]
		s.freq[1] = [1024]int32{}
	}
	s.codes = p.codesFor(s)
	return s
}

// quantize rounds t to the nearest integer, halves away from zero.
func quantize(t float32) int32 {
	// Add ±0.5 with the sign of t, then truncate toward zero.
	half := math.Float32frombits(0x3f000000 | math.Float32bits(t)&0x80000000)
	return int32(t + half)
}

// quantDC is the quantised DC coefficient of block i in table t.
func (p *Prepared) quantDC(qs *quantSet, i int, t uint8) int32 {
	return max(-1024, min(1023, quantize(p.coef[i*64]*qs.recip[t][0])))
}

// tokens appends the tokens of MCUs m0, m0+step, … (< m1) to tok and counts the symbols in
// freq. With step 1 that is the scan of MCUs [m0, m1); larger steps sample the image for
// size estimates, each sampled MCU's DC coded against the MCU before it.
func (p *Prepared) tokens(qs *quantSet, m0, m1, step int, tok []uint32, freq *[1024]int32) []uint32 {
	*freq = [1024]int32{}
	bpm := p.bpm
	var pred [3]int32
	if need := (m1 - m0) / step * bpm * 8; cap(tok)-len(tok) < need {
		tok = append(make([]uint32, 0, len(tok)+need), tok...)
	}
	for m := m0; m < m1; m += step {
		if m > 0 && (m == m0 || step > 1) {
			// DC predictions: the quantised DC of each component's last block before m.
			for b := range bpm {
				c := p.comp[b]
				pred[c] = p.quantDC(qs, (m-1)*bpm+b, min(c, 1))
			}
		}
		for b := range bpm {
			c := p.comp[b]
			t := min(c, 1)
			dcTab, acTab := uint32(tabLumaDC), uint32(tabLumaAC)
			if t == 1 {
				dcTab, acTab = tabChromaDC, tabChromaAC
			}
			rc := &qs.recip[t]
			i := m*bpm + b
			blk := (*[64]float32)(p.coef[i*64 : i*64+64])
			last := int(p.last[i] & 63)
			bnd := (*[8]float32)(p.bound[8*i : 8*i+8])
			for j, st := range segStart {
				if bnd[j] < qs.thr {
					last = min(last, st-1)
					break
				}
			}
			if cap(tok)-len(tok) < 68 { // at most DC, 63 AC, 3 ZRL, EOB
				tok = append(make([]uint32, 0, 2*cap(tok)+1024), tok...)
			}

			dc := p.quantDC(qs, i, t)
			diff := dc - pred[c]
			pred[c] = dc
			tk := magToken(dcTab, 0, diff)
			tok = append(tok, tk)
			freq[tk>>16&1023]++

			run := uint32(0)
			for k := 1; k <= last; k++ {
				v := blk[k] * rc[k]
				if v < 0.5 && v > -0.5 {
					run++
					continue
				}
				for run >= 16 {
					tok = append(tok, (acTab+0xf0)<<16)
					freq[(acTab+0xf0)&1023]++
					run -= 16
				}
				a := max(-1023, min(1023, quantize(v)))
				tk := magToken(acTab, run<<4, a)
				tok = append(tok, tk)
				freq[tk>>16&1023]++
				run = 0
			}
			if run > 0 || last < 63 {
				tok = append(tok, acTab<<16)
				freq[acTab&1023]++
			}
		}
	}
	return tok
}

// magToken is the token for value v (category = number of magnitude bits) with the
// run nibble hi (AC) in table tab. Negative values send the low bits of v−1.
func magToken(tab, hi uint32, v int32) uint32 {
	a := v
	if v < 0 {
		a = -v
		v--
	}
	size := uint32(bits.Len32(uint32(a)))
	return (tab+hi+size)<<16 | uint32(v)&(1<<size-1)
}

var (
	stdCodesOnce sync.Once
	stdCodes     *codeSet
)

// codesFor returns the Huffman codes for a pass: the Annex K tables, or tables built from
// the pass's symbol frequencies.
func (p *Prepared) codesFor(s *pass) *codeSet {
	if p.opts.StandardTables {
		stdCodesOnce.Do(func() {
			stdCodes = newCodeSet([4]huffSpec{
				{stdDCLumaBits, seqValues(12)},
				{stdACLumaBits, stdACValues(stdACLumaShort)},
				{stdDCChromaBits, seqValues(12)},
				{stdACChromaBits, stdACValues(stdACChromaShort)},
			})
		})
		return stdCodes
	}
	var specs [4]huffSpec
	var f [256]int32
	for t := range 4 {
		for i := range f {
			f[i] = s.freq[0][t*256+i] + s.freq[1][t*256+i]
		}
		specs[t] = optimalSpec(f[:])
	}
	return newCodeSet(specs)
}

// newCodeSet builds the code table and the DHT segment for luma DC, luma AC, chroma DC
// and chroma AC tables (in that order).
func newCodeSet(specs [4]huffSpec) *codeSet {
	cs := &codeSet{}
	n := 2
	for _, sp := range specs {
		n += 17 + len(sp.vals)
	}
	cs.dht = append(cs.dht, 0xff, 0xc4, byte(n>>8), byte(n))
	for t, sp := range specs {
		class, id := t&1, t>>1 // class 0 DC, 1 AC; id 0 luma, 1 chroma
		cs.dht = append(cs.dht, byte(class<<4|id))
		cs.dht = append(cs.dht, sp.bits[:]...)
		cs.dht = append(cs.dht, sp.vals...)
		sp.fill(&cs.ent, t*256, class == 0)
	}
	return cs
}

// countFF is the number of 0xFF bytes in w.
func countFF(w uint32) int {
	x := ^w // 0xFF bytes become zero bytes
	t := (x & 0x7f7f7f7f) + 0x7f7f7f7f
	t = ^(t | x | 0x7f7f7f7f) // the high bit of each zero byte of x
	return bits.OnesCount32(t)
}

// entropyLen is the length in bytes of the entropy-coded segment of s: the Huffman-coded
// tokens, padded with 1 bits to a byte boundary, with a 0x00 stuffed after every 0xFF.
func entropyLen(s *pass) int {
	ent := &s.codes.ent
	var acc uint64
	var nb uint
	n := 0
	for _, ts := range s.tok {
		for _, t := range ts {
			e := ent[t>>16]
			cl, xl := uint(e>>16)&31, uint(e>>24)
			acc = acc<<(cl+xl) | uint64(e&0xffff)<<xl | uint64(t&0xffff)
			nb += cl + xl
			if nb >= 32 {
				nb -= 32
				n += 4 + countFF(uint32(acc>>nb))
			}
		}
	}
	if pad := (8 - nb%8) % 8; pad > 0 {
		acc = acc<<pad | (1<<pad - 1)
		nb += pad
	}
	for nb >= 8 {
		nb -= 8
		n++
		if byte(acc>>nb) == 0xff {
			n++
		}
	}
	return n
}

// appendEntropy appends the entropy-coded segment of s to dst (see entropyLen).
func appendEntropy(dst []byte, s *pass) []byte {
	ent := &s.codes.ent
	var acc uint64
	var nb uint
	for _, ts := range s.tok {
		for _, t := range ts {
			e := ent[t>>16]
			cl, xl := uint(e>>16)&31, uint(e>>24)
			acc = acc<<(cl+xl) | uint64(e&0xffff)<<xl | uint64(t&0xffff)
			nb += cl + xl
			if nb >= 32 {
				nb -= 32
				w := uint32(acc >> nb)
				if countFF(w) == 0 {
					dst = append(dst, byte(w>>24), byte(w>>16), byte(w>>8), byte(w))
					continue
				}
				for sh := 24; sh >= 0; sh -= 8 {
					b := byte(w >> sh)
					dst = append(dst, b)
					if b == 0xff {
						dst = append(dst, 0)
					}
				}
			}
		}
	}
	if pad := (8 - nb%8) % 8; pad > 0 {
		acc = acc<<pad | (1<<pad - 1)
		nb += pad
	}
	for nb >= 8 {
		nb -= 8
		b := byte(acc >> nb)
		dst = append(dst, b)
		if b == 0xff {
			dst = append(dst, 0)
		}
	}
	return dst
}
