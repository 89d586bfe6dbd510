package jpegdec

import (
	"bytes"
	"encoding/binary"
)

// Huffman decoding (T.81 Annex C and F.2.2) with a lookup table for short codes.

// lutBits is the number of bits looked up at once. Codes up to this length (almost
// all of them in practice) are decoded with one table read.
const lutBits = 9

type huffTable struct {
	// lut maps the next lutBits bits to codeLength<<8 | symbol, or 0 when the code
	// is longer than lutBits.
	lut [1 << lutBits]uint16
	// fastAC (AC tables only) maps the next lutBits bits, when they hold both a
	// code and all of its extra bits, to value<<16 | run<<8 | totalBits; 0 otherwise.
	fastAC  [1 << lutBits]int32
	maxcode [17]int32 // largest code of each length, -1 if there is none
	valOff  [17]int32 // index into vals of code c of length l is valOff[l]+c
	vals    [256]byte
}

// buildHuff builds a table from the BITS counts (counts[1..16]) and HUFFVAL list.
func buildHuff(counts *[17]int, vals []byte, isAC bool) (*huffTable, error) {
	t := &huffTable{}
	copy(t.vals[:], vals)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		t.valOff[l] = k - code
		t.maxcode[l] = -1
		for i := 0; i < counts[l]; i++ {
			if code >= 1<<l {
				return nil, errFormat("bad Huffman table")
			}
			if l <= lutBits {
				sym := vals[k]
				shift := lutBits - l
				base := int(code) << shift
				for j := 0; j < 1<<shift; j++ {
					idx := base + j
					t.lut[idx] = uint16(l)<<8 | uint16(sym)
					if isAC {
						run, size := int(sym>>4), int(sym&15)
						if size != 0 && l+size <= lutBits {
							extra := int32(idx>>(lutBits-l-size)) & (1<<size - 1)
							v := extend(extra, uint(size))
							t.fastAC[idx] = v<<16 | int32(run)<<8 | int32(l+size)
						}
					}
				}
			}
			t.maxcode[l] = code
			code++
			k++
		}
		code <<= 1
	}
	return t, nil
}

