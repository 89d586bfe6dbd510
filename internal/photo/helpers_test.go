package photo

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"xiaoxiang/internal/testenv"
)

func repoRoot(t testing.TB) string { return testenv.Root(t) }

func modelsDir(t testing.TB) string { return testenv.ModelsDir(t) }

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".cache", "fixtures", name))
	if err != nil {
		t.Fatalf("registry fixture missing (run scripts/fetch-fixtures.sh): %v", err)
	}
	return b
}

// devPhoto reads a shared development photo or skips when the folder is absent.
func devPhoto(t testing.TB, name string) []byte {
	t.Helper()
	dir := testenv.PortraitsDir(t)
	if dir == "" {
		t.Skip("development photo set not present (../shared/testdata/portraits)")
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeJPEGTest(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// meanAbsDiff compares two RGBA images of the same size (mean |Δ| over RGB).
func meanAbsDiff(a, b *image.RGBA) float64 {
	if a.Rect.Dx() != b.Rect.Dx() || a.Rect.Dy() != b.Rect.Dy() {
		return 1e9
	}
	var s float64
	for y := 0; y < a.Rect.Dy(); y++ {
		for x := 0; x < a.Rect.Dx(); x++ {
			for c := 0; c < 3; c++ {
				d := float64(a.Pix[y*a.Stride+4*x+c]) - float64(b.Pix[y*b.Stride+4*x+c])
				if d < 0 {
					d = -d
				}
				s += d
			}
		}
	}
	return s / float64(3*a.Rect.Dx()*a.Rect.Dy())
}
