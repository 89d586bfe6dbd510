package jpegenc

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"xiaoxiang/internal/testenv"
)

// namedImage is a test input.
type namedImage struct {
	name string
	img  image.Image
}

// loadPortraits returns up to n 480×640 RGBA portraits made (in memory only) from the
// registry fixtures and the shared dev photos: centre crop to 3:4, area-resampled.
func loadPortraits(tb testing.TB, n int) []namedImage {
	tb.Helper()
	var files []string
	for _, dir := range []string{testenv.FixturesDir(tb), testenv.PortraitsDir(tb)} {
		if dir == "" {
			continue
		}
		m, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
		sort.Strings(m)
		files = append(files, m...)
	}
	var out []namedImage
	seen := map[string]bool{}
	for _, f := range files {
		if len(out) >= n {
			break
		}
		if seen[filepath.Base(f)] {
			continue
		}
		seen[filepath.Base(f)] = true
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			continue
		}
		out = append(out, namedImage{filepath.Base(f), resize34(img, 480, 640)})
	}
	return out
}

// portrait is one 480×640 test portrait: the first fixture, or a synthetic one with
// similar detail when no photos are present.
func portrait(tb testing.TB) namedImage {
	if p := loadPortraits(tb, 1); len(p) > 0 {
		return p[0]
	}
	return namedImage{"synthetic-portrait", synthPortrait(480, 640, 1)}
}

// resize34 crops img to the aspect ratio w:h around its centre and area-averages it to w×h.
func resize34(img image.Image, w, h int) *image.RGBA {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	cw, ch := sw, sw*h/w
	if ch > sh {
		ch, cw = sh, sh*w/h
	}
	x0, y0 := b.Min.X+(sw-cw)/2, b.Min.Y+(sh-ch)/2
	src := image.NewRGBA(image.Rect(0, 0, cw, ch))
	for y := range ch {
		for x := range cw {
			src.Set(x, y, img.At(x0+x, y0+y))
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		sy0, sy1 := y*ch/h, max(y*ch/h+1, (y+1)*ch/h)
		for x := range w {
			sx0, sx1 := x*cw/w, max(x*cw/w+1, (x+1)*cw/w)
			var s [3]int
			n := 0
			for yy := sy0; yy < sy1; yy++ {
				for xx := sx0; xx < sx1; xx++ {
					p := src.Pix[yy*src.Stride+4*xx:]
					s[0] += int(p[0])
					s[1] += int(p[1])
					s[2] += int(p[2])
					n++
				}
			}
			d := dst.Pix[y*dst.Stride+4*x:]
			d[0], d[1], d[2], d[3] = uint8(s[0]/n), uint8(s[1]/n), uint8(s[2]/n), 255
		}
	}
	return dst
}

// synthPortrait draws a portrait-like picture: a plain background, a shaded ellipse
// "head" and "shoulders", some texture (hair-like strokes) and mild noise.
func synthPortrait(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 7))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, float64(h)*0.4
	for y := range h {
		for x := range w {
			fx, fy := float64(x), float64(y)
			c := [3]float64{225, 230, 240} // light background
			dx, dy := (fx-cx)/(float64(w)*0.22), (fy-cy)/(float64(h)*0.22)
			if d := dx*dx + dy*dy; d < 1 {
				shade := 1 - 0.25*d
				c = [3]float64{220 * shade, 170 * shade, 140 * shade}
				if fy < cy-float64(h)*0.08 { // hair with stripes
					v := 40 + 30*math.Sin(fx*0.7+math.Sin(fy*0.1)*4)
					c = [3]float64{v, v * 0.8, v * 0.6}
				}
			}
			if fy > float64(h)*0.7 && math.Abs(fx-cx) < float64(w)*0.45*(fy/float64(h)) { // shoulders
				v := 60 + 20*math.Sin(fx*0.15)*math.Cos(fy*0.2)
				c = [3]float64{v, v, v * 1.3}
			}
			for i := range c {
				c[i] += r.NormFloat64() * 3
			}
			m.Pix[y*m.Stride+4*x+0] = clampF(c[0])
			m.Pix[y*m.Stride+4*x+1] = clampF(c[1])
			m.Pix[y*m.Stride+4*x+2] = clampF(c[2])
			m.Pix[y*m.Stride+4*x+3] = 255
		}
	}
	return m
}

func clampF(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }

// noiseImage is uniform random RGB noise: big coefficients and many 0xFF bytes.
func noiseImage(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.Uint32())
	}
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 255
	}
	return m
}

func flatImage(w, h int, c color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return m
}

// gradientImage has smooth ramps and a few sharp edges.
func gradientImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			p := m.Pix[y*m.Stride+4*x:]
			p[0] = uint8(x * 255 / max(1, w-1))
			p[1] = uint8(y * 255 / max(1, h-1))
			p[2] = uint8((x + y) % 64 * 4)
			if (x/37+y/23)%5 == 0 {
				p[2] = 255
			}
			p[3] = 255
		}
	}
	return m
}

// psnr is the PSNR (dB) over the R, G and B channels of two images of the same size.
func psnr(a, b image.Image) float64 {
	r := a.Bounds()
	var se float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x-r.Min.X+b.Bounds().Min.X, y-r.Min.Y+b.Bounds().Min.Y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				se += d * d
			}
		}
	}
	mse := se / float64(3*r.Dx()*r.Dy())
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

func stdEncode(tb testing.TB, img image.Image, q int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func decode(tb testing.TB, data []byte) image.Image {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("decode: %v", err)
	}
	return img
}

// segment is one marker segment of a JPEG file.
type segment struct {
	marker byte
	data   []byte // payload after the length
}

// walkMarkers splits a JPEG file into its marker segments up to SOS, checks that the
// entropy-coded data after SOS contains only stuffed 0xFF bytes and that the file ends
// with EOI right after it.
func walkMarkers(t *testing.T, f []byte) []segment {
	t.Helper()
	if len(f) < 4 || f[0] != 0xff || f[1] != 0xd8 {
		t.Fatal("no SOI")
	}
	var segs []segment
	p := 2
	for {
		if p+4 > len(f) || f[p] != 0xff {
			t.Fatalf("expected a marker at %d", p)
		}
		m := f[p+1]
		n := int(binary.BigEndian.Uint16(f[p+2:]))
		if n < 2 || p+2+n > len(f) {
			t.Fatalf("segment %#x at %d overruns", m, p)
		}
		segs = append(segs, segment{m, f[p+4 : p+2+n]})
		p += 2 + n
		if m == 0xda {
			break
		}
	}
	for ; p < len(f)-2; p++ {
		if f[p] == 0xff {
			if f[p+1] != 0 {
				t.Fatalf("marker %#x inside entropy data at %d", f[p+1], p)
			}
			p++
		}
	}
	if p != len(f)-2 || f[p] != 0xff || f[p+1] != 0xd9 {
		t.Fatalf("file does not end with EOI right after the entropy data")
	}
	return segs
}

// stdlibLuma is the luminance quantisation table (zig-zag order, as stored) that the
// standard library's encoder writes at quality q: an independent reference for ours.
func stdlibLuma(t *testing.T, q int) []uint16 {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	f := buf.Bytes()
	for p := 2; p+4 < len(f); {
		n := int(f[p+2])<<8 | int(f[p+3])
		if f[p+1] == 0xdb && f[p+4] == 0 { // DQT, 8-bit, table 0
			luma := make([]uint16, 64)
			for i := range luma {
				luma[i] = uint16(f[p+5+i])
			}
			return luma
		}
		p += 2 + n
	}
	t.Fatal("no luminance DQT in image/jpeg's output")
	return nil
}
