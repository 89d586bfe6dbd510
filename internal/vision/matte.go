package vision

import (
	"math"
	"sync"
)

const (
	segInput = 256
	// refineMaxPixels caps the resolution at which the guided filter's coefficients are
	// computed; bigger images get the coefficients upsampled (fast guided filter).
	refineMaxPixels = 1 << 20
	// refineEps is the guided filter's regulariser (guide in 0..1): smaller follows
	// image edges more closely, larger smooths more.
	refineEps = 1e-3
)

// refineRadius is the guided filter's window radius in network (256²) pixels.
const refineRadius = 2.0

// The refined matte is stretched linearly so that refineLo → 0 and refineHi → 1
// (symmetric about 0.5): this removes the filter's faint glow (values ≈ 0.05–0.3
// spread over ~2 windows around the silhouette where the guide is flat) while
// keeping partial values on hair strands.
const refineLo, refineHi float32 = 0.2, 0.8

// boxMean replaces src (w×h) by the mean over the (2r+1)² window around each
// pixel, windows clipped at the borders (running sums: O(1) per pixel).
// tmp must have len w*h; the result is written to dst (may alias nothing else).
// The horizontal pass handles two rows at a time (two independent running sums
// overlap in the pipeline) and the vertical pass reads, writes and updates the
// column sums in one sweep; the arithmetic (and so the result) is that of the
// plain three-sweep form.
func boxMean(dst, src, tmp []float32, w, h, r int) {
	inv := make([]float32, w)
	for x := 0; x < w; x++ {
		inv[x] = 1 / float32(min(x+r, w-1)-max(x-r, 0)+1)
	}
	y := 0
	for ; y+1 < h; y += 2 {
		boxRows2(src[y*w:(y+1)*w], src[(y+1)*w:(y+2)*w], tmp[y*w:(y+1)*w], tmp[(y+1)*w:(y+2)*w], inv, r)
	}
	if y < h {
		boxRow(src[y*w:(y+1)*w], tmp[y*w:(y+1)*w], inv, r)
	}
	// Vertical pass over columns, processed row by row for locality.
	acc := make([]float32, w)
	hi := min(r, h-1)
	for y := 0; y <= hi; y++ {
		row := tmp[y*w : (y+1)*w]
		for x := range acc {
			acc[x] += row[x]
		}
	}
	for y := 0; y < h; y++ {
		lo := y - r
		n := 1 / float32(min(y+r, h-1)-max(lo, 0)+1)
		out := dst[y*w : (y+1)*w]
		out = out[:len(acc)]
		add := y + r + 1
		switch {
		case add < h && lo >= 0:
			ar := tmp[add*w : (add+1)*w][:len(acc)]
			lr := tmp[lo*w : (lo+1)*w][:len(acc)]
			for x, v := range acc {
				out[x] = v * n
				v += ar[x]
				acc[x] = v - lr[x]
			}
		case add < h:
			ar := tmp[add*w : (add+1)*w][:len(acc)]
			for x, v := range acc {
				out[x] = v * n
				acc[x] = v + ar[x]
			}
		case lo >= 0:
			lr := tmp[lo*w : (lo+1)*w][:len(acc)]
			for x, v := range acc {
				out[x] = v * n
				acc[x] = v - lr[x]
			}
		default:
			for x, v := range acc {
				out[x] = v * n
			}
		}
	}
}

// boxRow is the horizontal running-sum pass of boxMean on one row.
func boxRow(row, out, inv []float32, r int) {
	w := len(row)
	var s float32
	for x := 0; x <= min(r, w-1); x++ {
		s += row[x]
	}
	for x := 0; x < w; x++ {
		out[x] = s * inv[x]
		if add := x + r + 1; add < w {
			s += row[add]
		}
		if lo := x - r; lo >= 0 {
			s -= row[lo]
		}
	}
}

