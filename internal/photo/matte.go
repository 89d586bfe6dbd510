package photo

import (
	"image"
	"sync"

	"xiaoxiang/internal/vision"
)

// renderStandard makes the standardized pixels: the plan's crop of img scaled to the
// profile size, the person cut out with the analysis mask and composited onto the
// profile background.
func renderStandard(img *Image, a *vision.Analysis, pl Plan, prof *Profile) *image.RGBA {
	out := cropResample(img.RGBA, pl.CropX, pl.CropY, pl.CropW, pl.CropH, prof.Width, prof.Height)
	alpha := cropResampleMask(a.Mask.Pix, a.Mask.W, a.Mask.H, pl.CropX, pl.CropY, pl.CropW, pl.CropH, prof.Width, prof.Height)
	shapeAlpha(alpha)
	// Above the source's top edge there is only new background (never replicated hair).
	for j := range prof.Height {
		if pl.CropY+(float64(j)+0.5)/pl.Scale < 0 {
			clear(alpha[j*prof.Width : (j+1)*prof.Width])
		}
	}
	nose := a.Main.Mesh[4]
	nx, ny := int((nose.X-pl.CropX)*pl.Scale), int((nose.Y-pl.CropY)*pl.Scale)
	keepMainComponent(alpha, prof.Width, prof.Height, nx, ny, 3+int(0.03*pl.FaceWidth))
	// Raised arms and hands: pieces entering from a side or the top above the neck.
	faceX := ((a.Main.Mesh[234].X+a.Main.Mesh[454].X)/2 - pl.CropX) * pl.Scale
	chinY := (a.Main.Chin.Y - pl.CropY) * pl.Scale
	if removeRaisedLimbs(alpha, prof.Width, prof.Height, nx, ny, faceX, pl.FaceWidth, int(chinY+0.25*pl.FaceWidth)) {
		// Soft remnants of the limb's edge, now apart from the person.
		keepMainComponent(alpha, prof.Width, prof.Height, nx, ny, 3+int(0.03*pl.FaceWidth))
	}
	return composite(out, alpha, prof.Background)
}

// composite replaces the background of img (opaque RGBA, w×h) with bg using alpha
// (0 background … 1 person, len w*h). Edge pixels are decontaminated first: their
// foreground colour is estimated with blur-fusion foreground estimation (Germer et al.
// 2021, "Fast Multi-Level Foreground Estimation"), so the old background colour does not
// bleed into hair and shoulders as a fringe or halo.
func composite(img *image.RGBA, alpha []float32, bg [3]uint8) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	n := w * h
	I := make([]float32, 3*n)
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride:]
			for x := range w {
				i := y*w + x
				I[3*i], I[3*i+1], I[3*i+2] = float32(row[4*x])/255, float32(row[4*x+1])/255, float32(row[4*x+2])/255
			}
		}
	})
	F := estimateForeground(I, alpha, w, h)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	T := [3]float32{float32(bg[0]) / 255, float32(bg[1]) / 255, float32(bg[2]) / 255}
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := out.Pix[y*out.Stride:]
			for x := range w {
				i := y*w + x
				a := alpha[i]
				for c := range 3 {
					v := a*F[3*i+c] + (1-a)*T[c]
					row[4*x+c] = clamp8f(v * 255)
				}
				row[4*x+3] = 255
			}
		}
	})
	return out
}

// shapeAlpha firms up the soft segmentation: values below 0.06 become background and above
// 0.94 person, with a linear ramp between (removes faint haze far from the edge).
func shapeAlpha(a []float32) {
	for i, v := range a {
		a[i] = clamp01((v - 0.06) / 0.88)
	}
}

// satPool recycles the summed-area tables of estimateForeground (2 × 10 MB at 480×640).
var satPool sync.Pool

