package vision

import (
	"image"
	"image/color"
	"math"
	"sync"
)

// raster is an 8-bit copy of the analysed image: packed RGB plus a luma plane,
// with a lazily built pyramid of 2×2 box-averaged levels, so that sampling a small
// network input from a large photo does not alias. For YCbCr sources (JPEG) the
// full-resolution RGB is only built when something samples level 0 (small images
// or small ROIs); level 1 is built straight from the YCbCr planes and the luma
// plane is the JPEG's Y.
type raster struct {
	w, h int
	pix  []uint8 // RGB, row-major, 3 bytes per pixel; nil until built for YCbCr sources
	lum  []uint8 // luma (BT.601), row-major

	src    *image.YCbCr // lazy source of pix
	mu     sync.Mutex
	levels []*raster // levels[0] is the receiver itself
}

// newRaster converts img. Fast paths cover the types the standard decoders
// return; anything else goes through color.RGBAModel.
func newRaster(img image.Image) *raster {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	r := &raster{w: w, h: h}
	if src, ok := img.(*image.YCbCr); ok {
		r.src = src
		r.lum = make([]uint8, w*h)
		for y := 0; y < h; y++ {
			o := src.YOffset(b.Min.X, b.Min.Y+y)
			copy(r.lum[y*w:(y+1)*w], src.Y[o:o+w])
		}
		return r
	}
	r.pix = make([]uint8, 3*w*h)
	switch src := img.(type) {
	case *image.RGBA:
		// Packed RGB and luma in one sweep, rows split over two goroutines.
		r.lum = make([]uint8, w*h)
		rows := func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				row := src.Pix[y*src.Stride : y*src.Stride+4*w]
				out := r.pix[3*y*w : 3*(y+1)*w]
				lum := r.lum[y*w : (y+1)*w]
				for x := range lum {
					p := row[4*x : 4*x+3 : 4*x+3]
					o := out[3*x : 3*x+3 : 3*x+3]
					o[0], o[1], o[2] = p[0], p[1], p[2]
					lum[x] = uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
				}
			}
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows(h/2, h)
		}()
		rows(0, h/2)
		wg.Wait()
		return r
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := src.Pix[(y)*src.Stride : (y)*src.Stride+4*w]
			out := r.pix[3*y*w : 3*(y+1)*w]
			for x := 0; x < w; x++ {
				a := uint32(row[4*x+3])
				out[3*x] = uint8(uint32(row[4*x]) * a / 255)
				out[3*x+1] = uint8(uint32(row[4*x+1]) * a / 255)
				out[3*x+2] = uint8(uint32(row[4*x+2]) * a / 255)
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+w]
			out := r.pix[3*y*w : 3*(y+1)*w]
			for x := 0; x < w; x++ {
				out[3*x], out[3*x+1], out[3*x+2] = row[x], row[x], row[x]
			}
		}
	default:
		for y := 0; y < h; y++ {
			out := r.pix[3*y*w : 3*(y+1)*w]
			for x := 0; x < w; x++ {
				c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
				out[3*x], out[3*x+1], out[3*x+2] = c.R, c.G, c.B
			}
		}
	}
	r.lum = lumaOf(r.pix)
	return r
}

// lumaOf computes BT.601 luma from packed RGB.
func lumaOf(pix []uint8) []uint8 {
	out := make([]uint8, len(pix)/3)
	for i := range out {
		p := pix[3*i : 3*i+3]
		out[i] = uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
	}
	return out
}

// ensureRGB builds the full-resolution RGB of a YCbCr source. The caller holds r.mu.
func (r *raster) ensureRGB() {
	if r.pix == nil {
		r.pix = make([]uint8, 3*r.w*r.h)
		ycbcrToRGB(r.pix, r.src)
	}
}

// halfFromYCbCr builds the half-size level straight from 4:2:0 planes: Y averaged
// over 2×2, chroma taken from the sample covering the block.
func halfFromYCbCr(src *image.YCbCr) *raster {
	b := src.Bounds()
	w, h := max(b.Dx()/2, 1), max(b.Dy()/2, 1)
	o := &raster{w: w, h: h, pix: make([]uint8, 3*w*h), lum: make([]uint8, w*h)}
	for y := 0; y < h; y++ {
		sy0 := b.Min.Y + min(2*y, b.Dy()-1)
		sy1 := b.Min.Y + min(2*y+1, b.Dy()-1)
		y0 := src.Y[src.YOffset(b.Min.X, sy0):]
		y1 := src.Y[src.YOffset(b.Min.X, sy1):]
		out := o.pix[3*y*w : 3*(y+1)*w]
		lum := o.lum[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			x0 := min(2*x, b.Dx()-1)
			x1 := min(2*x+1, b.Dx()-1)
			yv := (uint32(y0[x0]) + uint32(y0[x1]) + uint32(y1[x0]) + uint32(y1[x1]) + 2) >> 2
			ci := src.COffset(b.Min.X+x0, sy0)
			yy := int32(yv) * 0x10101
			cb := int32(src.Cb[ci]) - 128
			cr := int32(src.Cr[ci]) - 128
			out[3*x] = clip16(yy + 91881*cr)
			out[3*x+1] = clip16(yy - 22554*cb - 46802*cr)
			out[3*x+2] = clip16(yy + 116130*cb)
			lum[x] = uint8(yv)
		}
	}
	return o
}

