package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand"
	"sync"
	"testing"
)

// photoLike makes a w×h picture with smooth shading, large soft shapes and
// per-pixel noise of the given amplitude: a stand-in for a phone photo (the
// noise is what makes real photos expensive to entropy-decode).
func photoLike(w, h int, noise int, seed int64) *image.YCbCr {
	rng := rand.New(rand.NewSource(seed))
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio444)
	for y := 0; y < h; y++ {
		fy := float64(y) / float64(h)
		for x := 0; x < w; x++ {
			fx := float64(x) / float64(w)
			// A "head" disc over a vertical gradient background, with texture.
			dx, dy := fx-0.5, fy-0.42
			lum := 90 + 120*fy + 20*math.Sin(40*fx+13*fy)
			cb, cr := 120.0, 135.0
			if dx*dx+dy*dy*0.6 < 0.06 {
				lum = 170 + 30*math.Cos(25*dx)*math.Sin(31*dy)
				cb, cr = 110, 150
			}
			n := float64(rng.Intn(2*noise+1) - noise)
			i := img.YOffset(x, y)
			img.Y[i] = c8(lum + n)
			img.Cb[i] = c8(cb + n/3)
			img.Cr[i] = c8(cr - n/3)
		}
	}
	return img
}

type benchImage struct {
	name string
	data []byte
}

// Restart interval for the "_rst" variant: one MCU row of a 2832-wide 4:2:0 image,
// as phone hardware encoders commonly write.
const benchRestartInterval = 2832 / 16

var (
	benchOnce   sync.Once
	benchImages []benchImage
)

func loadBenchImages(b testing.TB) []benchImage {
	benchOnce.Do(func() {
		for _, c := range []struct {
			name        string
			w, h, noise int
			q           int
		}{
			{"12MP_q92", 2832, 4248, 2, 92},
			{"12MP_q98_dense", 2832, 4248, 4, 98},
			{"2MP_q92", 1156, 1734, 2, 92},
		} {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, photoLike(c.w, c.h, c.noise, 1), &jpeg.Options{Quality: c.q}); err != nil {
				b.Fatal(err)
			}
			benchImages = append(benchImages, benchImage{c.name, buf.Bytes()})
			if c.name == "12MP_q92" {
				benchImages = append(benchImages, benchImage{c.name + "_rst",
					withRestarts(b, buf.Bytes(), benchRestartInterval, 0)})
			}
		}
	})
	return benchImages
}

func BenchmarkDecode(b *testing.B) {
	for _, im := range loadBenchImages(b) {
		b.Run(fmt.Sprintf("%s_%.1fMB/stdlib", im.name, float64(len(im.data))/1e6), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(im.data)))
			for b.Loop() {
				if _, err := jpeg.Decode(bytes.NewReader(im.data)); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, scale := range []int{1, 2, 4} {
			for _, workers := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s_%.1fMB/s%d_w%d", im.name, float64(len(im.data))/1e6, scale, workers), func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(len(im.data)))
					for b.Loop() {
						if _, err := Decode(im.data, Options{Scale: scale, Workers: workers}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
