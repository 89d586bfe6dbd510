// Command delivery benchmarks internal/delivery: it exports N synthetic
// standardized photos (~30 KB JPEGs, a handful generated once and reused)
// into size-bounded zip parts on disk and reports throughput and peak heap.
//
//	go run ./bench/delivery -n 20000
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"iter"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"xiaoxiang/internal/delivery"
)

func main() {
	n := flag.Int("n", 20000, "number of photos")
	target := flag.Int("size", 30_000, "approximate JPEG size in bytes")
	part := flag.Int64("part", 200<<20, "max part size in bytes")
	out := flag.String("out", "", "output directory (default: a temporary directory, removed afterwards)")
	photosOnly := flag.Bool("photos-only", false, "leave manifests out of the parts")
	flag.Parse()

	photos := makePhotos(8, *target)
	var avg int
	for _, p := range photos {
		avg += len(p)
	}
	avg /= len(photos)

	dir := *out
	if dir == "" {
		d, err := os.MkdirTemp("", "delivery-bench-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}

	entries := func(yield func(delivery.Entry, error) bool) {
		base := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
		for i := range *n {
			data := photos[i%len(photos)]
			e := delivery.Entry{
				Name: fmt.Sprintf("学生%05d", i), Key: fmt.Sprintf("43010220%010d", i),
				College: fmt.Sprintf("第%d学院", i%25), Major: "汉语言文学", Class: fmt.Sprintf("%d班", i%400),
				Status: "已完成", ReviewedAt: base.Add(time.Duration(i) * time.Second),
				Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
			}
			if !yield(e, nil) {
				return
			}
		}
	}

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peakHeap, peakSys atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // sample heap in use every 5 ms
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peakHeap.Load() {
				peakHeap.Store(m.HeapInuse)
			}
			if m.Sys > peakSys.Load() {
				peakSys.Store(m.Sys)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()

	start := time.Now()
	res, err := delivery.Export(context.Background(), iter.Seq2[delivery.Entry, error](entries),
		delivery.Options{Task: "bench", MaxPartBytes: *part, PhotosOnly: *photosOnly},
		func(name string) (io.WriteCloser, error) { return os.Create(filepath.Join(dir, name)) })
	el := time.Since(start)
	close(stop)
	<-done
	if err != nil {
		log.Fatal(err)
	}
	var written int64
	for _, p := range res.Parts {
		written += p.Size
	}
	for _, m := range res.Manifests {
		if fi, err := os.Stat(filepath.Join(dir, m)); err == nil {
			written += fi.Size()
		}
	}
	mb := func(b uint64) float64 { return float64(b) / (1 << 20) }
	fmt.Printf("photos:        %d (avg %d bytes, %d distinct)\n", res.Entries, avg, len(photos))
	fmt.Printf("parts:         %d (max %d MiB each)\n", len(res.Parts), *part>>20)
	fmt.Printf("photo bytes:   %.1f MiB; written incl. manifests %.1f MiB\n", mb(uint64(res.PhotoBytes)), mb(uint64(written)))
	fmt.Printf("time:          %v\n", el.Round(time.Millisecond))
	fmt.Printf("throughput:    %.1f MiB/s (photo bytes), %.0f photos/s\n", mb(uint64(res.PhotoBytes))/el.Seconds(), float64(res.Entries)/el.Seconds())
	fmt.Printf("heap in use:   %.1f MiB before, peak %.1f MiB (sampled every 5 ms)\n", mb(base.HeapInuse), mb(peakHeap.Load()))
	fmt.Printf("runtime Sys:   peak %.1f MiB\n", mb(peakSys.Load()))
}

// makePhotos encodes k different 480×640 portraits-like images near the
// target size by adjusting the JPEG quality.
func makePhotos(k, target int) [][]byte {
	var out [][]byte
	for i := range k {
		img := image.NewRGBA(image.Rect(0, 0, 480, 640))
		seed := uint32(i*7919 + 1)
		for y := range 640 {
			for x := range 480 {
				seed ^= seed << 13
				seed ^= seed >> 17
				seed ^= seed << 5
				noise := uint8(seed % 24)
				// light-blue background, a darker ellipse as "head and shoulders"
				dx, dy := float64(x-240)/120, float64(y-300)/160
				c := color.RGBA{100 + noise, 197, 255 - noise, 255}
				if dx*dx+dy*dy < 1 || y > 480 {
					c = color.RGBA{uint8(60+(x+y+i*13)%80) + noise, uint8(40 + y%60), uint8(30 + x%50), 255}
				}
				img.Set(x, y, c)
			}
		}
		lo, hi := 5, 100
		var best []byte
		for lo <= hi { // binary search for the largest quality under target
			q := (lo + hi) / 2
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
				log.Fatal(err)
			}
			if buf.Len() <= target {
				best, lo = buf.Bytes(), q+1
			} else {
				hi = q - 1
			}
		}
		if best == nil {
			log.Fatalf("cannot reach %d bytes", target)
		}
		out = append(out, best)
	}
	return out
}
