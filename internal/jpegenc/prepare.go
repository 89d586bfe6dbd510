package jpegenc

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"sync"
)

// Options controls Prepare and the files a Prepared writes.
type Options struct {
	// Subsample444 keeps chroma at full resolution (4:4:4). The default is 4:2:0: each
	// chroma sample is the mean of a 2×2 block of pixels.
	Subsample444 bool
	// StandardTables uses the typical Huffman tables of T.81 Annex K.3 instead of tables
	// optimised for the image.
	StandardTables bool
	// DPI is the JFIF X and Y density in dots per inch. 0 means 72; NoDensity (any
	// negative value) writes units 0 (no unit, aspect ratio only) with density 1×1.
	DPI int
}

// NoDensity as Options.DPI writes a JFIF header without physical units (density 1:1).
const NoDensity = -1

// Prepared holds the quality-independent part of a JPEG encoding: the DCT coefficients of
// every block of every component, in scan (MCU) order. It is immutable; its methods may
// be called concurrently.
type Prepared struct {
	opts       Options
	w, h       int
	mcuX, mcuY int
	bpm        int       // blocks per MCU: 6 (4:2:0) or 3 (4:4:4)
	comp       []uint8   // component (0 Y, 1 Cb, 2 Cr) of each block position in an MCU
	coef       []float32 // len mcuX*mcuY*bpm*64, each block in zig-zag order
	// last[i] is the zig-zag index of block i's last AC coefficient that is nonzero at
	// quality 100 (|F| ≥ 0.5, as every quantiser step is ≥ 1), 0 if none: the coefficients
	// after it quantise to zero at every quality.
	last []uint8
	// bound[8i+j] bounds block i's AC coefficients from zig-zag index segStart[j] on: at a
	// quality whose IJG scale s has s/100 > bound, they all quantise to zero (see acBound).
	bound []float32
}

// Width and Height are the image dimensions.
func (p *Prepared) Width() int  { return p.w }
func (p *Prepared) Height() int { return p.h }

// planes are the component sample planes, padded to whole MCUs by edge replication.
type planes struct {
	y, cb, cr        []uint8
	yStride, cStride int
}

// Prepare converts img to YCbCr (JFIF, full-range BT.601), subsamples the chroma, and
// computes the forward DCT of every block. Images are encoded from their Bounds().Min.
// It panics if the image is empty or a side exceeds 65535 pixels (the JPEG limit).
func Prepare(img image.Image, o Options) *Prepared {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || w > 65535 || h > 65535 {
		panic(fmt.Sprintf("jpegenc: cannot encode a %d×%d image", w, h))
	}
	p := &Prepared{opts: o, w: w, h: h}
	mcu := 16
	if o.Subsample444 {
		mcu = 8
		p.bpm = 3
		p.comp = []uint8{0, 1, 2}
	} else {
		p.bpm = 6
		p.comp = []uint8{0, 0, 0, 0, 1, 2}
	}
	p.mcuX, p.mcuY = (w+mcu-1)/mcu, (h+mcu-1)/mcu
	p.coef = make([]float32, p.mcuX*p.mcuY*p.bpm*64)
	p.last = make([]uint8, p.mcuX*p.mcuY*p.bpm)
	p.bound = make([]float32, 8*p.mcuX*p.mcuY*p.bpm)

	pl := &planes{yStride: p.mcuX * mcu, cStride: p.mcuX * 8}
	pl.y = make([]uint8, pl.yStride*p.mcuY*mcu)
	pl.cb = make([]uint8, pl.cStride*p.mcuY*8)
	pl.cr = make([]uint8, pl.cStride*p.mcuY*8)

	var fill func(y0, y1 int) // fills MCU rows [y0, y1) of the planes
	switch m := img.(type) {
	case *image.RGBA:
		fill = func(y0, y1 int) { p.fillRGBA(pl, m, y0, y1) }
	case *image.YCbCr:
		if p.ycbcrDirect(m) {
			fill = func(y0, y1 int) { p.fillYCbCr(pl, m, y0, y1) }
		}
	}
	if fill == nil {
		rgba := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
		fill = func(y0, y1 int) { p.fillRGBA(pl, rgba, y0, y1) }
	}
	work := func(y0, y1 int) {
		fill(y0, y1)
		p.transform(pl, y0, y1)
	}
	// Two bands of MCU rows on two goroutines when there is enough work to pay for it.
	if p.mcuY >= 4 && w*h >= 1<<16 {
		mid := p.mcuY / 2
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); work(mid, p.mcuY) }()
		work(0, mid)
		wg.Wait()
	} else {
		work(0, p.mcuY)
	}
	return p
}

