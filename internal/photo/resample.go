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
}

// makeTaps maps out output samples onto the source interval [off, off+span)
// (callers clamp indices: edge pixels replicate).
func makeTaps(out int, off, span float64) taps {
	scale := span / float64(out) // source px per output px
	support := 2.0
	if scale > 1 {
		support *= scale
	}
	n := int(math.Ceil(support))*2 + 1
	t := taps{start: make([]int, out), n: n, w: make([]float32, out*n)}
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

// cropResample resamples the source rectangle (x, y, w, h) — which may extend past the
// image, edge pixels replicate — of src into a new ow×oh RGBA.
func cropResample(src *image.RGBA, x, y, w, h float64, ow, oh int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	tx := makeTaps(ow, x, w)
	ty := makeTaps(oh, y, h)
	// Source rows needed.
	r0 := clampi(ty.start[0], 0, sh-1)
	r1 := clampi(ty.start[oh-1]+ty.n-1, 0, sh-1)
	rows := r1 - r0 + 1
	tmp := make([]float32, rows*ow*3)
	parallelRows(rows, func(a, b int) {
		for r := a; r < b; r++ {
			srow := src.Pix[(r0+r)*src.Stride:]
			trow := tmp[r*ow*3:]
			for i := range ow {
				var cr, cg, cb float32
				st := tx.start[i]
				ws := tx.w[i*tx.n : (i+1)*tx.n]
				for k, wk := range ws {
					if wk == 0 {
						continue
					}
					sx := clampi(st+k, 0, sw-1) * 4
					cr += wk * float32(srow[sx])
					cg += wk * float32(srow[sx+1])
					cb += wk * float32(srow[sx+2])
				}
				trow[i*3], trow[i*3+1], trow[i*3+2] = cr, cg, cb
			}
		}
	})
	dst := image.NewRGBA(image.Rect(0, 0, ow, oh))
	parallelRows(oh, func(a, b int) {
		for j := a; j < b; j++ {
			st := ty.start[j]
			ws := ty.w[j*ty.n : (j+1)*ty.n]
			drow := dst.Pix[j*dst.Stride:]
			for i := range ow {
				var cr, cg, cb float32
				for k, wk := range ws {
					if wk == 0 {
						continue
					}
					r := clampi(st+k, 0, sh-1) - r0
					p := tmp[(r*ow+i)*3:]
					cr += wk * p[0]
					cg += wk * p[1]
					cb += wk * p[2]
				}
				d := drow[i*4 : i*4+4 : i*4+4]
				d[0], d[1], d[2], d[3] = clamp8f(cr), clamp8f(cg), clamp8f(cb), 255
			}
		}
	})
	return dst
}

// cropResampleMask resamples a single-channel 0..255 plane the same way; outside the source
// it reads 0 (background) except where replicate is asked for.
func cropResampleMask(pix []uint8, sw, sh int, x, y, w, h float64, ow, oh int) []float32 {
	tx := makeTaps(ow, x, w)
	ty := makeTaps(oh, y, h)
	r0 := clampi(ty.start[0], 0, sh-1)
	r1 := clampi(ty.start[oh-1]+ty.n-1, 0, sh-1)
	rows := r1 - r0 + 1
	tmp := make([]float32, rows*ow)
	for r := range rows {
		srow := pix[(r0+r)*sw:]
		for i := range ow {
			var c float32
			st := tx.start[i]
			for k, wk := range tx.w[i*tx.n : (i+1)*tx.n] {
				c += wk * float32(srow[clampi(st+k, 0, sw-1)])
			}
			tmp[r*ow+i] = c
		}
	}
	out := make([]float32, ow*oh)
	for j := range oh {
		st := ty.start[j]
		for i := range ow {
			var c float32
			for k, wk := range ty.w[j*ty.n : (j+1)*ty.n] {
				c += wk * tmp[(clampi(st+k, 0, sh-1)-r0)*ow+i]
			}
			out[j*ow+i] = min(1, max(0, c/255))
		}
	}
	return out
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
