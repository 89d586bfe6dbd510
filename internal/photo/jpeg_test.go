package photo

import (
	"bytes"
	"errors"
	"image/jpeg"
	"testing"
)

func TestEncodeJPEGHeader(t *testing.T) {
	img := mustDecode(t, fixture(t, "pigo_sample.jpg")).RGBA
	for _, q := range []int{1, 10, 49, 50, 51, 60, 75, 90, 99, 100} {
		data, err := EncodeJPEG(img, q, 300)
		if err != nil {
			t.Fatal(err)
		}
		info, err := ParseJPEG(data)
		if err != nil {
			t.Fatal(err)
		}
		if !info.JFIF || info.JFIFUnits != 1 || info.XDensity != 300 || info.YDensity != 300 {
			t.Errorf("q%d: JFIF %v units %d density %dx%d", q, info.JFIF, info.JFIFUnits, info.XDensity, info.YDensity)
		}
		if info.EXIF || len(info.OtherAPP) != 0 || !info.Baseline || info.Components != 3 {
			t.Errorf("q%d: exif %v other %v baseline %v comps %d", q, info.EXIF, info.OtherAPP, info.Baseline, info.Components)
		}
		if info.Width != 320 || info.Height != 400 {
			t.Errorf("q%d: size %dx%d", q, info.Width, info.Height)
		}
		if info.Quality != q {
			t.Errorf("estimated quality %d, want %d", info.Quality, q)
		}
		// Still a valid JPEG for the standard decoder.
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("q%d: re-decode: %v", q, err)
		}
	}
}

func TestParseJPEGSeesEXIF(t *testing.T) {
	info, err := ParseJPEG(devPhoto(t, "u2net_man4_exif8.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.EXIF || info.Orientation != 8 {
		t.Fatalf("exif %v orientation %d", info.EXIF, info.Orientation)
	}
	if _, err := ParseJPEG([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00}); err == nil {
		t.Fatal("truncated header parsed without error")
	}
}

func TestFitJPEG(t *testing.T) {
	src := mustDecode(t, fixture(t, "pigo_sample.jpg")).RGBA
	img := cropResample(src, 0, 0, 320, 400, 480, 600)
	cases := []struct {
		name               string
		minB, maxB, wantQ0 int
		err                bool
	}{
		{"chsi window", 20 << 10, 40 << 10, 0, false},
		{"tight max", 0, 24 << 10, 0, false},
		{"impossible max", 0, 3 << 10, 0, true},
		{"impossible min", 900 << 10, 1000 << 10, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fit, err := FitJPEG(img, 60, 100, c.minB, c.maxB, 300)
			if c.err {
				if !errors.Is(err, errSizeWindow) {
					t.Fatalf("err %v, want size window error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(fit.Data) < c.minB || len(fit.Data) > c.maxB || fit.Quality < 60 {
				t.Fatalf("%d bytes at q%d outside %d–%d", len(fit.Data), fit.Quality, c.minB, c.maxB)
			}
			// One step higher must not fit (the search found the highest quality).
			if fit.Quality < 100 {
				d, _ := EncodeJPEG(img, fit.Quality+1, 300)
				if len(d) <= c.maxB {
					t.Errorf("q%d also fits (%d bytes): search not maximal", fit.Quality+1, len(d))
				}
			}
			info, _ := ParseJPEG(fit.Data)
			if info.Quality != fit.Quality {
				t.Errorf("estimated %d, used %d", info.Quality, fit.Quality)
			}
		})
	}
}
