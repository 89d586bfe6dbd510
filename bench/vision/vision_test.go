// Package vision_test benchmarks the vision analysis (internal/vision) per stage and
// end to end on real photos, with 1 and 2 threads per network. See bench/README.md.
//
//	XIAOXIANG_MODELS_DIR=$PWD/models go test -run '^$' -bench . -benchtime 10x ./bench/vision/
package vision_test

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"
	"xiaoxiang/internal/testenv"

	"xiaoxiang/internal/vision"
)

func repoRoot(b *testing.B) string { return testenv.Root(b) }

func modelsDir(b *testing.B) string { return testenv.ModelsDir(b) }

type photo struct {
	name string
	img  image.Image
}

// photos returns the benchmark photos: a 1200×1600 portrait (the target
// size, cropped from a dev portrait, or the pigo fixture upscaled by the crop box
// when the dev photos are absent), a small portrait and a group photo.
func photos(b *testing.B) []photo {
	root := repoRoot(b)
	dev := filepath.Join(root, "..", "shared", "testdata", "portraits")
	fix := filepath.Join(root, ".cache", "fixtures")
	var out []photo
	load := func(path string) image.Image {
		img, err := vision.DecodeFile(path)
		if err != nil {
			return nil
		}
		return img
	}
	if img := load(filepath.Join(dev, "facenet_angelina_jolie.jpg")); img != nil {
		// 1301×1600 → centre crop 1200×1600.
		sub := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(50, 0, 1250, 1600))
		out = append(out, photo{"portrait_1200x1600", sub})
	}
	if img := load(filepath.Join(fix, "pigo_sample.jpg")); img != nil {
		out = append(out, photo{"portrait_320x400", img})
	}
	if img := load(filepath.Join(fix, "faceapi_sample6.jpg")); img != nil {
		out = append(out, photo{"group4_1920", img})
	}
	if len(out) == 0 {
		b.Skip("no benchmark photos (run scripts/fetch-fixtures.sh)")
	}
	return out
}

// BenchmarkAnalyze times the whole analysis in three modes — full (defaults:
// thorough face search, mask with refinement, mask concurrent with detect+mesh),
// fastfaces (one detector pass) and stages (fastfaces with the stages run one
// after the other, so that each stage's time is its own) — and reports each
// stage's mean time (Analysis.Timings) and the process CPU time per analysis
// (cpu-ms/op, which other processes on the machine do not inflate, unlike ns/op).
func BenchmarkAnalyze(b *testing.B) {
	ps := photos(b)
	for _, threads := range []int{1, 2} {
		an, err := vision.New(vision.Options{ModelsDir: modelsDir(b), Threads: threads, Concurrency: 1})
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range ps {
			for _, mode := range []struct {
				name string
				opts vision.AnalyzeOptions
			}{
				{"full", vision.AnalyzeOptions{Mask: true}},
				{"fastfaces", vision.AnalyzeOptions{Mask: true, FastFaces: true}},
				{"stages", vision.AnalyzeOptions{Mask: true, FastFaces: true, Sequential: true}},
			} {
				b.Run(fmt.Sprintf("%s/%s/threads=%d", p.name, mode.name, threads), func(b *testing.B) {
					ctx := context.Background()
					// Warm-up (pools, pyramid code paths).
					if _, err := an.Analyze(ctx, p.img, mode.opts); err != nil {
						b.Fatal(err)
					}
					sum := map[string]float64{}
					b.ResetTimer()
					c0 := cpuTime()
					for i := 0; i < b.N; i++ {
						res, err := an.Analyze(ctx, p.img, mode.opts)
						if err != nil {
							b.Fatal(err)
						}
						for k, v := range res.Timings {
							sum[k] += v
						}
					}
					b.StopTimer()
					b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/1e6, "cpu-ms/op")
					keys := make([]string, 0, len(sum))
					for k := range sum {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					for _, k := range keys {
						if k != "total" {
							b.ReportMetric(sum[k]/float64(b.N), k+"-ms")
						}
					}
				})
			}
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
