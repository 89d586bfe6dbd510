package vision

import (
	"image"
	"math/rand"
	"syscall"
	"testing"
	"time"
)

func benchRaster(w, h int) *raster {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewSource(1))
	for i := range img.Y {
		img.Y[i] = uint8(rng.Intn(256))
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(rng.Intn(256)), uint8(rng.Intn(256))
	}
	return newRaster(img)
}

// BenchmarkRefine1200x1600 times the mask refinement of a 1200×1600 photo.
func BenchmarkRefine1200x1600(b *testing.B) {
	r := benchRaster(1200, 1600)
	prob := make([]float32, segInput*segInput)
	for i := range prob {
		if (i%segInput) > 80 && (i%segInput) < 180 {
			prob[i] = 1
		}
	}
	r.level(1)
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		refineMask(prob, r, true)
	}
	reportCPU(b, c0)
}

// BenchmarkPrepare1200x1600 times the YCbCr → RGB conversion of a 1200×1600 photo.
func BenchmarkPrepare1200x1600(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 1200, 1600), image.YCbCrSubsampleRatio420)
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		newRaster(img).level(1)
	}
	reportCPU(b, c0)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the process CPU time per iteration as a metric (robust to other
// processes competing for the cores, unlike ns/op).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}
