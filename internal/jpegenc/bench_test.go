package jpegenc

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"xiaoxiang/internal/photo"
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

func BenchmarkPhotoFitJPEG(b *testing.B) {
	img := benchImage(b)
	var q int
	for b.Loop() {
		fit, err := photo.FitJPEG(img, 60, 100, 20<<10, 40<<10, 300)
		if err != nil {
			b.Fatal(err)
		}
		q = fit.Quality
	}
	b.ReportMetric(float64(q), "quality")
}
