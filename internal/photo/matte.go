package photo

import (
	"image"
)

// composite replaces the background of img (opaque RGBA, w×h) with bg using alpha
// (0 background … 1 person, len w*h). Edge pixels are decontaminated first: their
// foreground colour is estimated with blur-fusion foreground estimation (Germer et al.
// 2021, "Fast Multi-Level Foreground Estimation"), so the old background colour does not
// bleed into hair and shoulders as a fringe or halo.
func composite(img *image.RGBA, alpha []float32, bg [3]uint8) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	n := w * h
	I := make([]float32, 3*n)
	for y := range h {
		row := img.Pix[y*img.Stride:]
		for x := range w {
			i := y*w + x
			I[3*i], I[3*i+1], I[3*i+2] = float32(row[4*x])/255, float32(row[4*x+1])/255, float32(row[4*x+2])/255
		}
	}
	F := estimateForeground(I, alpha, w, h)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	T := [3]float32{float32(bg[0]) / 255, float32(bg[1]) / 255, float32(bg[2]) / 255}
	for y := range h {
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
	return out
}

// estimateForeground returns F (3 floats per pixel) such that I ≈ αF + (1−α)B with F and B
// smooth, by two rounds of blur fusion (large radius, then small).
func estimateForeground(I, alpha []float32, w, h int) []float32 {
	n := w * h
	F := make([]float32, 3*n)
	B := make([]float32, 3*n)
	copy(F, I)
	copy(B, I)
	fa := make([]float32, 3*n)
	bb := make([]float32, 3*n)
	a1 := make([]float32, n)
	a0 := make([]float32, n)
	tmp := make([]float32, 3*n)
	for _, r := range []int{max(4, max(w, h)/10), 3} {
		for i := range n {
			a := alpha[i]
			a1[i], a0[i] = a, 1-a
			for c := range 3 {
				fa[3*i+c] = F[3*i+c] * a
				bb[3*i+c] = B[3*i+c] * (1 - a)
			}
		}
		boxBlur(fa, tmp, w, h, 3, r)
		boxBlur(bb, tmp, w, h, 3, r)
		boxBlur(a1, tmp, w, h, 1, r)
		boxBlur(a0, tmp, w, h, 1, r)
		for i := range n {
			a := alpha[i]
			for c := range 3 {
				fb := I[3*i+c]
				if a1[i] > 1e-5 {
					fb = fa[3*i+c] / a1[i]
				}
				bgb := I[3*i+c]
				if a0[i] > 1e-5 {
					bgb = bb[3*i+c] / a0[i]
				}
				resid := I[3*i+c] - a*fb - (1-a)*bgb
				F[3*i+c] = clamp01(fb + a*resid)
				B[3*i+c] = clamp01(bgb + (1-a)*resid)
			}
		}
	}
	// Fully opaque pixels keep their exact colour.
	for i := range n {
		if alpha[i] >= 0.999 {
			F[3*i], F[3*i+1], F[3*i+2] = I[3*i], I[3*i+1], I[3*i+2]
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
	// Vertical: tmp → p.
	for x := range w {
		for c := range ch {
			var s float32
			cnt := 0
			for y := 0; y <= r && y < h; y++ {
				s += tmp[(y*w+x)*ch+c]
				cnt++
			}
			for y := range h {
				p[(y*w+x)*ch+c] = s / float32(cnt)
				if ya := y + r + 1; ya < h {
					s += tmp[(ya*w+x)*ch+c]
					cnt++
				}
				if yr := y - r; yr >= 0 {
					s -= tmp[(yr*w+x)*ch+c]
					cnt--
				}
			}
		}
	}
}

// mainComponent returns a copy of the mask keeping only the connected person region
// (mask ≥ 0.5, 4-connected) that contains seed, plus a soft border of r pixels around it:
// bystanders and stray blobs are removed from the matte.
func mainComponent(pix []uint8, w, h int, seedX, seedY int, r int) []uint8 {
	out := make([]uint8, len(pix))
	if seedX < 0 || seedY < 0 || seedX >= w || seedY >= h {
		copy(out, pix)
		return out
	}
	// Start from the nearest person pixel to the seed within a small window.
	start := -1
	for d := 0; d < 40 && start < 0; d++ {
		for _, o := range [][2]int{{0, d}, {0, -d}, {d, 0}, {-d, 0}} {
			x, y := seedX+o[0], seedY+o[1]
			if x >= 0 && y >= 0 && x < w && y < h && pix[y*w+x] >= 128 {
				start = y*w + x
				break
			}
		}
	}
	if start < 0 {
		copy(out, pix)
		return out
	}
	comp := make([]float32, len(pix))
	stack := []int{start}
	comp[start] = 1
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := i%w, i/w
		for _, j := range [4]int{i - 1, i + 1, i - w, i + w} {
			if (j == i-1 && x == 0) || (j == i+1 && x == w-1) || (j == i-w && y == 0) || (j == i+w && y == h-1) {
				continue
			}
			if comp[j] == 0 && pix[j] >= 128 {
				comp[j] = 1
				stack = append(stack, j)
			}
		}
	}
	boxBlur(comp, make([]float32, len(comp)), w, h, 1, r)
	for i, v := range comp {
		if v > 0 {
			out[i] = pix[i]
		}
	}
	return out
}