// extend converts the s-bit magnitude category value v to a signed coefficient (T.81 F.2.2.1).
func extend(v int32, s uint) int32 {
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// slowDecode decodes a code longer than lutBits from the top of acc.
func (t *huffTable) slowDecode(acc uint64) (sym, length uint, ok bool) {
	for l := uint(lutBits + 1); l <= 16; l++ {
		code := int32(acc >> (64 - l))
		if code <= t.maxcode[l] {
			return uint(t.vals[(t.valOff[l]+code)&0xff]), l, true
		}
	}
	return 0, 0, false
}

// bitReader reads entropy-coded data: it removes the stuffed zero after each 0xFF
// and stops at markers, after which (and after the end of data) it supplies zero
// bytes, counted in pad, so that reading past the real data can be detected.
type bitReader struct {
	data []byte
	pos  int
	acc  uint64 // bits, left-aligned
	n    uint   // number of valid bits in acc
	pad  int    // zero bytes supplied at a marker or the end of data
}

// fill tops up acc to at least 57 bits. acc and n are passed by value so that the
// hot loop keeps them in registers.
func (b *bitReader) fill(acc uint64, n uint) (uint64, uint) {
	for n <= 56 {
		if b.pad == 0 && b.pos+8 <= len(b.data) {
			w := binary.BigEndian.Uint64(b.data[b.pos:])
			x := ^w // a 0xFF byte in w is a zero byte in x
			if (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
				k := (64 - n) >> 3 // whole bytes that fit
				acc |= (w >> (64 - 8*k)) << (64 - n - 8*k)
				n += 8 * k
				b.pos += int(k)
				return acc, n
			}
		}
		var c byte
		if b.pad == 0 && b.pos < len(b.data) {
			c = b.data[b.pos]
			if c != 0xFF {
				b.pos++
			} else if b.pos+1 < len(b.data) && b.data[b.pos+1] == 0 {
				b.pos += 2
			} else {
				// A marker (or a truncated 0xFF): stop here.
				c = 0
				b.pad++
			}
		} else {
			b.pad++
		}
		acc |= uint64(c) << (56 - n)
		n += 8
	}
	return acc, n
}

// overrun reports whether bits beyond the real data have been consumed.
func (b *bitReader) overrun() bool { return uint(b.pad)*8 > b.n }

// restart discards buffered bits and consumes the RSTn marker that must follow.
func (b *bitReader) restart(n int) error {
	b.acc, b.n, b.pad = 0, 0, 0
	p, err := nextRST(b.data, b.pos, n)
	if err != nil {
		return err
	}
	b.pos = p
	return nil
}

// nextRST finds marker RSTn (n mod 8) at or after data[p] and returns the offset
// just past it. Like image/jpeg (and libjpeg), it skips stray bytes before the
// marker, but any other marker is an error.
func nextRST(data []byte, p, n int) (int, error) {
	want := mRST0 + byte(n&7)
	for {
		i := bytes.IndexByte(data[p:], 0xFF)
		if i < 0 {
			return 0, errTruncated
		}
		p += i + 1
		for p < len(data) && data[p] == 0xFF { // fill bytes
			p++
		}
		if p >= len(data) {
			return 0, errTruncated
		}
		switch data[p] {
		case 0x00: // a stuffed 0xFF among stray bytes
			p++
		case want:
			return p + 1, nil
		default:
			return 0, errFormat("bad RST marker")
		}
	}
}

// Shift counts below are masked with &63 (they are all < 64 anyway) so that the
// compiler need not handle shifts of 64 or more.

// decodeBlock decodes one block of Huffman-coded coefficients into blk, which must
// be zero (not dequantised): coefficient k in zig-zag order goes to blk[zmap[k]].
// It returns the zig-zag index of the last nonzero AC coefficient (0 if none).
func (b *bitReader) decodeBlock(blk *[64]int16, zmap *[64]uint8, dc, ac *huffTable, pred *int32) (int, error) {
	acc, n := b.acc, b.n
	if n < 32 {
		acc, n = b.fill(acc, n)
	}
	// DC coefficient.
	var l, s uint
	if e := dc.lut[acc>>(64-lutBits)]; e != 0 {
		l, s = uint(e>>8), uint(e&0xff)
	} else {
		var ok bool
		if s, l, ok = dc.slowDecode(acc); !ok {
			return 0, errBadHuff
		}
	}
	acc <<= l & 63
	n -= l
	if s != 0 {
		if s > 11 {
			return 0, errFormat("bad DC magnitude")
		}
		*pred += extend(int32(acc>>((64-s)&63)), s)
		acc <<= s & 63
		n -= s
	}
	blk[0] = int16(*pred)

	// AC coefficients.
	last := 0
	for k := 1; k < 64; {
		if n < 32 {
			acc, n = b.fill(acc, n)
		}
		idx := acc >> (64 - lutBits)
		if f := ac.fastAC[idx]; f != 0 {
			k += int(f>>8) & 0xff
			if k > 63 {
				return 0, errFormat("AC run past the block end")
			}
			t := uint(f & 0xff)
			acc <<= t & 63
			n -= t
			blk[zmap[k&63]&63] = int16(f >> 16)
			last = k
			k++
			continue
		}
		var rs uint
		if e := ac.lut[idx]; e != 0 {
			l, rs = uint(e>>8), uint(e&0xff)
		} else {
			var ok bool
			if rs, l, ok = ac.slowDecode(acc); !ok {
				return 0, errBadHuff
			}
		}
		acc <<= l & 63
		n -= l
		r, s := int(rs>>4), rs&15
		if s == 0 {
			if r != 15 {
				break // EOB
			}
			k += 16 // ZRL
			continue
		}
		k += r
		if k > 63 || s > 10 {
			return 0, errFormat("bad AC coefficient")
		}
		blk[zmap[k&63]&63] = int16(extend(int32(acc>>((64-s)&63)), s))
		acc <<= s & 63
		n -= s
		last = k
		k++
	}
	b.acc, b.n = acc, n
	return last, nil
}

// unzig maps a zig-zag index to a natural-order index (T.81 Figure A.6).
var unzig = [64]int{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}
