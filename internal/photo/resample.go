package photo

import (
	"image"
	"math"
)

// kernel is a separable resampling filter (Catmull-Rom cubic, support 2).
func catmullRom(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x < 1:
		return (1.5*x-2.5)*x*x + 1
	case x < 2:
		return ((-0.5*x+2.5)*x-4)*x + 2
	}
	return 0
}

// taps holds, for each output coordinate, the first source index and the normalised weights.
type taps struct {
	start []int
	n     int
	w     []float32 // len(start)*n
	idx   []int32   // len(start)*n source indices, clamped to the source
}

// makeTaps maps out output samples onto the source interval [off, off+span)
// (callers clamp indices: edge pixels replicate).
func makeTaps(out int, off, span float64, srcLen int) taps {
	scale := span / float64(out) // source px per output px
	support := 2.0
	if scale > 1 {
		support *= scale
	}
	n := int(math.Ceil(support))*2 + 1
	t := taps{start: make([]int, out), n: n, w: make([]float32, out*n), idx: make([]int32, out*n)}
	fs := math.Max(scale, 1)
	for i := range out {
		c := off + (float64(i)+0.5)*scale - 0.5 // source centre in pixel-index space
		first := int(math.Floor(c-support)) + 1
		sum := 0.0
		ws := make([]float64, n)
		for k := range n {
			ws[k] = catmullRom((float64(first+k) - c) / fs)
			sum += ws[k]
		}
		t.start[i] = first
		for k := range n {
			t.w[i*n+k] = float32(ws[k] / sum)
			t.idx[i*n+k] = int32(clampi(first+k, 0, srcLen-1))
		}
	}
	return t
}

func clampi(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// extent is the source index range [e0, e1] the taps reach before clamping.
func (t taps) extent() (e0, e1 int) {
	return t.start[0], t.start[len(t.start)-1] + t.n - 1
}

// cropResample resamples the source rectangle (x, y, w, h) — which may extend past the
// image, edge pixels replicate — of src into a new ow×oh RGBA. Each source row is first
// widened to the taps' unclamped extent (edge pixels replicated), so every output pixel
// reads n contiguous samples.
func cropResample(src *image.RGBA, x, y, w, h float64, ow, oh int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	tx := makeTaps(ow, x, w, sw)
	ty := makeTaps(oh, y, h, sh)
	// Source rows needed.
	r0 := clampi(ty.start[0], 0, sh-1)
	r1 := clampi(ty.start[oh-1]+ty.n-1, 0, sh-1)
	rows := r1 - r0 + 1
	tmp := make([]float32, rows*ow*3)
	e0, e1 := tx.extent()
	span := e1 - e0 + 1
	parallelRows(rows, func(a, b int) {
		ext := make([]float32, 3*span)
		for r := a; r < b; r++ {
			srow := src.Pix[(r0+r)*src.Stride : (r0+r)*src.Stride+4*sw]
			for i := range span {
				c := clampi(e0+i, 0, sw-1)
				p := srow[4*c : 4*c+3 : 4*c+3]
				q := ext[3*i : 3*i+3 : 3*i+3]
				q[0], q[1], q[2] = float32(p[0]), float32(p[1]), float32(p[2])
			}
			trow := tmp[r*ow*3 : (r+1)*ow*3]
			n := tx.n
			for i := range ow {
				var cr, cg, cb float32
				ws := tx.w[i*n : (i+1)*n]
				base := 3 * (tx.start[i] - e0)
				px := ext[base : base+3*n]
				for k, wk := range ws {
					q := px[3*k : 3*k+3 : 3*k+3]
					cr += wk * q[0]
					cg += wk * q[1]
					cb += wk * q[2]
				}
				trow[i*3], trow[i*3+1], trow[i*3+2] = cr, cg, cb
			}
		}
	})
	dst := image.NewRGBA(image.Rect(0, 0, ow, oh))
	parallelRows(oh, func(a, b int) {
		acc := make([]float32, ow*3)
		for j := a; j < b; j++ {
			ws := ty.w[j*ty.n : (j+1)*ty.n]
			ix := ty.idx[j*ty.n : (j+1)*ty.n]
			drow := dst.Pix[j*dst.Stride:]
			clear(acc)
			for k, wk := range ws {
				if wk == 0 {
					continue
				}
				row := tmp[(int(ix[k])-r0)*ow*3 : (int(ix[k])-r0+1)*ow*3]
				row = row[:len(acc)]
				for i, v := range row {
					acc[i] += wk * v
				}
			}
			for i := range ow {
				d := drow[i*4 : i*4+4 : i*4+4]
				d[0], d[1], d[2], d[3] = clamp8f(acc[3*i]), clamp8f(acc[3*i+1]), clamp8f(acc[3*i+2]), 255
			}
		}
	})
	return dst
}

// cropResampleMask resamples a single-channel 0..255 plane the same way; outside the source
// it reads 0 (background) except where replicate is asked for.
func cropResampleMask(pix []uint8, sw, sh int, x, y, w, h float64, ow, oh int) []float32 {
	tx := makeTaps(ow, x, w, sw)
	ty := makeTaps(oh, y, h, sh)
	r0 := clampi(ty.start[0], 0, sh-1)
	r1 := clampi(ty.start[oh-1]+ty.n-1, 0, sh-1)
	rows := r1 - r0 + 1
	tmp := make([]float32, rows*ow)
	e0, e1 := tx.extent()
	span := e1 - e0 + 1
	parallelRows(rows, func(a, b int) {
		ext := make([]float32, span)
		for r := a; r < b; r++ {
			srow := pix[(r0+r)*sw : (r0+r+1)*sw]
			for i := range ext {
				ext[i] = float32(srow[clampi(e0+i, 0, sw-1)])
			}
			n := tx.n
			for i := range ow {
				var c float32
				base := tx.start[i] - e0
				px := ext[base : base+n]
				for k, wk := range tx.w[i*n : (i+1)*n] {
					c += wk * px[k]
				}
				tmp[r*ow+i] = c
			}
		}
	})
	out := make([]float32, ow*oh)
	parallelRows(oh, func(a, b int) { resampleMaskRows(out, tmp, ty, r0, ow, a, b) })
	return out
}

func resampleMaskRows(out, tmp []float32, ty taps, r0, ow, ja, jb int) {
	for j := ja; j < jb; j++ {
		acc := out[j*ow : (j+1)*ow]
		ix := ty.idx[j*ty.n : (j+1)*ty.n]
		for k, wk := range ty.w[j*ty.n : (j+1)*ty.n] {
			row := tmp[(int(ix[k])-r0)*ow : (int(ix[k])-r0+1)*ow]
			for i, v := range row {
				acc[i] += wk * v
			}
		}
		for i, v := range acc {
			acc[i] = min(1, max(0, v/255))
		}
	}
}

func clamp8f(v float32) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}
