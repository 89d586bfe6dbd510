package photo

import (
	"context"
	"image"
	"math"
	"strings"
	"testing"

	"xiaoxiang/internal/testenv"
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

// BenchmarkRenderStandard times the matte stage on real analyses of dev photos (analysed
// once; skipped when the development set or the models are absent).
func BenchmarkRenderStandard(b *testing.B) {
	if testenv.PortraitsDir(b) == "" {
		b.Skip("development photo set not present")
	}
	pl, err := New(Options{ModelsDir: modelsDir(b), Workers: 1})
	if err != nil {
		b.Skip("models: ", err)
	}
	prof, _ := LookupProfile("chsi-blue")
	for _, name := range []string{"u2net_man.jpg", "facenet_shea_whigham.jpg", "rembg_girl-1.jpg"} {
		img, err := DecodeBytes(devPhoto(b, name), DefaultLimits())
		if err != nil {
			b.Fatal(err)
		}
		rep, err := pl.Check(context.Background(), img, prof)
		if err != nil || !rep.Measures.Plan.Feasible {
			b.Fatalf("%s: %v (plan feasible %v)", name, err, err == nil && rep.Measures.Plan.Feasible)
		}
		b.Run(strings.TrimSuffix(name, ".jpg"), func(b *testing.B) {
			for range b.N {
				renderStandard(img, rep.analysis, rep.Measures.Plan, &prof)
			}
		})
	}
}
