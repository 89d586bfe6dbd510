package tflite

import "fmt"

// Padding schemes of the TFLite schema.
const (
	padSame  = 0
	padValid = 1
)

// convGeom computes the output size and the leading padding of one spatial
// dimension of a convolution or pooling window.
func convGeom(padding uint8, in, k, stride, dil int) (out, before int, err error) {
	if stride < 1 || dil < 1 || k < 1 || in < 1 {
		return 0, 0, fmt.Errorf("bad window (input %d, kernel %d, stride %d, dilation %d)", in, k, stride, dil)
	}
	eff := (k-1)*dil + 1
	switch padding {
	case padSame:
		out = (in + stride - 1) / stride
		total := (out-1)*stride + eff - in
		if total < 0 {
			total = 0
		}
		return out, total / 2, nil
	case padValid:
		if eff > in {
			return 0, 0, fmt.Errorf("VALID window %d larger than input %d", eff, in)
		}
		return (in-eff)/stride + 1, 0, nil
	}
	return 0, 0, fmt.Errorf("unknown padding %d", padding)
}

// convOp is CONV_2D as a matrix product: out[P, OC] = im2col(in)[P, K] ×
// W[K, OC], with P = OH·OW and K = kh·kw·C. The weights are packed at load
// into panels of 4 output channels ([OC/4][K][4]); each worker multiplies
// tiles of up to tile rows, building the im2col tile in its scratch buffer
// (1×1 stride-1 convolutions read the input directly).
type convOp struct {
	in, out            int
	h, w, c            int
	oh, ow, oc         int
	kh, kw, sh, sw     int
	dh, dw, padT, padL int
	k                  int
	tile               int
	direct             bool
	wp                 []float32 // packed weights (packPanels)
	panels             []panel
	bias               []float32
	act                clamp
}

func newConv(m *Model, x, wt, b, y int, padding uint8, sw, sh, dw, dh int, act clamp) (*convOp, error) {
	xs, ws, ys := m.tensors[x].shape, m.tensors[wt].shape, m.tensors[y].shape
	if err := want4D(m, x, y); err != nil {
		return nil, err
	}
	if len(ws) != 4 {
		return nil, fmt.Errorf("weights %q: shape %v, want [Cout,kh,kw,Cin]", m.tensors[wt].name, ws)
	}
	c := &convOp{in: x, out: y, h: xs[1], w: xs[2], c: xs[3], oc: ws[0], kh: ws[1], kw: ws[2],
		sh: sh, sw: sw, dh: dh, dw: dw, act: act}
	if ws[3] != c.c {
		return nil, fmt.Errorf("weights %v do not match input channels %d", ws, c.c)
	}
	if c.c < 1 || c.oc < 1 {
		return nil, fmt.Errorf("empty weights %v", ws)
	}
	var err error
	if c.oh, c.padT, err = convGeom(padding, c.h, c.kh, sh, dh); err != nil {
		return nil, err
	}
	if c.ow, c.padL, err = convGeom(padding, c.w, c.kw, sw, dw); err != nil {
		return nil, err
	}
	if err := wantShape(m, y, 1, c.oh, c.ow, c.oc); err != nil {
		return nil, err
	}
	w, err := m.constF(wt)
	if err != nil {
		return nil, err
	}
	c.k = c.kh * c.kw * c.c
	if c.bias, err = biasOf(m, b, c.oc); err != nil {
		return nil, err
	}
	c.wp, c.panels = packPanels(w, c.oc, c.k)
	c.direct = c.kh == 1 && c.kw == 1 && sh == 1 && sw == 1 && c.padT == 0 && c.padL == 0
	c.tile = tileRows(c.k)
	if !c.direct {
		m.needScratch(c.tile * c.k)
	}
	_ = ys
	return c, nil
}

// tileRows picks how many output pixels one GEMM tile covers (a multiple of
// 12, so of the 6- and 4-row kernels, keeping the im2col tile within about
// 64 KB).
func tileRows(k int) int {
	t := 16384 / k
	t -= t % 12
	return min(max(t, 12), 72)
}

