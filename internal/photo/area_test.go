package photo

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// areaRef is the same average in float64, pixel by pixel over the covered area.
func areaRef(src *image.RGBA, r float64, x, y, c int) float64 {
	var s, wsum float64
	for sy := int(math.Floor(float64(y) * r)); float64(sy) < float64(y+1)*r && sy < src.Rect.Dy(); sy++ {
		cy := math.Min(float64(y+1)*r, float64(sy+1)) - math.Max(float64(y)*r, float64(sy))
		for sx := int(math.Floor(float64(x) * r)); float64(sx) < float64(x+1)*r && sx < src.Rect.Dx(); sx++ {
			cx := math.Min(float64(x+1)*r, float64(sx+1)) - math.Max(float64(x)*r, float64(sx))
			s += cx * cy * float64(src.Pix[sy*src.Stride+4*sx+c])
			wsum += cx * cy
		}
	}
	return s / wsum
}

func TestAreaShrinkRGBA(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, r := range []float64{1, 1.25, 1.5, 1.75, 2, 3} {
		sw, sh := 97+rng.IntN(50), 131+rng.IntN(50)
		src := image.NewRGBA(image.Rect(0, 0, sw, sh))
		for i := range src.Pix {
			src.Pix[i] = uint8(rng.IntN(256))
			if i%4 == 3 {
				src.Pix[i] = 255
			}
		}
		dw, dh := int(float64(sw)/r), int(float64(sh)/r)
		dst := areaShrinkRGBA(src, r, dw, dh)
		if dst.Rect.Dx() != dw || dst.Rect.Dy() != dh {
			t.Fatalf("r=%v: size %v", r, dst.Rect)
		}
		worst := 0.0
		for y := range dh {
			for x := range dw {
				for c := range 3 {
					d := math.Abs(float64(dst.Pix[y*dst.Stride+4*x+c]) - areaRef(src, r, x, y, c))
					worst = math.Max(worst, d)
				}
				if dst.Pix[y*dst.Stride+4*x+3] != 255 {
					t.Fatal("alpha not opaque")
				}
			}
		}
		if worst > 1.01 {
			t.Errorf("r=%v: max deviation from the exact area mean %.2f levels", r, worst)
		}
	}
	// A flat image stays exactly flat (weights sum to one).
	src := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for i := range src.Pix {
		src.Pix[i] = []uint8{200, 17, 255, 255}[i%4]
	}
	dst := areaShrinkRGBA(src, 1.5, 200, 133)
	for i := 0; i < len(dst.Pix); i += 4 {
		if dst.Pix[i] != 200 || dst.Pix[i+1] != 17 || dst.Pix[i+2] != 255 {
			t.Fatalf("flat image changed at %d: %v", i/4, dst.Pix[i:i+4])
		}
	}
}
