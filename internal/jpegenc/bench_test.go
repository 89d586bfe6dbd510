package jpegenc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"slices"
	"sort"
	"sync"
	"testing"
)

// benchImage is a 480×640 portrait: a fixture resized, or a synthetic one.
func benchImage(b *testing.B) image.Image {
	b.Helper()
	return portrait(b).img
}

func BenchmarkPrepare(b *testing.B) {
	img := benchImage(b)
	for b.Loop() {
		Prepare(img, Options{DPI: 300})
	}
}

func BenchmarkSize(b *testing.B) {
	p := Prepare(benchImage(b), Options{DPI: 300})
	for b.Loop() {
		p.Size(85)
	}
}

func BenchmarkEncode(b *testing.B) {
	p := Prepare(benchImage(b), Options{DPI: 300})
	b.ReportMetric(float64(len(p.Encode(85))), "bytes")
	for b.Loop() {
		p.Encode(85)
	}
}

// BenchmarkFit is the whole job: Prepare, then Fit(60, 100, 20 KB, 40 KB).
func BenchmarkFit(b *testing.B) {
	img := benchImage(b)
	var q int
	for b.Loop() {
		var err error
		q, _, err = Prepare(img, Options{DPI: 300}).Fit(60, 100, 20<<10, 40<<10)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(q), "quality")
}

