package tflite

import "fmt"

// depthwiseOp is DEPTHWISE_CONV_2D (weights [1,kh,kw,C·dm]). Work is split
// over output rows. With depth multiplier 1, interior pixels of 3×3 and 5×5
// kernels take unrolled paths that sum one kernel row per pass over the
// channels.
type depthwiseOp struct {
	in, out            int
	h, w, c, dm        int
	oh, ow, oc         int
	kh, kw, sh, sw     int
	dh, dw, padT, padL int
	wt                 []float32 // [kh*kw][oc]
	bias               []float32 // [oc] (padded)
	act                clamp
	// interior output columns [x0, x1): every tap is inside the input.
	x0, x1 int
	// byte offsets of the taps from the top-left input pixel of a window,
	// and the largest one in elements (for the assembly kernel).
	tapsBytes []int
	wtapBytes []int
	maxTap    int
	maxW      int
}

func newDepthwise(m *Model, x, wt, b, y int, padding uint8, sw, sh, dm, dw, dh int, act clamp) (*depthwiseOp, error) {
	if err := want4D(m, x, y); err != nil {
		return nil, err
	}
	xs, ws := m.tensors[x].shape, m.tensors[wt].shape
	if len(ws) != 4 || ws[0] != 1 {
		return nil, fmt.Errorf("weights %q: shape %v, want [1,kh,kw,C]", m.tensors[wt].name, ws)
	}
	d := &depthwiseOp{in: x, out: y, h: xs[1], w: xs[2], c: xs[3], kh: ws[1], kw: ws[2], oc: ws[3],
		sh: sh, sw: sw, dh: dh, dw: dw, act: act}
	if dm < 1 {
		dm = 1
	}
	if d.c == 0 || d.oc%d.c != 0 {
		return nil, fmt.Errorf("weights %v do not match input channels %d", ws, d.c)
	}
	d.dm = d.oc / d.c
	var err error
	if d.oh, d.padT, err = convGeom(padding, d.h, d.kh, sh, dh); err != nil {
		return nil, err
	}
	if d.ow, d.padL, err = convGeom(padding, d.w, d.kw, sw, dw); err != nil {
		return nil, err
	}
	if err := wantShape(m, y, 1, d.oh, d.ow, d.oc); err != nil {
		return nil, err
	}
	if d.wt, err = m.constF(wt); err != nil {
		return nil, err
	}
	if d.bias, err = biasOf(m, b, d.oc); err != nil {
		return nil, err
	}
	m.needIScratch(2 * d.kh * d.kw)
	// Interior columns: ox*sw - padL >= 0 and ox*sw - padL + (kw-1)*dw < w.
	d.x0 = (d.padL + sw - 1) / sw
	d.x1 = 0
	if lim := d.w - 1 - (d.kw-1)*dw + d.padL; lim >= 0 {
		d.x1 = lim/sw + 1
	}
	d.x1 = min(d.x1, d.ow)
	if d.x0 > d.x1 {
		d.x0 = d.x1
	}
	for ky := 0; ky < d.kh; ky++ {
		for kx := 0; kx < d.kw; kx++ {
			off := (ky*d.dh*d.w + kx*d.dw) * d.c
			d.tapsBytes = append(d.tapsBytes, off*4)
			d.maxTap = max(d.maxTap, off)
			d.wtapBytes = append(d.wtapBytes, (ky*d.kw+kx)*d.oc*4)
			d.maxW = max(d.maxW, (ky*d.kw+kx)*d.oc)
		}
	}
	return d, nil
}

func (d *depthwiseOp) cost() int64 {
	return int64(d.oh) * int64(d.ow) * int64(d.oc) * int64(d.kh) * int64(d.kw)
}

func (d *depthwiseOp) run(it *Interpreter) { it.parallel(d, d.oh, 1, d.cost()/8) }