// panel is a block of output columns [col, col+width) of a packed weight
// matrix, stored from off as [k][width].
type panel struct{ col, width, off int }

// packPanels packs w ([n][k], row-major: one row per output channel) into
// column panels of width 16 (the last one 8 when at most 8 columns remain),
// zero-padded: out[off + kk*width + j] = w[(col+j)*k + kk].
func packPanels(w []float32, n, k int) ([]float32, []panel) {
	var panels []panel
	off := 0
	for col := 0; col < n; {
		width := 16
		if n-col <= 8 {
			width = 8
		}
		panels = append(panels, panel{col: col, width: width, off: off})
		off += width * k
		col += width
	}
	out := make([]float32, off)
	for _, p := range panels {
		for j := 0; j < p.width && p.col+j < n; j++ {
			src := w[(p.col+j)*k : (p.col+j+1)*k]
			for kk, v := range src {
				out[p.off+kk*p.width+j] = v
			}
		}
	}
	return out, panels
}

func biasOf(m *Model, b, n int) ([]float32, error) {
	out := make([]float32, (n+3)/4*4)
	if b < 0 {
		return out, nil
	}
	bv, err := m.constF(b)
	if err != nil {
		return nil, err
	}
	if len(bv) != n {
		return nil, fmt.Errorf("bias %q has %d values, want %d", m.tensors[b].name, len(bv), n)
	}
	copy(out, bv)
	return out, nil
}

func (c *convOp) cost() int64 {
	return int64(c.oh) * int64(c.ow) * int64(len(c.wp))
}

func (c *convOp) run(it *Interpreter) {
	it.parallel(c, c.oh*c.ow, c.tile, c.cost()/8)
}

func (c *convOp) runRange(it *Interpreter, worker, lo, hi int) {
	in, out := it.data[c.in], it.data[c.out]
	k := c.k
	for t0 := lo; t0 < hi; t0 += c.tile {
		t1 := min(t0+c.tile, hi)
		var a []float32
		if c.direct {
			a = in[t0*k : t1*k]
		} else {
			a = it.scratch[worker][:(t1-t0)*k]
			c.im2col(in, a, t0, t1)
		}
		gemmPanels(a, t1-t0, k, c.wp, c.panels, c.bias, out[t0*c.oc:t1*c.oc], c.oc, c.act)
	}
}

// im2col writes the receptive fields of output pixels [p0, p1) as rows of a.
func (c *convOp) im2col(in, a []float32, p0, p1 int) {
	ch := c.c
	row := 0
	for p := p0; p < p1; p++ {
		oy, ox := p/c.ow, p%c.ow
		dst := a[row*c.k : (row+1)*c.k]
		row++
		iy0 := oy*c.sh - c.padT
		ix0 := ox*c.sw - c.padL
		d := 0
		for ky := 0; ky < c.kh; ky++ {
			iy := iy0 + ky*c.dh
			if iy < 0 || iy >= c.h {
				clear(dst[d : d+c.kw*ch])
				d += c.kw * ch
				continue
			}
			rowBase := iy * c.w
			if c.dw == 1 && ix0 >= 0 && ix0+c.kw <= c.w {
				// The whole kernel row is inside: one contiguous copy.
				s := (rowBase + ix0) * ch
				copy(dst[d:d+c.kw*ch], in[s:s+c.kw*ch])
				d += c.kw * ch
				continue
			}
			for kx := 0; kx < c.kw; kx++ {
				ix := ix0 + kx*c.dw
				if ix < 0 || ix >= c.w {
					clear(dst[d : d+ch])
				} else {
					s := (rowBase + ix) * ch
					copy(dst[d:d+ch], in[s:s+ch])
				}
				d += ch
			}
		}
	}
}