func BenchmarkImageJPEGEncode(b *testing.B) {
	img := benchImage(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOldFitJPEG is internal/photo's FitJPEG before it used this package (copied
// below, as of commit 224b674): up to 6 image/jpeg encodes, two at a time.
func BenchmarkOldFitJPEG(b *testing.B) {
	img := benchImage(b)
	var q int
	for b.Loop() {
		fit, err := oldFitJPEG(img, 60, 100, 20<<10, 40<<10, 300)
		if err != nil {
			b.Fatal(err)
		}
		q = fit.Quality
	}
	b.ReportMetric(float64(q), "quality")
}

// The old internal/photo encoder, verbatim but for the names.

// oldEncodeJPEG writes img as a baseline JPEG at the given quality with a JFIF APP0 segment
// declaring dpi×dpi dots per inch and no other metadata.
func oldEncodeJPEG(img image.Image, quality, dpi int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("photo: encode jpeg: %w", err)
	}
	raw := buf.Bytes()
	if len(raw) < 4 || raw[0] != 0xFF || raw[1] != 0xD8 {
		return nil, errors.New("photo: encode jpeg: encoder output lacks SOI")
	}
	app0 := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(app0[12:], uint16(dpi))
	binary.BigEndian.PutUint16(app0[14:], uint16(dpi))
	out := make([]byte, 0, len(raw)+len(app0))
	out = append(out, raw[:2]...)
	out = append(out, app0...)
	out = append(out, raw[2:]...)
	return out, nil
}

// oldSizeFit is the result of fitting a JPEG into a byte window.
type oldSizeFit struct {
	Data    []byte
	Quality int
	Tries   int
}

// oldErrSizeWindow is returned when no quality in [minQ, 100] lands in the byte window.
var oldErrSizeWindow = errors.New("no quality fits the size window")

// oldFitJPEG finds the highest quality in [minQ, maxQ] whose file size is ≤ maxBytes, and checks
// that it is ≥ minBytes. Size grows with quality, so the search keeps a bracket (lo fits,
// hi does not) and narrows it by encoding two qualities at a time on two goroutines: first
// minQ and a guess 60 % of the way up, then the two integers around the quality where
// log(size), interpolated linearly between the bracket's ends, reaches maxBytes (or the
// thirds of the bracket while its top is unprobed). Usually 2–3 rounds (4–6 encodes, the
// wall time of 2–3). Colour conversion is done once.
func oldFitJPEG(img image.Image, minQ, maxQ, minBytes, maxBytes, dpi int) (*oldSizeFit, error) {
	var src image.Image = img
	if rgba, ok := img.(*image.RGBA); ok {
		src = oldToYCbCr420(rgba)
	}
	tries := 0
	type probe struct {
		q    int
		data []byte
		err  error
	}
	// encAll encodes the distinct qualities qs concurrently, results in ascending quality.
	encAll := func(qs ...int) []probe {
		sort.Ints(qs)
		qs = slices.Compact(qs)
		ps := make([]probe, len(qs))
		var wg sync.WaitGroup
		for i, q := range qs {
			ps[i].q = q
			wg.Add(1)
			go func() {
				defer wg.Done()
				ps[i].data, ps[i].err = oldEncodeJPEG(src, q, dpi)
			}()
		}
		wg.Wait()
		tries += len(qs)
		return ps
	}
	first := []int{minQ}
	if maxBytes > 0 && maxQ > minQ {
		first = append(first, min(maxQ, minQ+int(float64(maxQ-minQ)*0.6))) // sizes grow fast near 100
	}
	ps := encAll(first...)
	if ps[0].err != nil {
		return nil, ps[0].err
	}
	lo := ps[0].data
	if maxBytes > 0 && len(lo) > maxBytes {
		return &oldSizeFit{Data: lo, Quality: minQ, Tries: tries}, fmt.Errorf("photo: fit jpeg: %d bytes at the minimum quality %d exceed %d: %w", len(lo), minQ, maxBytes, oldErrSizeWindow)
	}
	best, bestQ := lo, minQ
	qLo, sLo := minQ, len(lo)
	qHi, sHi := maxQ+1, 0 // sHi unknown until probed
	// update folds probes (ascending quality) into the bracket.
	update := func(ps []probe) error {
		for _, p := range ps {
			if p.err != nil {
				return p.err
			}
			if p.q <= qLo || p.q >= qHi {
				continue
			}
			if maxBytes <= 0 || len(p.data) <= maxBytes {
				best, bestQ = p.data, p.q
				qLo, sLo = p.q, len(p.data)
			} else {
				qHi, sHi = p.q, len(p.data)
			}
		}
		return nil
	}
	if err := update(ps[1:]); err != nil {
		return nil, err
	}
	for qHi-qLo > 1 {
		var qs []int
		switch {
		case maxBytes <= 0:
			qs = []int{qHi - 1} // no upper bound: the top quality fits
		case sHi > 0:
			t := (math.Log(float64(maxBytes)) - math.Log(float64(sLo))) / (math.Log(float64(sHi)) - math.Log(float64(sLo)))
			q := qLo + int(math.Floor(t*float64(qHi-qLo)))
			q = max(qLo+1, min(qHi-2, q))
			qs = []int{q, min(qHi-1, q+1)}
		default:
			d := qHi - qLo
			qs = []int{max(qLo+1, qLo+d/3), min(qHi-1, qLo+(2*d+2)/3)}
		}
		if err := update(encAll(qs...)); err != nil {
			return nil, err
		}
	}
	if len(best) < minBytes {
		return &oldSizeFit{Data: best, Quality: bestQ, Tries: tries}, fmt.Errorf("photo: fit jpeg: %d bytes at quality %d are below %d: %w", len(best), bestQ, minBytes, oldErrSizeWindow)
	}
	return &oldSizeFit{Data: best, Quality: bestQ, Tries: tries}, nil
}

// oldToYCbCr420 converts an opaque RGBA image to 4:2:0 YCbCr (JFIF, as image/jpeg does),
// chroma averaged over each 2×2 block.
func oldToYCbCr420(m *image.RGBA) *image.YCbCr {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		row := m.Pix[y*m.Stride:]
		for x := range w {
			r, g, bl := int32(row[4*x]), int32(row[4*x+1]), int32(row[4*x+2])
			out.Y[y*out.YStride+x] = uint8((19595*r + 38470*g + 7471*bl + 1<<15) >> 16)
		}
	}
	for cy := range (h + 1) / 2 {
		for cx := range (w + 1) / 2 {
			var rs, gs, bs, n int32
			for dy := range 2 {
				for dx := range 2 {
					x, y := 2*cx+dx, 2*cy+dy
					if x < w && y < h {
						p := m.Pix[y*m.Stride+4*x:]
						rs += int32(p[0])
						gs += int32(p[1])
						bs += int32(p[2])
						n++
					}
				}
			}
			r, g, bl := rs/n, gs/n, bs/n
			cb := -11056*r - 21712*g + 32768*bl + 257<<15
			cr := 32768*r - 27440*g - 5328*bl + 257<<15
			out.Cb[cy*out.CStride+cx] = uint8(min(255, max(0, cb>>16)))
			out.Cr[cy*out.CStride+cx] = uint8(min(255, max(0, cr>>16)))
		}
	}
	return out
}