// boxRows2 is boxRow on two rows at once.
func boxRows2(r0, r1, o0, o1, inv []float32, r int) {
	w := len(r0)
	if 2*r+2 > w {
		boxRow(r0, o0, inv, r)
		boxRow(r1, o1, inv, r)
		return
	}
	r1, o0, o1, inv = r1[:w], o0[:w], o1[:w], inv[:w]
	var s0, s1 float32
	for x := 0; x <= r; x++ {
		s0 += r0[x]
		s1 += r1[x]
	}
	// x in [0, r): add only (x+r+1 ≤ 2r < w).
	x := 0
	for ; x < r; x++ {
		o0[x] = s0 * inv[x]
		o1[x] = s1 * inv[x]
		s0 += r0[x+r+1]
		s1 += r1[x+r+1]
	}
	// x in [r, w-r-1): add and subtract.
	for ; x+r+1 < w; x++ {
		o0[x] = s0 * inv[x]
		o1[x] = s1 * inv[x]
		s0 += r0[x+r+1]
		s1 += r1[x+r+1]
		s0 -= r0[x-r]
		s1 -= r1[x-r]
	}
	// x in [w-r-1, w): subtract only.
	for ; x < w; x++ {
		o0[x] = s0 * inv[x]
		o1[x] = s1 * inv[x]
		s0 -= r0[x-r]
		s1 -= r1[x-r]
	}
}

// guidedCoeffs computes the guided filter's smoothed linear coefficients (mean a,
// mean b) for guide I and input p (both w×h): q = meanA·I + meanB (He et al. 2010).
func guidedCoeffs(I, p []float32, w, h, r int, eps float32) (meanA, meanB []float32) {
	n := w * h
	// Two independent halves run in parallel, each with its own scratch buffer.
	both := func(f, g func(tmp []float32), t1, t2 []float32) {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			g(t2)
		}()
		f(t1)
		wg.Wait()
	}
	t1, t2 := make([]float32, n), make([]float32, n)
	s1, s2 := make([]float32, n), make([]float32, n)
	mI := make([]float32, n)
	mP := make([]float32, n)
	mII := make([]float32, n)
	mIP := make([]float32, n)
	both(func(tmp []float32) {
		boxMean(mI, I, tmp, w, h, r)
		for i := range t1 {
			t1[i] = I[i] * I[i]
		}
		boxMean(mII, t1, tmp, w, h, r)
	}, func(tmp []float32) {
		boxMean(mP, p, tmp, w, h, r)
		for i := range t2 {
			t2[i] = I[i] * p[i]
		}
		boxMean(mIP, t2, tmp, w, h, r)
	}, s1, s2)
	a, b := t1, t2
	for i := 0; i < n; i++ {
		varI := mII[i] - mI[i]*mI[i]
		cov := mIP[i] - mI[i]*mP[i]
		ai := cov / (varI + eps)
		a[i] = ai
		b[i] = mP[i] - ai*mI[i]
	}
	meanA, meanB = mI, mP // reuse buffers
	both(func(tmp []float32) {
		boxMean(meanA, a, tmp, w, h, r)
	}, func(tmp []float32) {
		boxMean(meanB, b, tmp, w, h, r)
	}, s1, s2)
	return meanA, meanB
}

// resizeBilinear resamples a sw×sh float plane to dw×dh with pixel-centre alignment
// (half-pixel centres), clamping at the borders.
func resizeBilinear(src []float32, sw, sh, dw, dh int) []float32 {
	dst := make([]float32, dw*dh)
	fx := float64(sw) / float64(dw)
	fy := float64(sh) / float64(dh)
	x0s := make([]int, dw)
	x1s := make([]int, dw)
	wxs := make([]float32, dw)
	for x := 0; x < dw; x++ {
		sx := (float64(x)+0.5)*fx - 0.5
		if sx < 0 {
			sx = 0
		}
		x0 := int(sx)
		if x0 > sw-1 {
			x0 = sw - 1
		}
		x1 := min(x0+1, sw-1)
		x0s[x], x1s[x], wxs[x] = x0, x1, float32(sx-float64(x0))
	}
	for y := 0; y < dh; y++ {
		sy := (float64(y)+0.5)*fy - 0.5
		if sy < 0 {
			sy = 0
		}
		y0 := int(sy)
		if y0 > sh-1 {
			y0 = sh - 1
		}
		y1 := min(y0+1, sh-1)
		wy := float32(sy - float64(y0))
		r0 := src[y0*sw : (y0+1)*sw]
		r1 := src[y1*sw : (y1+1)*sw]
		out := dst[y*dw : (y+1)*dw]
		for x := range out {
			a := r0[x0s[x]] + wxs[x]*(r0[x1s[x]]-r0[x0s[x]])
			b := r1[x0s[x]] + wxs[x]*(r1[x1s[x]]-r1[x0s[x]])
			out[x] = a + wy*(b-a)
		}
	}
	return dst
}

