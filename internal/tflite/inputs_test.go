package tflite

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// fixturePath returns a registry fixture fetched by scripts/fetch-fixtures.sh.
func fixturePath(t testing.TB, name string) string {
	p := filepath.Join(repoRoot(t), ".cache", "fixtures", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s missing (run scripts/fetch-fixtures.sh): %v", name, err)
	}
	return p
}

// cropSpec selects a square of an image: centre (cx, cy) and side, all as
// fractions of the image width (cx, side) and height (cy). side 0 means
// the largest centred square.
type cropSpec struct{ cx, cy, side float64 }

// imageTensor decodes a JPEG fixture, takes the square crop, box-filters it
// to size×size and maps 0..255 to [lo, hi]. Pixels outside the image are
// black. Everything is integer arithmetic up to the final scaling, so the
// tensor is reproducible (its sha256 is stored with the goldens).
func imageTensor(t testing.TB, name string, crop cropSpec, size int, lo, hi float32) []float32 {
	t.Helper()
	f, err := os.Open(fixturePath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	side := min(w, h)
	x0, y0 := (w-side)/2, (h-side)/2
	if crop.side > 0 {
		side = int(math.Round(crop.side * float64(w)))
		x0 = int(math.Round(crop.cx*float64(w))) - side/2
		y0 = int(math.Round(crop.cy*float64(h))) - side/2
	}
	// Flatten to 8-bit RGB once (image.At per pixel is slow).
	rgb := make([]uint8, w*h*3)
	if yc, ok := img.(*image.YCbCr); ok {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				yi := yc.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := yc.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bb := color.YCbCrToRGB(yc.Y[yi], yc.Cb[ci], yc.Cr[ci])
				copy(rgb[(y*w+x)*3:], []uint8{r, g, bb})
			}
		}
	} else {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				cr, cg, cb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				copy(rgb[(y*w+x)*3:], []uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8)})
			}
		}
	}
	out := make([]float32, size*size*3)
	scale := float32(hi-lo) / 255
	for oy := 0; oy < size; oy++ {
		sy0, sy1 := y0+oy*side/size, y0+(oy+1)*side/size
		sy1 = max(sy1, sy0+1)
		for ox := 0; ox < size; ox++ {
			sx0, sx1 := x0+ox*side/size, x0+(ox+1)*side/size
			sx1 = max(sx1, sx0+1)
			var r, g, bl, n uint64
			for y := sy0; y < sy1; y++ {
				for x := sx0; x < sx1; x++ {
					n++
					if x < 0 || y < 0 || x >= w || y >= h {
						continue
					}
					p := rgb[(y*w+x)*3:]
					r += uint64(p[0])
					g += uint64(p[1])
					bl += uint64(p[2])
				}
			}
			o := out[(oy*size+ox)*3:]
			o[0] = lo + scale*float32((r+n/2)/n)
			o[1] = lo + scale*float32((g+n/2)/n)
			o[2] = lo + scale*float32((bl+n/2)/n)
		}
	}
	return out
}

func floatBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func tensorSHA(v []float32) string {
	s := sha256.Sum256(floatBytes(v))
	return hex.EncodeToString(s[:])
}