// ycbcrDirect reports whether m's samples can be used as they are.
func (p *Prepared) ycbcrDirect(m *image.YCbCr) bool {
	if p.opts.Subsample444 {
		return m.SubsampleRatio == image.YCbCrSubsampleRatio444
	}
	// 4:2:0 chroma lines up with our 2×2 blocks only if the rectangle starts on even coordinates.
	return m.SubsampleRatio == image.YCbCrSubsampleRatio420 && m.Rect.Min.X%2 == 0 && m.Rect.Min.Y%2 == 0
}

// mcuH is the MCU height in luma rows.
func (p *Prepared) mcuH() int {
	if p.opts.Subsample444 {
		return 8
	}
	return 16
}

// replicate copies the last real sample of each row in [r0, r1) to the padding on its
// right, then the last real row (if in range) down to the padded rows up to r1.
func replicate(pl []uint8, stride, realW, realH, r0, r1 int) {
	for r := r0; r < min(r1, realH); r++ {
		row := pl[r*stride : (r+1)*stride]
		v := row[realW-1]
		for x := realW; x < stride; x++ {
			row[x] = v
		}
	}
	if r1 > realH {
		last := pl[(realH-1)*stride : realH*stride]
		for r := max(r0, realH); r < r1; r++ {
			copy(pl[r*stride:(r+1)*stride], last)
		}
	}
}

// JFIF RGB → YCbCr in 16-bit fixed point: the BT.601 coefficients of the JFIF 1.02
// specification (Y = 0.299R + 0.587G + 0.114B, Cb = −0.1687R − 0.3313G + 0.5B + 128,
// Cr = 0.5R − 0.4187G − 0.0813B + 128), each scaled by 65536 and rounded.
const (
	kYR, kYG, kYB    = 19595, 38470, 7471
	kCbR, kCbG, kCbB = 11056, 21712, 32768 // Cb = (−kCbR·R − kCbG·G + kCbB·B)/65536 + 128
	kCrR, kCrG, kCrB = 32768, 27440, 5328  // Cr = (kCrR·R − kCrG·G − kCrB·B)/65536 + 128
)