// refineMask turns the network's segInput² probability map into a full-resolution
// uint8 mask: bilinear upsampling to the working resolution (≤ refineMaxPixels, a
// pyramid level of the image), guided filtering with the luminance as guide, then
// — for larger images — the filter's coefficients are upsampled and applied to the
// full-resolution luminance. When refine is false only the bilinear upsampling is done.
func refineMask(prob []float32, img *raster, refine bool) *Mask {
	return prepareMatte(prob, img, refine).finish()
}

// matte is a mask refinement in progress: the whole-image probabilities upsampled to
// the working resolution and, when refining, the guided filter's coefficients; a
// head pass can be blended in (addHead) before finish.
type matte struct {
	img    *raster
	refine bool
	gw, gh int
	p      []float32 // upsampled probabilities (gw×gh; full size when !refine)
	I      []float32 // guide (working-resolution luminance), refine only
	r      int       // window radius in working pixels
	A, B   []float32 // guided-filter coefficients, refine only
}

// prepareMatte does the part of refineMask that needs only the whole-image
// probabilities (it runs concurrently with detection and mesh).
func prepareMatte(prob []float32, img *raster, refine bool) *matte {
	W, H := img.w, img.h
	if !refine {
		return &matte{img: img, gw: W, gh: H, p: resizeBilinear(prob, segInput, segInput, W, H)}
	}
	k := 0
	lv := img
	for lv.w*lv.h > refineMaxPixels && lv.w > 1 && lv.h > 1 {
		k++
		lv = img.level(k)
	}
	gw, gh := lv.w, lv.h
	I := lv.luma()
	p := resizeBilinear(prob, segInput, segInput, gw, gh)
	// Window radius: about two network pixels, in working pixels.
	r := int(math.Ceil(refineRadius*math.Max(float64(gw), float64(gh))/segInput)) + 1
	mA, mB := guidedCoeffs(I, p, gw, gh, r, refineEps)
	return &matte{img: img, refine: true, gw: gw, gh: gh, p: p, I: I, r: r, A: mA, B: mB}
}

// addHead blends the head pass's probabilities into the matte inside its region.
// The guided filter is linear in its input, so when refining only the change is
// filtered, on the region's working-pixel window grown by a margin of 3 radii (the
// change is zero in the margin, so the window's clipped box means equal the whole
// plane's) and added to the coefficients.
func (m *matte) addHead(h *headProb) {
	if h == nil {
		return
	}
	W, H := m.img.w, m.img.h
	x0, y0, x1, y1 := h.span(m.gw, m.gh, W, H)
	if x1 <= x0 || y1 <= y0 {
		return
	}
	if !m.refine {
		d := h.delta(m.p, m.gw, m.gh, W, H, x0, y0, x1, y1)
		cw := x1 - x0
		for y := y0; y < y1; y++ {
			row := m.p[y*m.gw+x0 : y*m.gw+x1]
			for i, v := range d[(y-y0)*cw : (y-y0+1)*cw] {
				row[i] += v
			}
		}
		return
	}
	mg := 3*m.r + 2
	cx0, cy0 := max(0, x0-mg), max(0, y0-mg)
	cx1, cy1 := min(m.gw, x1+mg), min(m.gh, y1+mg)
	cw, ch := cx1-cx0, cy1-cy0
	d := h.delta(m.p, m.gw, m.gh, W, H, cx0, cy0, cx1, cy1)
	I := make([]float32, cw*ch)
	for y := cy0; y < cy1; y++ {
		copy(I[(y-cy0)*cw:(y-cy0+1)*cw], m.I[y*m.gw+cx0:y*m.gw+cx1])
	}
	dA, dB := guidedCoeffs(I, d, cw, ch, m.r, refineEps)
	for y := cy0; y < cy1; y++ {
		ra := m.A[y*m.gw+cx0 : y*m.gw+cx1]
		rb := m.B[y*m.gw+cx0 : y*m.gw+cx1]
		da := dA[(y-cy0)*cw : (y-cy0+1)*cw]
		db := dB[(y-cy0)*cw : (y-cy0+1)*cw]
		for i := range ra {
			ra[i] += da[i]
			rb[i] += db[i]
		}
	}
}

