package jpegdec

import (
	"image"
	"sync"
)

// compPlan is how one scan component is decoded and written.
type compPlan struct {
	bw, bh    int // blocks per MCU horizontally and vertically
	rowBlocks int // blocks across one MCU row (mcux*bw)
	off       int // index of the component's first block in a row slot
	dc, ac    *huffTable
	q         [64]float32 // dequantisation with IDCT weights for the scale
	plane     []byte
	stride    int
	rx, ry    int // pixel replication (upsampling to 4:4:4 for unusual sampling)
}

type decodePlan struct {
	scale      int
	bs         int // output pixels per block side (8/scale)
	mcux, mcuy int
	comps      []compPlan // in scan order
	rowBlocks  int        // blocks in one MCU row, all components
	ri         int        // restart interval in MCUs
	// Coefficient storage: at Scale 1 a block is 64 coefficients in natural order.
	// At Scale s > 1 only the n×n (n = 8/s) coefficients the reduced IDCT uses are
	// kept, row-major, plus one slot that absorbs all the others: cstride = n·n+1.
	cstride int
	zmap    [64]uint8 // zig-zag index → position in a stored block
}

// rowSlot holds the coefficients of one MCU row.
type rowSlot struct {
	coef []int16 // 64 per block, natural order
	last []uint8 // zig-zag index of the last nonzero coefficient, per block
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func decodeScan(data []byte, h *header, scale, workers int) (image.Image, error) {
	p, img, err := newPlan(data, h, scale)
	if err != nil {
		return nil, err
	}
	if err := p.run(data[h.scanStart:], workers); err != nil {
		return nil, err
	}
	return img, nil
}

// newPlan works out the MCU layout and allocates the output image.
func newPlan(data []byte, h *header, scale int) (*decodePlan, image.Image, error) {
	p := &decodePlan{scale: scale, bs: 8 / scale, ri: h.restartInterval}
	p.cstride = 64
	if scale > 1 {
		p.cstride = p.bs*p.bs + 1
	}
	for k := 0; k < 64; k++ {
		u, v := unzig[k]&7, unzig[k]>>3
		switch {
		case scale == 1:
			p.zmap[k] = uint8(unzig[k])
		case u < p.bs && v < p.bs:
			p.zmap[k] = uint8(v*p.bs + u)
		default:
			p.zmap[k] = uint8(p.bs * p.bs)
		}
	}
	ns := h.ncomp
	if ns == 1 {
		p.mcux, p.mcuy = ceilDiv(h.width, 8), ceilDiv(h.height, 8)
	} else {
		p.mcux, p.mcuy = ceilDiv(h.width, 8*h.hmax), ceilDiv(h.height, 8*h.vmax)
	}
	// Every block takes at least two bits (a DC code and an EOB code), so data
	// shorter than that cannot be a complete image: refuse it before allocating.
	total := int64(0)
	for i := 0; i < ns; i++ {
		c := &h.comp[i]
		total += int64(p.mcux*c.h) * int64(p.mcuy*c.v)
	}
	if (int64(len(data)-h.scanStart)+16)*4 < total {
		return nil, nil, errTruncated
	}

	// Output layout: the native subsampling when image.YCbCr can express it,
	// otherwise everything upsampled to 4:4:4.
	w, ht := ceilDiv(h.width, scale), ceilDiv(h.height, scale)
	var ratio image.YCbCrSubsampleRatio
	native := true
	if ns == 3 {
		y, cb, cr := h.comp[0], h.comp[1], h.comp[2]
		native = y.h == h.hmax && y.v == h.vmax && cb.h == cr.h && cb.v == cr.v
		if native {
			switch (y.h/cb.h)<<4 | y.v/cb.v {
			case 0x11:
				ratio = image.YCbCrSubsampleRatio444
			case 0x12:
				ratio = image.YCbCrSubsampleRatio440
			case 0x21:
				ratio = image.YCbCrSubsampleRatio422
			case 0x22:
				ratio = image.YCbCrSubsampleRatio420
			default:
				native = false
			}
		}
		if !native {
			ratio = image.YCbCrSubsampleRatio444
		}
	}
	planes := make([][]byte, ns)
	strides := make([]int, ns)
	p.comps = make([]compPlan, ns)
	for i := 0; i < ns; i++ {
		c := &h.comp[i]
		cp := compPlan{bw: c.h, bh: c.v, rx: 1, ry: 1}
		if ns == 1 {
			cp.bw, cp.bh = 1, 1
		}
		if !native {
			cp.rx, cp.ry = h.hmax/c.h, h.vmax/c.v
		}
		cp.rowBlocks = p.mcux * cp.bw
		cp.stride = cp.rowBlocks * p.bs * cp.rx
		planes[i] = make([]byte, cp.stride*p.mcuy*cp.bh*p.bs*cp.ry)
		strides[i] = cp.stride
		cp.plane = planes[i]
		cp.q = scaledQuant(&h.qt[c.tq], scale)
		cp.dc, cp.ac = h.huff[0][c.td], h.huff[1][c.ta]
		p.comps[i] = cp
	}
	// Scan order and block offsets within a row slot.
	ordered := make([]compPlan, ns)
	for i := 0; i < ns; i++ {
		cp := p.comps[h.scanOrder[i]]
		cp.off = p.rowBlocks
		p.rowBlocks += cp.rowBlocks * cp.bh
		ordered[i] = cp
	}
	p.comps = ordered

	r := image.Rect(0, 0, w, ht)
	if ns == 1 {
		return p, &image.Gray{Pix: planes[0], Stride: strides[0], Rect: r}, nil
	}
	return p, &image.YCbCr{
		Y: planes[0], Cb: planes[1], Cr: planes[2],
		YStride: strides[0], CStride: strides[1],
		SubsampleRatio: ratio, Rect: r,
	}, nil
}

func (p *decodePlan) newSlot() *rowSlot {
	// 64 spare coefficients let every block be viewed as a *[64]int16.
	return &rowSlot{coef: make([]int16, p.cstride*p.rowBlocks+64), last: make([]uint8, p.rowBlocks)}
}

// entropy decodes MCUs in order; it keeps the bit reader, predictors and restart
// state between calls.
type entropy struct {
	p     *decodePlan
	br    bitReader
	pred  [3]int32
	mcu   int // index of the next MCU
	first int // index of the first MCU this reader decodes (a restart boundary)
}

// decodeRow decodes MCUs mx0..mx1-1 of the current MCU row into s.
func (e *entropy) decodeRow(s *rowSlot, mx0, mx1 int) error {
	p := e.p
	for mx := mx0; mx < mx1; mx++ {
		if p.ri > 0 && e.mcu > e.first && e.mcu%p.ri == 0 {
			if err := e.br.restart(e.mcu/p.ri - 1); err != nil {
				return err
			}
			e.pred = [3]int32{}
		}
		for ci := range p.comps {
			c := &p.comps[ci]
			for by := 0; by < c.bh; by++ {
				bi := c.off + by*c.rowBlocks + mx*c.bw
				for bx := 0; bx < c.bw; bx++ {
					blk := (*[64]int16)(s.coef[(bi+bx)*p.cstride:])
					last, err := e.br.decodeBlock(blk, &p.zmap, c.dc, c.ac, &e.pred[ci])
					if err != nil {
						return err
					}
					s.last[bi+bx] = uint8(last)
				}
			}
		}
		if e.br.overrun() {
			return errTruncated
		}
		e.mcu++
	}
	return nil
}

// transformRow dequantises and inverse-transforms MCUs mx0..mx1-1 of MCU row my
// from s into the planes, leaving s zeroed for reuse.
func (p *decodePlan) transformRow(s *rowSlot, my, mx0, mx1 int) {
	bs := p.bs
	var tmp [64]byte
	for ci := range p.comps {
		c := &p.comps[ci]
		for by := 0; by < c.bh; by++ {
			y0 := (my*c.bh + by) * bs * c.ry
			for bx := mx0 * c.bw; bx < mx1*c.bw; bx++ {
				bi := c.off + by*c.rowBlocks + bx
				blk := (*[64]int16)(s.coef[bi*p.cstride:])
				last := int(s.last[bi])
				dst, stride := c.plane[y0*c.stride+bx*bs*c.rx:], c.stride
				if c.rx != 1 || c.ry != 1 {
					dst, stride = tmp[:], 8
				}
				switch bs {
				case 8:
					idct8(blk, &c.q, last, dst, stride)
				case 4:
					idct4(blk, &c.q, last, dst, stride)
				case 2:
					idct2(blk, &c.q, dst, stride)
				default:
					dst[0] = idct1(blk, &c.q)
				}
				// Zero the block for reuse: only its nonzero coefficients when few.
				if bs != 8 {
					clear(blk[:p.cstride])
				} else if last < 16 {
					for k := 0; k <= last; k++ {
						blk[unzig[k]] = 0
					}
				} else {
					clear(blk[:])
				}
				if c.rx != 1 || c.ry != 1 {
					replicate(tmp[:], bs, c.plane[y0*c.stride+bx*bs*c.rx:], c.stride, c.rx, c.ry)
				}
			}
		}
	}
}

// replicate writes the bs×bs block src (stride 8) into dst enlarged rx×ry times.
func replicate(src []byte, bs int, dst []byte, stride, rx, ry int) {
	for y := 0; y < bs; y++ {
		for j := 0; j < ry; j++ {
			d := dst[(y*ry+j)*stride:]
			for x := 0; x < bs; x++ {
				v := src[y*8+x]
				for i := 0; i < rx; i++ {
					d[x*rx+i] = v
				}
			}
		}
	}
}

// run decodes all MCUs. With one worker it works sequentially. With more, it splits
// the scan at restart markers when there are enough of them (each goroutine then
// decodes and transforms its own share), and otherwise runs a pipeline in which
// this goroutine does the entropy decoding and workers-1 goroutines do the
// transforms, passing MCU rows through a small ring of slots (and doing some of the
// transforms itself when they fall behind).
func (p *decodePlan) run(data []byte, workers int) error {
	if workers > 1 {
		if chunks := p.restartChunks(data, workers); chunks != nil {
			return p.runChunks(data, chunks)
		}
	}
	e := &entropy{p: p, br: bitReader{data: data}}
	if workers <= 1 || p.mcuy == 1 {
		s := p.newSlot()
		for my := 0; my < p.mcuy; my++ {
			if err := e.decodeRow(s, 0, p.mcux); err != nil {
				return err
			}
			p.transformRow(s, my, 0, p.mcux)
		}
		return nil
	}
	type job struct {
		s  *rowSlot
		my int
	}
	nslots := workers + 2
	free := make(chan *rowSlot, nslots)
	for i := 0; i < nslots; i++ {
		free <- p.newSlot()
	}
	// When the transform goroutines fall behind (the queue is full), the entropy
	// decoder transforms the row itself: this balances the two stages at Scale 1,
	// where they cost about the same.
	ready := make(chan job, workers)
	var wg sync.WaitGroup
	for i := 0; i < workers-1; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ready {
				p.transformRow(j.s, j.my, 0, p.mcux)
				free <- j.s
			}
		}()
	}
	var err error
	for my := 0; my < p.mcuy; my++ {
		s := <-free
		if err = e.decodeRow(s, 0, p.mcux); err != nil {
			break
		}
		select {
		case ready <- job{s, my}:
		default:
			p.transformRow(s, my, 0, p.mcux)
			free <- s
		}
	}
	close(ready)
	wg.Wait()
	return err
}