func clamp8(v int32) uint8 {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// fillRGBA converts MCU rows [my0, my1) of m (alpha ignored: premultiplied colour as is).
func (p *Prepared) fillRGBA(pl *planes, m *image.RGBA, my0, my1 int) {
	w, h := p.w, p.h
	mh := p.mcuH()
	r0, r1 := my0*mh, my1*mh
	pix := func(x, y int) []uint8 { // x, y relative to the image origin, clamped
		x, y = min(x, w-1), min(y, h-1)
		o := m.PixOffset(m.Rect.Min.X+x, m.Rect.Min.Y+y)
		return m.Pix[o : o+3 : o+3]
	}
	for y := r0; y < min(r1, h); y++ {
		o := m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y+y)
		src := m.Pix[o : o+4*w]
		dst := pl.y[y*pl.yStride : y*pl.yStride+w]
		for x := range dst {
			s := src[4*x : 4*x+3 : 4*x+3]
			r, g, b := int32(s[0]), int32(s[1]), int32(s[2])
			dst[x] = uint8((kYR*r + kYG*g + kYB*b + 1<<15) >> 16)
		}
		if p.opts.Subsample444 {
			cb := pl.cb[y*pl.cStride : y*pl.cStride+w]
			cr := pl.cr[y*pl.cStride : y*pl.cStride+w]
			for x := range cb {
				s := src[4*x : 4*x+3 : 4*x+3]
				r, g, b := int32(s[0]), int32(s[1]), int32(s[2])
				cb[x] = clamp8((-kCbR*r - kCbG*g + kCbB*b + 128<<16 + 1<<15) >> 16)
				cr[x] = clamp8((kCrR*r - kCrG*g - kCrB*b + 128<<16 + 1<<15) >> 16)
			}
		}
	}
	replicate(pl.y, pl.yStride, w, h, r0, r1)
	if p.opts.Subsample444 {
		replicate(pl.cb, pl.cStride, w, h, r0, r1)
		replicate(pl.cr, pl.cStride, w, h, r0, r1)
		return
	}
	// 4:2:0: each chroma sample from the sums of a 2×2 block of pixels (edge pixels
	// replicated), i.e. the chroma of the block's mean colour, rounded.
	cw, ch := (w+1)/2, (h+1)/2
	c0, c1 := my0*8, my1*8
	for cy := c0; cy < min(c1, ch); cy++ {
		cb := pl.cb[cy*pl.cStride : cy*pl.cStride+cw]
		cr := pl.cr[cy*pl.cStride : cy*pl.cStride+cw]
		y0, y1 := 2*cy, min(2*cy+1, h-1)
		for cx := range cb {
			x0, x1 := 2*cx, 2*cx+1
			if x1 < w { // the common case, without clamping
				o0 := m.PixOffset(m.Rect.Min.X+x0, m.Rect.Min.Y+y0)
				o1 := m.PixOffset(m.Rect.Min.X+x0, m.Rect.Min.Y+y1)
				a, b := m.Pix[o0:o0+7:o0+7], m.Pix[o1:o1+7:o1+7]
				r := int32(a[0]) + int32(a[4]) + int32(b[0]) + int32(b[4])
				g := int32(a[1]) + int32(a[5]) + int32(b[1]) + int32(b[5])
				bl := int32(a[2]) + int32(a[6]) + int32(b[2]) + int32(b[6])
				cb[cx] = clamp8((-kCbR*r - kCbG*g + kCbB*bl + 128<<18 + 1<<17) >> 18)
				cr[cx] = clamp8((kCrR*r - kCrG*g - kCrB*bl + 128<<18 + 1<<17) >> 18)
				continue
			}
			var r, g, bl int32
			for _, s := range [4][]uint8{pix(x0, y0), pix(x1, y0), pix(x0, y1), pix(x1, y1)} {
				r += int32(s[0])
				g += int32(s[1])
				bl += int32(s[2])
			}
			cb[cx] = clamp8((-kCbR*r - kCbG*g + kCbB*bl + 128<<18 + 1<<17) >> 18)
			cr[cx] = clamp8((kCrR*r - kCrG*g - kCrB*bl + 128<<18 + 1<<17) >> 18)
		}
	}
	replicate(pl.cb, pl.cStride, cw, ch, c0, c1)
	replicate(pl.cr, pl.cStride, cw, ch, c0, c1)
}

// fillYCbCr copies MCU rows [my0, my1) of a YCbCr image whose layout matches ours.
func (p *Prepared) fillYCbCr(pl *planes, m *image.YCbCr, my0, my1 int) {
	w, h := p.w, p.h
	mh := p.mcuH()
	r0, r1 := my0*mh, my1*mh
	for y := r0; y < min(r1, h); y++ {
		o := m.YOffset(m.Rect.Min.X, m.Rect.Min.Y+y)
		copy(pl.y[y*pl.yStride:y*pl.yStride+w], m.Y[o:o+w])
	}
	replicate(pl.y, pl.yStride, w, h, r0, r1)
	cw, ch, c0, c1 := w, h, r0, r1
	if !p.opts.Subsample444 {
		cw, ch, c0, c1 = (w+1)/2, (h+1)/2, my0*8, my1*8
	}
	for cy := c0; cy < min(c1, ch); cy++ {
		yy := m.Rect.Min.Y + cy
		if !p.opts.Subsample444 {
			yy = m.Rect.Min.Y + 2*cy
		}
		o := m.COffset(m.Rect.Min.X, yy)
		copy(pl.cb[cy*pl.cStride:cy*pl.cStride+cw], m.Cb[o:o+cw])
		copy(pl.cr[cy*pl.cStride:cy*pl.cStride+cw], m.Cr[o:o+cw])
	}
	replicate(pl.cb, pl.cStride, cw, ch, c0, c1)
	replicate(pl.cr, pl.cStride, cw, ch, c0, c1)
}

