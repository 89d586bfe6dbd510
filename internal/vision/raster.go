package vision

import (
	"image"
	"image/color"
	"math"
	"sync"
)

// raster is a packed 8-bit RGB copy of the analysed image with a lazily built
// pyramid of 2×2 box-averaged levels, so that sampling a small network input from
// a large photo does not alias.
type raster struct {
	w, h int
	pix  []uint8 // RGB, row-major, 3 bytes per pixel

	once   sync.Mutex
	levels []*raster // levels[0] is the receiver itself
}

// newRaster converts img to packed RGB. Fast paths cover the types the standard
// decoders return; anything else goes through color.RGBAModel.
func newRaster(img image.Image) *raster {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	r := &raster{w: w, h: h, pix: make([]uint8, 3*w*h)}
	switch src := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			out := r.pix[3*y*w : 3*(y+1)*w]
			sy := b.Min.Y + y
			for x := 0; x < w; x++ {
				sx := b.Min.X + x
				yi := src.YOffset(sx, sy)
				ci := src.COffset(sx, sy)
				rr, gg, bb := color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				out[3*x], out[3*x+1], out[3*x+2] = rr, gg, bb
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := src.Pix[(y)*src.Stride : (y)*src.Stride+4*w]
			out := r.pix[3*y*w : 3*(y+1)*w]
			for x := 0; x < w; x++ {
				out[3*x], out[3*x+1], out[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
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
	return r
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
	o := &raster{w: w, h: h, pix: make([]uint8, 3*w*h)}
	for y := 0; y < h; y++ {
		y0 := min(2*y, r.h-1)
		y1 := min(2*y+1, r.h-1)
		a := r.pix[3*y0*r.w:]
		b := r.pix[3*y1*r.w:]
		out := o.pix[3*y*w:]
		for x := 0; x < w; x++ {
			x0 := 3 * min(2*x, r.w-1)
			x1 := 3 * min(2*x+1, r.w-1)
			for c := 0; c < 3; c++ {
				out[3*x+c] = uint8((uint32(a[x0+c]) + uint32(a[x1+c]) + uint32(b[x0+c]) + uint32(b[x1+c]) + 2) / 4)
			}
		}
	}
	return o
}

// level returns the pyramid level k (0 = full size), building it on demand.
// Safe for concurrent use.
func (r *raster) level(k int) *raster {
	if k <= 0 {
		return r
	}
	r.once.Lock()
	defer r.once.Unlock()
	if len(r.levels) == 0 {
		r.levels = []*raster{r}
	}
	for len(r.levels) <= k {
		last := r.levels[len(r.levels)-1]
		if last.w <= 1 && last.h <= 1 {
			return last
		}
		r.levels = append(r.levels, last.half())
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
	if k == 0 {
		return r, 1
	}
	lv := r.level(k)
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
	for i := range out {
		p := r.pix[3*i:]
		out[i] = (0.299*float32(p[0]) + 0.587*float32(p[1]) + 0.114*float32(p[2])) / 255
	}
	return out
}