// estimateForeground returns F (3 floats per pixel) such that I ≈ αF + (1−α)B with F and B
// smooth, by two rounds of blur fusion (large radius, then small). Only pixels with
// 0 < α < 1 need F (where α = 1, F = I; where α = 0, F is unused and never feeds a blur
// because blurs weight F by α), so box means come from a summed-area table and are
// evaluated at edge pixels only. The table's 8 channels (αF, (1−α)B, α, 1−α) are built as
// two 4-channel tables on two goroutines, and the edge pixels are split between them.
func estimateForeground(I, alpha []float32, w, h int) []float32 {
	n := w * h
	F := make([]float32, 3*n)
	B := make([]float32, 3*n)
	copy(F, I)
	copy(B, I)
	var edge []int32
	for i, a := range alpha {
		if a > 0.001 && a < 0.999 {
			edge = append(edge, int32(i))
		}
	}
	const nc = 4 // per table: αF (3), α | (1−α)B (3), 1−α
	W1 := w + 1
	size := W1 * (h + 1) * nc
	var sats [2][]float64
	for t := range sats {
		if v, ok := satPool.Get().(*[]float64); ok && cap(*v) >= size {
			sats[t] = (*v)[:size]
		} else {
			sats[t] = make([]float64, size)
		}
		clear(sats[t][:W1*nc]) // row 0
		for y := 1; y <= h; y++ {
			clear(sats[t][y*W1*nc : y*W1*nc+nc]) // column 0
		}
	}
	defer func() {
		for t := range sats {
			satPool.Put(&sats[t])
		}
	}()
	nf := make([]float32, 3*len(edge))
	nb := make([]float32, 3*len(edge))
	for _, r := range []int{max(4, max(w, h)/10), 3} {
		var wg sync.WaitGroup
		for t := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sat := sats[t]
				src := F
				if t == 1 {
					src = B
				}
				var acc [nc]float64
				for y := range h {
					acc = [nc]float64{}
					up := sat[y*W1*nc:]
					cur := sat[(y+1)*W1*nc:]
					for x := range w {
						i := y*w + x
						a := float64(alpha[i])
						if t == 1 {
							a = 1 - a
						}
						acc[0] += a * float64(src[3*i])
						acc[1] += a * float64(src[3*i+1])
						acc[2] += a * float64(src[3*i+2])
						acc[3] += a
						o := (x + 1) * nc
						for k := range nc {
							cur[o+k] = up[o+k] + acc[k]
						}
					}
				}
			}()
		}
		wg.Wait()
		half := len(edge) / 2
		for t := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e0, e1 := 0, half
				if t == 1 {
					e0, e1 = half, len(edge)
				}
				for e := e0; e < e1; e++ {
					i := int(edge[e])
					x, y := i%w, i/w
					x0, x1 := max(0, x-r), min(w, x+r+1)
					y0, y1 := max(0, y-r), min(h, y+r+1)
					var m [2 * nc]float64
					a00, a01 := (y0*W1+x0)*nc, (y0*W1+x1)*nc
					a10, a11 := (y1*W1+x0)*nc, (y1*W1+x1)*nc
					for k := range nc {
						m[k] = sats[0][a11+k] - sats[0][a01+k] - sats[0][a10+k] + sats[0][a00+k]
						m[nc+k] = sats[1][a11+k] - sats[1][a01+k] - sats[1][a10+k] + sats[1][a00+k]
					}
					a := alpha[i]
					for c := range 3 {
						fb, bgb := I[3*i+c], I[3*i+c]
						if m[3] > 1e-6 {
							fb = float32(m[c] / m[3])
						}
						if m[nc+3] > 1e-6 {
							bgb = float32(m[nc+c] / m[nc+3])
						}
						resid := I[3*i+c] - a*fb - (1-a)*bgb
						nf[3*e+c] = clamp01(fb + a*resid)
						nb[3*e+c] = clamp01(bgb + (1-a)*resid)
					}
				}
			}()
		}
		wg.Wait()
		for e, i := range edge {
			copy(F[3*i:3*i+3], nf[3*e:3*e+3])
			copy(B[3*i:3*i+3], nb[3*e:3*e+3])
		}
	}
	return F
}

func clamp01(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

// boxBlur blurs a w×h plane with ch interleaved channels in place with a (2r+1)² box
// (edges normalised by the number of pixels inside). tmp must be as long as p.
func boxBlur(p, tmp []float32, w, h, ch, r int) {
	// Horizontal: p → tmp.
	for y := range h {
		row := p[y*w*ch : (y+1)*w*ch]
		out := tmp[y*w*ch : (y+1)*w*ch]
		for c := range ch {
			var s float32
			cnt := 0
			for x := 0; x <= r && x < w; x++ {
				s += row[x*ch+c]
				cnt++
			}
			for x := range w {
				out[x*ch+c] = s / float32(cnt)
				if xa := x + r + 1; xa < w {
					s += row[xa*ch+c]
					cnt++
				}
				if xr := x - r; xr >= 0 {
					s -= row[xr*ch+c]
					cnt--
				}
			}
		}
	}
	// Vertical: tmp → p, row by row with one running sum per column (cache friendly).
	rw := w * ch
	acc := make([]float32, rw)
	for y := 0; y <= r && y < h; y++ {
		row := tmp[y*rw : (y+1)*rw]
		for i, v := range row {
			acc[i] += v
		}
	}
	cnt := min(r+1, h)
	for y := range h {
		out := p[y*rw : (y+1)*rw]
		inv := 1 / float32(cnt)
		for i, v := range acc {
			out[i] = v * inv
		}
		if ya := y + r + 1; ya < h {
			row := tmp[ya*rw : (ya+1)*rw]
			for i, v := range row {
				acc[i] += v
			}
			cnt++
		}
		if yr := y - r; yr >= 0 {
			row := tmp[yr*rw : (yr+1)*rw]
			for i, v := range row {
				acc[i] -= v
			}
			cnt--
		}
	}
}

// keepMainComponent zeroes alpha (w×h, 0..1) outside the connected person region
// (alpha ≥ 0.5, 4-connected) that contains the seed, keeping a soft border of r pixels:
// bystanders and stray blobs are removed from the matte.
func keepMainComponent(alpha []float32, w, h, seedX, seedY, r int) {
	start := -1
	for d := 0; d < 40 && start < 0; d++ {
		for _, o := range [][2]int{{0, d}, {0, -d}, {d, 0}, {-d, 0}} {
			x, y := seedX+o[0], seedY+o[1]
			if x >= 0 && y >= 0 && x < w && y < h && alpha[y*w+x] >= 0.5 {
				start = y*w + x
				break
			}
		}
	}
	if start < 0 {
		return
	}
	comp := make([]float32, len(alpha))
	stack := []int{start}
	comp[start] = 1
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := i%w, i/w
		if x > 0 && comp[i-1] == 0 && alpha[i-1] >= 0.5 {
			comp[i-1] = 1
			stack = append(stack, i-1)
		}
		if x < w-1 && comp[i+1] == 0 && alpha[i+1] >= 0.5 {
			comp[i+1] = 1
			stack = append(stack, i+1)
		}
		if y > 0 && comp[i-w] == 0 && alpha[i-w] >= 0.5 {
			comp[i-w] = 1
			stack = append(stack, i-w)
		}
		if y < h-1 && comp[i+w] == 0 && alpha[i+w] >= 0.5 {
			comp[i+w] = 1
			stack = append(stack, i+w)
		}
	}
	boxBlur(comp, make([]float32, len(comp)), w, h, 1, r)
	for i, v := range comp {
		if v <= 0 {
			alpha[i] = 0
		}
	}
}