// gemmPanels computes out[r][j] = act(bias[j] + Σ_k a[r][k]·W[j][k]) for
// rows r < rows and columns j < n, with W packed by packPanels. Rows are
// taken four at a time; a short last group repeats its first row and
// discards the extra results.
func gemmPanels(a []float32, rows, k int, wp []float32, panels []panel, bias, out []float32, n int, act clamp) {
	var acc [64]float32
	// Panel-major: one panel of weights (k×16) stays in cache while every
	// row group of the tile streams past it.
	for _, p := range panels {
		bp := wp[p.off : p.off+p.width*k]
		r0 := 0
		if p.width == 16 && p.col+16 <= n {
			r0 = gemm6Rows(a, rows, k, bp, out[p.col:], n, bias[p.col:], act)
		}
		for r := r0; r < rows; r += 4 {
			nr := min(4, rows-r)
			var ar [4][]float32
			for i := range ar {
				rr := r + i
				if i >= nr {
					rr = r
				}
				ar[i] = a[rr*k : rr*k+k]
			}
			if nr == 4 && p.width == 16 && p.col+16 <= n {
				o := out[r*n+p.col:]
				if micro16Store(ar[0], ar[1], ar[2], ar[3], bp, o, o[n:], o[2*n:], o[3*n:], bias[p.col:], act) {
					continue
				}
			}
			micro(ar[0], ar[1], ar[2], ar[3], bp, p.width, &acc)
			nc := min(p.width, n-p.col)
			b := bias[p.col : p.col+nc]
			for i := 0; i < nr; i++ {
				o := out[(r+i)*n+p.col : (r+i)*n+p.col+nc]
				src := acc[i*16 : i*16+nc]
				for j := range o {
					o[j] = act.apply(src[j] + b[j])
				}
			}
		}
	}
}

// microGeneric is the portable version of micro: 4×4 register blocks.
func microGeneric(a0, a1, a2, a3, b []float32, width int, c *[64]float32) {
	for g := 0; g < width; g += 4 {
		var c00, c01, c02, c03, c10, c11, c12, c13 float32
		var c20, c21, c22, c23, c30, c31, c32, c33 float32
		bb := b[g:]
		for i, x0 := range a0 {
			q := bb[i*width : i*width+4 : i*width+4]
			x1, x2, x3 := a1[i], a2[i], a3[i]
			b0, b1, b2, b3 := q[0], q[1], q[2], q[3]
			c00 += x0 * b0
			c01 += x0 * b1
			c02 += x0 * b2
			c03 += x0 * b3
			c10 += x1 * b0
			c11 += x1 * b1
			c12 += x1 * b2
			c13 += x1 * b3
			c20 += x2 * b0
			c21 += x2 * b1
			c22 += x2 * b2
			c23 += x2 * b3
			c30 += x3 * b0
			c31 += x3 * b1
			c32 += x3 * b2
			c33 += x3 * b3
		}
		c[g], c[g+1], c[g+2], c[g+3] = c00, c01, c02, c03
		c[16+g], c[16+g+1], c[16+g+2], c[16+g+3] = c10, c11, c12, c13
		c[32+g], c[32+g+1], c[32+g+2], c[32+g+3] = c20, c21, c22, c23
		c[48+g], c[48+g+1], c[48+g+2], c[48+g+3] = c30, c31, c32, c33
	}
}

// transposeConvOp is MediaPipe's custom Convolution2DTransposeBias: a
// transposed convolution (weights [OC,kh,kw,C]) plus bias. Each output pixel
// gathers the input pixels whose stride grid maps onto it.
type transposeConvOp struct {
	in, out        int
	h, w, c        int
	oh, ow, oc     int
	kh, kw, sh, sw int
	padT, padL     int
	wt             []float32 // [oc][kh][kw][c]
	bias           []float32
}