// chunk is a run of restart intervals decoded by one goroutine.
type chunk struct {
	start      int // offset in the scan data of its first byte
	mcu0, mcu1 int // MCUs [mcu0, mcu1)
}

// restartChunks locates the RSTn markers and splits the scan into up to workers
// chunks of similar byte size at interval boundaries. It returns nil (decode
// sequentially) when the scan has too few intervals or when the markers are not
// the expected sequence; the sequential decoder then reports any error. Each
// marker is searched for from the previous one with the same function the
// sequential decoder uses at a restart, so both find the same markers.
func (p *decodePlan) restartChunks(data []byte, workers int) []chunk {
	total := p.mcux * p.mcuy
	if p.ri <= 0 {
		return nil
	}
	nint := ceilDiv(total, p.ri)
	if nint < 2*workers {
		return nil
	}
	starts := make([]int, nint)
	pos := 0
	for i := 1; i < nint; i++ {
		p, err := nextRST(data, pos, i-1)
		if err != nil {
			return nil
		}
		starts[i], pos = p, p
	}
	chunks := make([]chunk, 0, workers)
	target := pos / workers // bytes per chunk, roughly (pos is the last interval's start)
	first := 0
	for i := 1; i < nint && len(chunks) < workers-1; i++ {
		if starts[i]-starts[first] >= target {
			chunks = append(chunks, chunk{starts[first], first * p.ri, i * p.ri})
			first = i
		}
	}
	chunks = append(chunks, chunk{starts[first], first * p.ri, total})
	if len(chunks) < 2 {
		return nil
	}
	return chunks
}