// finish evaluates the matte at full resolution.
func (m *matte) finish() *Mask {
	if !m.refine {
		return toMask(m.p, m.gw, m.gh)
	}
	return applyCoeffs(m.A, m.B, m.gw, m.gh, m.img)
}

// applyCoeffs evaluates q = A·I + B at the raster's full resolution, with A and B
// (gw×gh) upsampled bilinearly (pixel-centre aligned) and I the full-resolution
// luminance, and quantises q to a uint8 mask. Rows are split over two goroutines.
func applyCoeffs(A, B []float32, gw, gh int, img *raster) *Mask {
	W, H := img.w, img.h
	m := &Mask{W: W, H: H, Pix: make([]uint8, W*H)}
	fx := float64(gw) / float64(W)
	fy := float64(gh) / float64(H)
	x0s := make([]int32, W)
	x1s := make([]int32, W)
	wxs := make([]float32, W)
	for x := 0; x < W; x++ {
		sx := math.Max((float64(x)+0.5)*fx-0.5, 0)
		x0 := min(int(sx), gw-1)
		x0s[x], x1s[x], wxs[x] = int32(x0), int32(min(x0+1, gw-1)), float32(sx-float64(x0))
	}
	rows := func(ya, yb int) {
		ar := make([]float32, gw) // A and B interpolated vertically for this row
		br := make([]float32, gw)
		for y := ya; y < yb; y++ {
			sy := math.Max((float64(y)+0.5)*fy-0.5, 0)
			y0 := min(int(sy), gh-1)
			y1 := min(y0+1, gh-1)
			wy := float32(sy - float64(y0))
			a0, a1 := A[y0*gw:(y0+1)*gw], A[y1*gw:(y1+1)*gw]
			b0, b1 := B[y0*gw:(y0+1)*gw], B[y1*gw:(y1+1)*gw]
			for i := range ar {
				ar[i] = a0[i] + wy*(a1[i]-a0[i])
				br[i] = b0[i] + wy*(b1[i]-b0[i])
			}
			lumRow := img.lum[y*W : (y+1)*W]
			out := m.Pix[y*W : (y+1)*W]
			for x := range out {
				i0, i1, wx := x0s[x], x1s[x], wxs[x]
				a := ar[i0] + wx*(ar[i1]-ar[i0])
				b := br[i0] + wx*(br[i1]-br[i0])
				// Contrast stretch about 0.5: the filter's low-level glow around the
				// silhouette goes to 0, the core to 1; the 0.5 crossing is unchanged.
				q := ((a*float32(lumRow[x])*(1.0/255) + b) - refineLo) * (255 / (refineHi - refineLo))
				switch {
				case q <= 0:
					out[x] = 0
				case q >= 255:
					out[x] = 255
				default:
					out[x] = uint8(q + 0.5)
				}
			}
		}
	}
	var wg sync.WaitGroup
	half := H / 2
	wg.Add(1)
	go func() {
		defer wg.Done()
		rows(half, H)
	}()
	rows(0, half)
	wg.Wait()
	return m
}

func toMask(v []float32, w, h int) *Mask {
	m := &Mask{W: w, H: h, Pix: make([]uint8, w*h)}
	for i, x := range v {
		switch {
		case x <= 0:
			m.Pix[i] = 0
		case x >= 1:
			m.Pix[i] = 255
		default:
			m.Pix[i] = uint8(x*255 + 0.5)
		}
	}
	return m
}
