package photo

import (
	"image"
	"math"
	"testing"
)

func BenchmarkComposite480x640(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 480, 640))
	alpha := make([]float32, 480*640)
	// A head-and-shoulders-like blob with a 6 px soft edge.
	for i := range alpha {
		x, y := float64(i%480), float64(i/480)
		d := math.Min(math.Hypot(x-240, y-250)-150, 420-y)
		if y > 420 {
			d = -1
		}
		alpha[i] = float32(math.Min(1, math.Max(0, (-d)/6)))
		img.Pix[4*i], img.Pix[4*i+3] = uint8(i), 255
	}
	b.ResetTimer()
	for range b.N {
		composite(img, alpha, [3]uint8{100, 197, 255})
	}
}

func BenchmarkFitJPEG480x640(b *testing.B) {
	src := image.NewRGBA(image.Rect(0, 0, 480, 640))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 31 >> 3)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := FitJPEG(src, 60, 100, 0, 40<<10, 300); err != nil && b.N < 0 {
			b.Fatal(err)
		}
	}
}