func (d *depthwiseOp) runRange(it *Interpreter, worker, lo, hi int) {
	in, out := it.data[d.in], it.data[d.out]
	oc := d.oc
	bias := d.bias[:oc]
	for oy := lo; oy < hi; oy++ {
		iy0 := oy*d.sh - d.padT
		rowInside := iy0 >= 0 && iy0+(d.kh-1)*d.dh < d.h
		// The interior of the row in one assembly call when possible.
		skip0, skip1 := 0, 0
		if c8 := oc &^ 7; d.dm == 1 && rowInside && d.x1 > d.x0 && c8 > 0 {
			ix0 := d.x0*d.sw - d.padL
			base := (iy0*d.w + ix0) * oc
			if dwRow(out[(oy*d.ow+d.x0)*oc:], in[base:], d.wt, bias, c8, d.tapsBytes, d.wtapBytes, d.maxTap, d.maxW,
				d.x1-d.x0, d.sw*oc, oc, d.act) {
				if c8 < oc {
					for ox := d.x0; ox < d.x1; ox++ {
						d.tail(out[(oy*d.ow+ox)*oc:(oy*d.ow+ox+1)*oc], in, iy0, ox*d.sw-d.padL, c8)
					}
				}
				skip0, skip1 = d.x0, d.x1
			}
		}
		for ox := 0; ox < d.ow; ox++ {
			if ox == skip0 && skip1 > skip0 {
				ox = skip1 - 1
				continue
			}
			o := out[(oy*d.ow+ox)*oc : (oy*d.ow+ox+1)*oc]
			ix0 := ox*d.sw - d.padL
			interior := d.dm == 1 && rowInside && ox >= d.x0 && ox < d.x1
			if c8 := oc &^ 7; d.dm == 1 && c8 > 0 && !interior && worker < len(it.iscratch) {
				// A border pixel: list the taps inside the input.
				taps := it.iscratch[worker][:0]
				wtaps := it.iscratch[worker][d.kh*d.kw : d.kh*d.kw]
				maxT, maxW := 0, 0
				for ky := 0; ky < d.kh; ky++ {
					iy := iy0 + ky*d.dh
					if iy < 0 || iy >= d.h {
						continue
					}
					for kx := 0; kx < d.kw; kx++ {
						ix := ix0 + kx*d.dw
						if ix < 0 || ix >= d.w {
							continue
						}
						off, woff := (iy*d.w+ix)*oc, (ky*d.kw+kx)*oc
						taps = append(taps, off*4)
						wtaps = append(wtaps, woff*4)
						maxT, maxW = max(maxT, off), max(maxW, woff)
					}
				}
				if len(taps) == 0 {
					for ch := range o {
						o[ch] = d.act.apply(bias[ch])
					}
					continue
				}
				if dwRow(o, in, d.wt, bias, c8, taps, wtaps, maxT, maxW, 1, 0, 0, d.act) {
					for ch := c8; ch < oc; ch++ {
						s := bias[ch]
						for t, off := range taps {
							s += in[off/4+ch] * d.wt[wtaps[t]/4+ch]
						}
						o[ch] = d.act.apply(s)
					}
					continue
				}
			}
			if interior && (d.kw == 3 || d.kw == 5) {
				for ky := 0; ky < d.kh; ky++ {
					base := ((iy0+ky*d.dh)*d.w + ix0) * oc
					wrow := d.wt[ky*d.kw*oc : (ky+1)*d.kw*oc]
					init := bias
					if ky > 0 {
						init = o
					}
					if d.kw == 3 {
						s := d.dw * oc
						dwRow3(o, init, in[base:base+oc], in[base+s:base+s+oc], in[base+2*s:base+2*s+oc],
							wrow[:oc], wrow[oc:2*oc], wrow[2*oc:3*oc])
					} else {
						s := d.dw * oc
						dwRow5(o, init, in[base:base+oc], in[base+s:base+s+oc], in[base+2*s:base+2*s+oc],
							in[base+3*s:base+3*s+oc], in[base+4*s:base+4*s+oc],
							wrow[:oc], wrow[oc:2*oc], wrow[2*oc:3*oc], wrow[3*oc:4*oc], wrow[4*oc:5*oc])
					}
				}
				d.act.applyAll(o)
				continue
			}
			copy(o, bias)
			for ky := 0; ky < d.kh; ky++ {
				iy := iy0 + ky*d.dh
				if iy < 0 || iy >= d.h {
					continue
				}
				for kx := 0; kx < d.kw; kx++ {
					ix := ix0 + kx*d.dw
					if ix < 0 || ix >= d.w {
						continue
					}
					px := in[(iy*d.w+ix)*d.c : (iy*d.w+ix+1)*d.c]
					wv := d.wt[(ky*d.kw+kx)*oc : (ky*d.kw+kx+1)*oc]
					if d.dm == 1 {
						wv = wv[:len(o)]
						px = px[:len(o)]
						for ch := range o {
							o[ch] += px[ch] * wv[ch]
						}
						continue
					}
					for ch, v := range px {
						for j := 0; j < d.dm; j++ {
							o[ch*d.dm+j] += v * wv[ch*d.dm+j]
						}
					}
				}
			}
			d.act.applyAll(o)
		}
	}
}

// tail computes channels [c0, oc) of an interior output pixel (dm == 1).
func (d *depthwiseOp) tail(o, in []float32, iy0, ix0, c0 int) {
	oc := d.oc
	for ch := c0; ch < oc; ch++ {
		s := d.bias[ch]
		for ky := 0; ky < d.kh; ky++ {
			row := ((iy0+ky*d.dh)*d.w + ix0) * oc
			for kx := 0; kx < d.kw; kx++ {
				s += in[row+kx*d.dw*oc+ch] * d.wt[(ky*d.kw+kx)*oc+ch]
			}
		}
		o[ch] = d.act.apply(s)
	}
}

// dwRow3 sets o = init + i0·w0 + i1·w1 + i2·w2 element-wise.
func dwRow3(o, init, i0, i1, i2, w0, w1, w2 []float32) {
	n := len(o)
	init, i0, i1, i2, w0, w1, w2 = init[:n], i0[:n], i1[:n], i2[:n], w0[:n], w1[:n], w2[:n]
	for c := range o {
		o[c] = init[c] + i0[c]*w0[c] + i1[c]*w1[c] + i2[c]*w2[c]
	}
}

// dwRow5 sets o = init + Σ i_k·w_k element-wise for five taps.
func dwRow5(o, init, i0, i1, i2, i3, i4, w0, w1, w2, w3, w4 []float32) {
	n := len(o)
	init, i0, i1, i2, i3, i4 = init[:n], i0[:n], i1[:n], i2[:n], i3[:n], i4[:n]
	w0, w1, w2, w3, w4 = w0[:n], w1[:n], w2[:n], w3[:n], w4[:n]
	for c := range o {
		o[c] = init[c] + i0[c]*w0[c] + i1[c]*w1[c] + i2[c]*w2[c] + i3[c]*w3[c] + i4[c]*w4[c]
	}
}