// ycbcrToRGB converts a YCbCr image (any subsampling) to packed RGB, with the
// same integer arithmetic as color.YCbCrToRGB, two goroutines over row bands.
func ycbcrToRGB(dst []uint8, src *image.YCbCr) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	hx, vy := 1, 1
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hx = 2
	case image.YCbCrSubsampleRatio420:
		hx, vy = 2, 2
	case image.YCbCrSubsampleRatio440:
		vy = 2
	case image.YCbCrSubsampleRatio411:
		hx = 4
	case image.YCbCrSubsampleRatio410:
		hx, vy = 4, 2
	}
	cols := make([]int, w)
	for x := 0; x < w; x++ {
		sx := b.Min.X + x
		cols[x] = sx/hx - src.Rect.Min.X/hx
	}
	rows := func(ya, yb int) {
		for y := ya; y < yb; y++ {
			sy := b.Min.Y + y
			yrow := src.Y[(sy-src.Rect.Min.Y)*src.YStride+(b.Min.X-src.Rect.Min.X):]
			crow := (sy/vy - src.Rect.Min.Y/vy) * src.CStride
			cbRow := src.Cb[crow:]
			crRow := src.Cr[crow:]
			out := dst[3*y*w : 3*(y+1)*w]
			for x := 0; x < w; x++ {
				ci := cols[x]
				yy := int32(yrow[x]) * 0x10101
				cb := int32(cbRow[ci]) - 128
				cr := int32(crRow[ci]) - 128
				rr := yy + 91881*cr
				gg := yy - 22554*cb - 46802*cr
				bb := yy + 116130*cb
				out[3*x] = clip16(rr)
				out[3*x+1] = clip16(gg)
				out[3*x+2] = clip16(bb)
			}
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rows(h/2, h)
	}()
	rows(0, h/2)
	wg.Wait()
}

// clip16 converts a 16.16 fixed-point value to a byte, clamping to 0..255.
func clip16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// half returns the 2×2 box-averaged half-size raster (odd edges are dropped).
func (r *raster) half() *raster {
	w, h := r.w/2, r.h/2
	if w < 1 {
		w = 1
	}
	if h < 1 {
		h = 1
	}
	o := &raster{w: w, h: h, pix: make([]uint8, 3*w*h), lum: make([]uint8, w*h)}
	for y := 0; y < h; y++ {
		y0 := min(2*y, r.h-1)
		l0 := r.lum[y0*r.w : (y0+1)*r.w]
		l1 := r.lum[min(2*y+1, r.h-1)*r.w:]
		lo := o.lum[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			x0, x1 := min(2*x, r.w-1), min(2*x+1, r.w-1)
			lo[x] = uint8((uint32(l0[x0]) + uint32(l0[x1]) + uint32(l1[x0]) + uint32(l1[x1]) + 2) >> 2)
		}
		y1 := min(2*y+1, r.h-1)
		a := r.pix[3*y0*r.w : 3*(y0+1)*r.w]
		b := r.pix[3*y1*r.w : 3*(y1+1)*r.w]
		out := o.pix[3*y*w : 3*(y+1)*w]
		for x := 0; x < w; x++ {
			x0 := 3 * min(2*x, r.w-1)
			x1 := 3 * min(2*x+1, r.w-1)
			a0, a1, b0, b1 := a[x0:x0+3], a[x1:x1+3], b[x0:x0+3], b[x1:x1+3]
			o3 := out[3*x : 3*x+3]
			o3[0] = uint8((uint32(a0[0]) + uint32(a1[0]) + uint32(b0[0]) + uint32(b1[0]) + 2) >> 2)
			o3[1] = uint8((uint32(a0[1]) + uint32(a1[1]) + uint32(b0[1]) + uint32(b1[1]) + 2) >> 2)
			o3[2] = uint8((uint32(a0[2]) + uint32(a1[2]) + uint32(b0[2]) + uint32(b1[2]) + 2) >> 2)
		}
	}
	return o
}

// level returns the pyramid level k (0 = full size) with its RGB built, building
// it on demand. Safe for concurrent use.
func (r *raster) level(k int) *raster {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k <= 0 {
		r.ensureRGB()
		return r
	}
	if len(r.levels) == 0 {
		r.levels = []*raster{r}
	}
	for len(r.levels) <= k {
		last := r.levels[len(r.levels)-1]
		if last.w <= 1 && last.h <= 1 {
			return last
		}
		var next *raster
		if last == r && r.pix == nil && r.src.SubsampleRatio == image.YCbCrSubsampleRatio420 {
			next = halfFromYCbCr(r.src)
		} else {
			if last == r {
				r.ensureRGB()
			}
			next = last.half()
		}
		r.levels = append(r.levels, next)
	}
	return r.levels[k]
}