// transform computes the DCT of every block of MCU rows [my0, my1).
func (p *Prepared) transform(pl *planes, my0, my1 int) {
	for my := my0; my < my1; my++ {
		for mx := range p.mcuX {
			base := (my*p.mcuX + mx) * p.bpm * 64
			for b := range p.bpm {
				out := (*[64]float32)(p.coef[base+64*b : base+64*b+64])
				switch c := p.comp[b]; {
				case c == 0 && p.bpm == 6:
					fdctSamples(pl.y, (16*my+8*(b>>1))*pl.yStride+16*mx+8*(b&1), pl.yStride, out)
				case c == 0:
					fdctSamples(pl.y, 8*my*pl.yStride+8*mx, pl.yStride, out)
				case c == 1:
					fdctSamples(pl.cb, 8*my*pl.cStride+8*mx, pl.cStride, out)
				default:
					fdctSamples(pl.cr, 8*my*pl.cStride+8*mx, pl.cStride, out)
				}
				k := 63
				for k > 0 && out[k] < 0.5 && out[k] > -0.5 {
					k--
				}
				p.last[base/64+b] = uint8(k)
				acBound(out, min(p.comp[b], 1), (*[8]float32)(p.bound[8*(base/64+b):]))
			}
		}
	}
}

// segStart are the zig-zag indices where the diagonals 1..8 of a block begin.
var segStart = [8]int{1, 3, 6, 10, 15, 21, 28, 36}

// boundMul and boundAdd turn |F(k)| into (2|F(k)| + 0.5)/base(k) (with a 0.1 % margin
// for rounding) for the Annex K tables in zig-zag order.
var boundMul, boundAdd = func() (mul, add [2][64]float32) {
	for i, n := range zigzag {
		for t, b := range [2]float32{float32(baseLuma[n]), float32(baseChroma[n])} {
			mul[t][i], add[t][i] = 2*1.001/b, 0.5*1.001/b
		}
	}
	return
}()

// acBound stores in bnd[j] the largest (2|F(k)| + 0.5)/base(k) over k ≥ segStart[j],
// with base the Annex K table t in zig-zag order. At IJG scale s the step is
// Q(k) = max(1, (base(k)·s + 50)/100) > base(k)·s/100 − 0.5 as long as no step is clamped
// at 255, so if s/100 > bnd[j] every 2|F(k)| < Q(k): those coefficients all quantise to zero.
func acBound(c *[64]float32, t uint8, bnd *[8]float32) {
	mul, add := &boundMul[t&1], &boundAdd[t&1]
	r := func(k int) float32 {
		a := math.Float32frombits(math.Float32bits(c[k&63]) &^ (1 << 31))
		return a*mul[k&63] + add[k&63]
	}
	// Segment maxima with independent accumulators (short dependency chains), then
	// suffix maxima over the segments.
	var m [8]float32
	for j := range 7 {
		a, b := r(segStart[j]), r(segStart[j]+1)
		for k := segStart[j] + 2; k < segStart[j+1]; k += 2 {
			a = max(a, r(k))
			if k+1 < segStart[j+1] {
				b = max(b, r(k+1))
			}
		}
		m[j] = max(a, b)
	}
	var acc [4]float32
	for k := 36; k < 64; k += 4 {
		acc[0], acc[1], acc[2], acc[3] = max(acc[0], r(k)), max(acc[1], r(k+1)), max(acc[2], r(k+2)), max(acc[3], r(k+3))
	}
	m[7] = max(max(acc[0], acc[1]), max(acc[2], acc[3]))
	bnd[7] = m[7]
	for j := 6; j >= 0; j-- {
		bnd[j] = max(m[j], bnd[j+1])
	}
}
