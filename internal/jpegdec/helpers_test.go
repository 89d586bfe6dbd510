package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// synth makes a deterministic test picture: smooth gradients, a few hard edges
// and some noise (noise is the amplitude of the per-pixel noise).
func synth(w, h int, seed int64, noise int) *image.RGBA {
	rng := rand.New(rand.NewSource(seed))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(max(w, 1)), float64(y)/float64(max(h, 1))
			r := 128 + 100*math.Sin(6*fx+2*fy)
			g := 255 * fy
			b := 128 + 90*math.Cos(9*fx*fy+1)
			if (x/37+y/23)%5 == 0 { // hard-edged patches
				r, g = 255-r, 40
			}
			n := 0.0
			if noise > 0 {
				n = float64(rng.Intn(2*noise+1) - noise)
			}
			img.SetRGBA(x, y, color.RGBA{c8(r + n), c8(g + n), c8(b - n), 255})
		}
	}
	return img
}

func c8(v float64) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

func encodeStd(tb testing.TB, img image.Image, q int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// plane is one 8-bit channel of an image, w×h, row-major.
type plane struct {
	w, h int
	pix  []byte
}

func (p plane) at(x, y int) int { return int(p.pix[y*p.w+x]) }

// planesOf returns the Y (or grey), Cb and Cr planes of a decoded image at their
// own resolution (chroma subsampled as in the image).
func planesOf(tb testing.TB, m image.Image) []plane {
	tb.Helper()
	switch m := m.(type) {
	case *image.Gray:
		b := m.Rect
		p := plane{w: b.Dx(), h: b.Dy()}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			i := m.PixOffset(b.Min.X, y)
			p.pix = append(p.pix, m.Pix[i:i+p.w]...)
		}
		return []plane{p}
	case *image.YCbCr:
		b := m.Rect
		yp := plane{w: b.Dx(), h: b.Dy()}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			i := m.YOffset(b.Min.X, y)
			yp.pix = append(yp.pix, m.Y[i:i+yp.w]...)
		}
		cw, ch := chromaSize(b.Dx(), b.Dy(), m.SubsampleRatio)
		cb, cr := plane{w: cw, h: ch}, plane{w: cw, h: ch}
		for y := 0; y < ch; y++ {
			i := y * m.CStride
			cb.pix = append(cb.pix, m.Cb[i:i+cw]...)
			cr.pix = append(cr.pix, m.Cr[i:i+cw]...)
		}
		return []plane{yp, cb, cr}
	}
	tb.Fatalf("unexpected image type %T", m)
	return nil
}

func chromaSize(w, h int, r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// to444 upsamples chroma planes to full size by replication, so that images with
// different subsampling (our 4:4:4 fallback) can be compared.
func upsample(p plane, w, h int) plane {
	if p.w == w && p.h == h {
		return p
	}
	q := plane{w: w, h: h, pix: make([]byte, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			q.pix[y*w+x] = p.pix[(y*p.h/h)*p.w+x*p.w/w]
		}
	}
	return q
}

// boxDown averages s×s cells (partial cells at the edges average what they have).
func boxDown(p plane, s int) plane {
	w, h := (p.w+s-1)/s, (p.h+s-1)/s
	q := plane{w: w, h: h, pix: make([]byte, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sum, n := 0, 0
			for j := y * s; j < min(y*s+s, p.h); j++ {
				for i := x * s; i < min(x*s+s, p.w); i++ {
					sum += p.at(i, j)
					n++
				}
			}
			q.pix[y*w+x] = byte((sum + n/2) / n)
		}
	}
	return q
}

type diffStats struct {
	maxAbs int
	mean   float64
	psnr   float64
}

func (d diffStats) String() string {
	return fmt.Sprintf("max %d mean %.3f PSNR %.1f dB", d.maxAbs, d.mean, d.psnr)
}

func compare(tb testing.TB, a, b plane) diffStats {
	tb.Helper()
	if a.w != b.w || a.h != b.h {
		tb.Fatalf("plane sizes differ: %dx%d vs %dx%d", a.w, a.h, b.w, b.h)
	}
	var d diffStats
	sum, sq := 0, 0.0
	for i := range a.pix {
		e := int(a.pix[i]) - int(b.pix[i])
		if e < 0 {
			e = -e
		}
		d.maxAbs = max(d.maxAbs, e)
		sum += e
		sq += float64(e * e)
	}
	n := float64(len(a.pix))
	d.mean = float64(sum) / n
	if sq == 0 {
		d.psnr = math.Inf(1)
	} else {
		d.psnr = 10 * math.Log10(255*255/(sq/n))
	}
	return d
}

func fmtSscan(s string, a ...any) (int, error) { return fmt.Sscan(s, a...) }

func readFileTB(tb testing.TB, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", name))
}
