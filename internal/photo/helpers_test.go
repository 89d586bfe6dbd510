package photo

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func modelsDir(t testing.TB) string {
	if d := os.Getenv("XIAOXIANG_MODELS_DIR"); d != "" {
		return d
	}
	return filepath.Join(repoRoot(t), "models")
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".cache", "fixtures", name))
	if err != nil {
		t.Fatalf("registry fixture missing (run scripts/fetch-fixtures.sh): %v", err)
	}
	return b
}

const devDir = "/work/shared/testdata/portraits"

// devPhoto reads a shared development photo or skips when the folder is absent.
func devPhoto(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(devDir, name))
	if os.IsNotExist(err) {
		t.Skipf("development photo set not present (%s)", devDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readDev(name string) ([]byte, error) { return os.ReadFile(filepath.Join(devDir, name)) }

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