func newTransposeConv(m *Model, x, wt, b, y int, opts []byte) (*transposeConvOp, error) {
	if len(opts) < 12 {
		return nil, fmt.Errorf("custom_options has %d bytes, want 12 (padding, stride_w, stride_h)", len(opts))
	}
	le := func(i int) int {
		return int(int32(uint32(opts[i]) | uint32(opts[i+1])<<8 | uint32(opts[i+2])<<16 | uint32(opts[i+3])<<24))
	}
	padding, sw, sh := le(0), le(4), le(8)
	if err := want4D(m, x, y); err != nil {
		return nil, err
	}
	xs, ws, ys := m.tensors[x].shape, m.tensors[wt].shape, m.tensors[y].shape
	if len(ws) != 4 || ws[3] != xs[3] || ws[0] != ys[3] {
		return nil, fmt.Errorf("weights %v do not fit input %v and output %v", ws, xs, ys)
	}
	if sw < 1 || sh < 1 || sw > 64 || sh > 64 {
		return nil, fmt.Errorf("bad strides %d,%d", sw, sh)
	}
	for _, d := range append(append([]int(nil), xs[1:]...), ws...) {
		if d < 1 {
			return nil, fmt.Errorf("empty input %v or weights %v", xs, ws)
		}
	}
	t := &transposeConvOp{in: x, out: y, h: xs[1], w: xs[2], c: xs[3], oh: ys[1], ow: ys[2], oc: ys[3],
		kh: ws[1], kw: ws[2], sh: sh, sw: sw}
	switch padding {
	case 1: // SAME
		if t.oh != t.h*sh || t.ow != t.w*sw {
			return nil, fmt.Errorf("SAME output %dx%d, want %dx%d", t.oh, t.ow, t.h*sh, t.w*sw)
		}
		t.padT = max((t.h-1)*sh+t.kh-t.oh, 0) / 2
		t.padL = max((t.w-1)*sw+t.kw-t.ow, 0) / 2
	case 2: // VALID
		if t.oh != (t.h-1)*sh+t.kh || t.ow != (t.w-1)*sw+t.kw {
			return nil, fmt.Errorf("VALID output %dx%d, want %dx%d", t.oh, t.ow, (t.h-1)*sh+t.kh, (t.w-1)*sw+t.kw)
		}
	default:
		return nil, fmt.Errorf("unknown padding %d in custom_options", padding)
	}
	var err error
	if t.wt, err = m.constF(wt); err != nil {
		return nil, err
	}
	if t.bias, err = biasOf(m, b, t.oc); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *transposeConvOp) cost() int64 {
	return int64(t.oh) * int64(t.ow) * int64(t.kh) * int64(t.kw) * (1 + int64(t.oc)*int64(t.c))
}

func (t *transposeConvOp) run(it *Interpreter) { it.parallel(t, t.oh, 1, t.cost()/4) }

func (t *transposeConvOp) runRange(it *Interpreter, _, lo, hi int) {
	in, out := it.data[t.in], it.data[t.out]
	c, oc := t.c, t.oc
	for oy := lo; oy < hi; oy++ {
		orow := out[oy*t.ow*oc : (oy+1)*t.ow*oc]
		for ox := 0; ox < t.ow; ox++ {
			copy(orow[ox*oc:(ox+1)*oc], t.bias[:oc])
		}
		// Only kernel rows ky ≡ oy+padT (mod sh) land on this output row.
		for ky := (oy + t.padT) % t.sh; ky < t.kh; ky += t.sh {
			iy := (oy + t.padT - ky) / t.sh
			if iy < 0 || iy >= t.h {
				continue
			}
			irow := in[iy*t.w*c : (iy+1)*t.w*c]
			for ox := 0; ox < t.ow; ox++ {
				o := orow[ox*oc : (ox+1)*oc]
				for kx := (ox + t.padL) % t.sw; kx < t.kw; kx += t.sw {
					ix := (ox + t.padL - kx) / t.sw
					if ix < 0 || ix >= t.w {
						continue
					}
					px := irow[ix*c : (ix+1)*c]
					for j := range o {
						w0 := ((j*t.kh+ky)*t.kw + kx) * c
						o[j] += dot(px, t.wt[w0:w0+c])
					}
				}
			}
		}
	}
}

func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