// runChunks decodes each chunk in its own goroutine (the first in this one).
func (p *decodePlan) runChunks(data []byte, chunks []chunk) error {
	errs := make([]error, len(chunks))
	var wg sync.WaitGroup
	for i := len(chunks) - 1; i >= 0; i-- {
		if i == 0 {
			errs[0] = p.decodeChunk(data, chunks[0], len(chunks) > 1)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.decodeChunk(data, chunks[i], i < len(chunks)-1)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// decodeChunk decodes and transforms the MCUs of one chunk. When another chunk
// follows, the data must continue with the RSTn marker that starts it, exactly as
// the sequential decoder would require.
func (p *decodePlan) decodeChunk(data []byte, c chunk, checkEnd bool) error {
	e := &entropy{p: p, br: bitReader{data: data, pos: c.start}, mcu: c.mcu0, first: c.mcu0}
	s := p.newSlot()
	for my := c.mcu0 / p.mcux; my*p.mcux < c.mcu1; my++ {
		mx0 := max(c.mcu0-my*p.mcux, 0)
		mx1 := min(c.mcu1-my*p.mcux, p.mcux)
		if err := e.decodeRow(s, mx0, mx1); err != nil {
			return err
		}
		p.transformRow(s, my, mx0, mx1)
	}
	if checkEnd {
		return e.br.restart(c.mcu1/p.ri - 1)
	}
	return nil
}