// forScale returns the pyramid level suited to sampling with the given step
// (source pixels per output pixel) and the factor by which source coordinates must
// be divided for that level.
func (r *raster) forScale(step float64) (*raster, float64) {
	k := 0
	for step >= 2*math.Pow(2, float64(k)) && k < 12 {
		k++
	}
	lv := r.level(k)
	if k == 0 {
		return lv, 1
	}
	return lv, float64(r.w) / float64(lv.w)
}

// bilinear samples the raster at continuous pixel coordinates (pixel centres at
// integer+0.5). Outside the raster it returns black (MediaPipe's BORDER_ZERO).
func (r *raster) bilinear(x, y float64) (float64, float64, float64) {
	x -= 0.5
	y -= 0.5
	x0 := math.Floor(x)
	y0 := math.Floor(y)
	fx := x - x0
	fy := y - y0
	ix, iy := int(x0), int(y0)
	var acc [3]float64
	for dy := 0; dy < 2; dy++ {
		yy := iy + dy
		wy := fy
		if dy == 0 {
			wy = 1 - fy
		}
		if yy < 0 || yy >= r.h || wy == 0 {
			continue
		}
		for dx := 0; dx < 2; dx++ {
			xx := ix + dx
			wx := fx
			if dx == 0 {
				wx = 1 - fx
			}
			if xx < 0 || xx >= r.w || wx == 0 {
				continue
			}
			p := r.pix[3*(yy*r.w+xx):]
			wgt := wx * wy
			acc[0] += wgt * float64(p[0])
			acc[1] += wgt * float64(p[1])
			acc[2] += wgt * float64(p[2])
		}
	}
	return acc[0], acc[1], acc[2]
}

// roi is a possibly rotated rectangle in image pixels: centre, size and rotation
// (radians, clockwise in the image since y points down).
type roi struct {
	CX, CY, W, H, Rot float64
}

// toImage maps normalised ROI coordinates (u, v in 0..1 across the ROI, before
// rotation) to image pixels.
func (q roi) toImage(u, v float64) (float64, float64) {
	dx := (u - 0.5) * q.W
	dy := (v - 0.5) * q.H
	s, c := math.Sincos(q.Rot)
	return q.CX + c*dx - s*dy, q.CY + s*dx + c*dy
}

// fromImage is the inverse of toImage.
func (q roi) fromImage(x, y float64) (float64, float64) {
	dx := x - q.CX
	dy := y - q.CY
	s, c := math.Sincos(q.Rot)
	rx := c*dx + s*dy
	ry := -s*dx + c*dy
	return rx/q.W + 0.5, ry/q.H + 0.5
}

// sampleROI fills dst (size×size×3, NHWC) with the ROI resampled bilinearly and
// mapped from 0..255 to lo..hi.
func (r *raster) sampleROI(dst []float32, size int, q roi, lo, hi float64) {
	step := math.Max(q.W, q.H) / float64(size)
	src, f := r.forScale(step)
	scale := (hi - lo) / 255
	for v := 0; v < size; v++ {
		for u := 0; u < size; u++ {
			x, y := q.toImage((float64(u)+0.5)/float64(size), (float64(v)+0.5)/float64(size))
			rr, gg, bb := src.bilinear(x/f, y/f)
			i := 3 * (v*size + u)
			dst[i] = float32(lo + rr*scale)
			dst[i+1] = float32(lo + gg*scale)
			dst[i+2] = float32(lo + bb*scale)
		}
	}
}

// sampleStretch fills dst (tw×th×3) with the whole raster stretched to tw×th
// (no aspect ratio kept), values mapped to lo..hi.
func (r *raster) sampleStretch(dst []float32, tw, th int, lo, hi float64) {
	step := math.Min(float64(r.w)/float64(tw), float64(r.h)/float64(th))
	src, f := r.forScale(step)
	sx := float64(r.w) / float64(tw)
	sy := float64(r.h) / float64(th)
	scale := (hi - lo) / 255
	for v := 0; v < th; v++ {
		y := (float64(v) + 0.5) * sy
		for u := 0; u < tw; u++ {
			x := (float64(u) + 0.5) * sx
			rr, gg, bb := src.bilinear(x/f, y/f)
			i := 3 * (v*tw + u)
			dst[i] = float32(lo + rr*scale)
			dst[i+1] = float32(lo + gg*scale)
			dst[i+2] = float32(lo + bb*scale)
		}
	}
}

// luma returns the luminance (BT.601, 0..1) of the raster as float32.
func (r *raster) luma() []float32 {
	out := make([]float32, r.w*r.h)
	for i, v := range r.lum {
		out[i] = float32(v) * (1.0 / 255)
	}
	return out
}
