package jpegdec

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xiaoxiang/internal/testenv"
)

// Accuracy bounds at Scale 1 against image/jpeg (which uses an integer IDCT; ours
// is float AAN). Measured: max 1, mean < 0.1 on every file tried.
const (
	maxAbsScale1  = 2
	maxMeanScale1 = 0.5
	// Scales 2, 4 and 8 are compared with image/jpeg's full decode box-averaged by
	// the same factor. The reduced IDCTs drop the high frequencies, so the error is
	// in detailed areas; measured worst case 38.1 dB (Y, Scale 2) on real photos,
	// ≥ 44 dB on the synthetic test content.
	minPSNRScaled = 38
	// The committed files are small synthetic pictures with hard-edged coloured
	// "text" (much more high-frequency energy than photos): measured ≥ 37.9 dB.
	minPSNRSynthetic = 35
	// Tiny images (a few blocks) are dominated by the edge blocks, where the
	// reduced IDCT averages the encoder's padding too: only a sanity bound.
	minPSNRTiny = 25
)

func stdDecode(tb testing.TB, data []byte) image.Image {
	tb.Helper()
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("image/jpeg: %v", err)
	}
	return m
}

// checkAgainstStd decodes data at every scale and compares with image/jpeg. It
// returns the worst PSNR seen per scale (index = scale).
func checkAgainstStd(t *testing.T, name string, data []byte, minPSNR float64) (worst [9]float64) {
	t.Helper()
	ref := stdDecode(t, data)
	rp := planesOf(t, ref)
	var prev [9]image.Image
	for _, s := range []int{1, 2, 4, 8} {
		worst[s] = 1e9
		for _, w := range []int{1, 2} {
			got, err := Decode(data, Options{Scale: s, Workers: w})
			if err != nil {
				t.Fatalf("%s scale %d workers %d: %v", name, s, w, err)
			}
			want := image.Rect(0, 0, ceilDiv(ref.Bounds().Dx(), s), ceilDiv(ref.Bounds().Dy(), s))
			if got.Bounds() != want {
				t.Fatalf("%s scale %d: bounds %v, want %v", name, s, got.Bounds(), want)
			}
			if w == 2 {
				if !sameImage(prev[s], got) {
					t.Fatalf("%s scale %d: Workers 1 and 2 differ", name, s)
				}
				continue
			}
			prev[s] = got
			gp := planesOf(t, got)
			if len(gp) != len(rp) {
				t.Fatalf("%s: %d planes, want %d", name, len(gp), len(rp))
			}
			for i := range rp {
				d := compare(t, boxDown(rp[i], s), gp[i])
				worst[s] = min(worst[s], d.psnr)
				if s == 1 && (d.maxAbs > maxAbsScale1 || d.mean >= maxMeanScale1) {
					t.Errorf("%s scale 1 plane %d: %v", name, i, d)
				}
				if s > 1 && d.psnr < minPSNR {
					t.Errorf("%s scale %d plane %d: %v (want PSNR ≥ %v)", name, s, i, d, minPSNR)
				}
				if testing.Verbose() && (s == 1 || i == 0) {
					t.Logf("%s scale %d plane %d: %v", name, s, i, d)
				}
			}
		}
	}
	return worst
}

func sameImage(a, b image.Image) bool {
	switch a := a.(type) {
	case *image.Gray:
		b, ok := b.(*image.Gray)
		return ok && a.Rect == b.Rect && a.Stride == b.Stride && bytes.Equal(a.Pix, b.Pix)
	case *image.YCbCr:
		b, ok := b.(*image.YCbCr)
		return ok && a.Rect == b.Rect && a.SubsampleRatio == b.SubsampleRatio &&
			bytes.Equal(a.Y, b.Y) && bytes.Equal(a.Cb, b.Cb) && bytes.Equal(a.Cr, b.Cr)
	}
	return false
}

func toGray(m image.Image) *image.Gray {
	g := image.NewGray(m.Bounds())
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			g.Set(x, y, m.At(x, y))
		}
	}
	return g
}

// TestGenerated compares with image/jpeg on pictures encoded by image/jpeg (4:2:0
// colour and grey), including sizes with partial MCUs at the right and bottom.
func TestGenerated(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {7, 13}, {17, 9}, {16, 16}, {333, 251}} {
		for _, q := range []int{50, 95} {
			src := synth(sz[0], sz[1], int64(sz[0]), 8)
			lim := float64(minPSNRTiny)
			if min(sz[0], sz[1]) >= 64 {
				lim = minPSNRSynthetic
			}
			checkAgainstStd(t, "colour", encodeStd(t, src, q), lim)
			checkAgainstStd(t, "grey", encodeStd(t, toGray(src), q), lim)
		}
	}
}

// TestScaledSmooth measures the reduced decodes on larger, natural-ish content.
func TestScaledSmooth(t *testing.T) {
	data := encodeStd(t, photoLike(640, 480, 4, 3), 90)
	worst := checkAgainstStd(t, "photoLike", data, minPSNRScaled)
	t.Logf("worst PSNR: scale 2 %.1f dB, scale 4 %.1f dB, scale 8 %.1f dB", worst[2], worst[4], worst[8])
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readPPM reads a binary P6 file (as written by djpeg).
func readPPM(t *testing.T, name string) *image.RGBA {
	t.Helper()
	b := readTestdata(t, name)
	var w, h, maxv int
	var hdr string
	fields := strings.Fields(string(b[:min(len(b), 40)]))
	if len(fields) < 4 || fields[0] != "P6" {
		t.Fatalf("%s: not a P6 file", name)
	}
	hdr = strings.Join(fields[1:4], " ")
	if _, err := fmtSscan(hdr, &w, &h, &maxv); err != nil {
		t.Fatal(err)
	}
	// The header ends after the fourth token and one whitespace byte.
	pos := 0
	for i := 0; i < 4; i++ {
		for b[pos] == ' ' || b[pos] == '\n' {
			pos++
		}
		for b[pos] != ' ' && b[pos] != '\n' {
			pos++
		}
	}
	pix := b[pos+1:]
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = pix[3*i], pix[3*i+1], pix[3*i+2], 255
	}
	return m
}

// TestFiles covers the committed files (see testdata/README.md).
func TestFiles(t *testing.T) {
	// Compared with image/jpeg.
	for _, f := range []string{"s444.jpg", "s422.jpg", "s440.jpg", "s420_rst3.jpg",
		"mix_22_12_12.jpg", "grey.jpg", "grey_rst1.jpg", "q16.jpg"} {
		t.Run(f, func(t *testing.T) {
			checkAgainstStd(t, f, readTestdata(t, f), minPSNRSynthetic)
		})
	}
	// Sampling mixes image/jpeg rejects: compared in RGB with djpeg -nosmooth (which
	// also replicates chroma samples), so the colour conversion adds a little error.
	for _, f := range []string{"mix_22_11_12", "mix_21_12_11", "mix_11_22_11"} {
		t.Run(f, func(t *testing.T) {
			data := readTestdata(t, f+".jpg")
			ref := readPPM(t, f+".ppm")
			var first image.Image
			for _, w := range []int{1, 2} {
				m, err := Decode(data, Options{Workers: w})
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = m
				} else if !sameImage(first, m) {
					t.Fatal("Workers 1 and 2 differ")
				}
			}
			y, ok := first.(*image.YCbCr)
			if !ok || y.SubsampleRatio != image.YCbCrSubsampleRatio444 || y.Rect != ref.Rect {
				t.Fatalf("got %T %v", first, first.Bounds())
			}
			maxd, sum := 0, 0
			for py := 0; py < ref.Rect.Dy(); py++ {
				for px := 0; px < ref.Rect.Dx(); px++ {
					i := y.YOffset(px, py)
					r, g, b := color.YCbCrToRGB(y.Y[i], y.Cb[i], y.Cr[i])
					o := ref.PixOffset(px, py)
					for c, v := range []uint8{r, g, b} {
						d := int(v) - int(ref.Pix[o+c])
						d = max(d, -d)
						maxd = max(maxd, d)
						sum += d
					}
				}
			}
			mean := float64(sum) / float64(3*ref.Rect.Dx()*ref.Rect.Dy())
			t.Logf("%s vs djpeg (RGB): max %d mean %.3f", f, maxd, mean)
			if maxd > 4 || mean > 0.5 {
				t.Errorf("%s vs djpeg: max %d mean %.3f", f, maxd, mean)
			}
		})
	}
	// Valid files that must be refused with ErrUnsupported.
	for _, f := range []string{"progressive.jpg", "arith.jpg", "rgb.jpg", "multiscan.jpg",
		"cmyk.jpg", "s411.jpg"} {
		t.Run(f, func(t *testing.T) {
			data := readTestdata(t, f)
			_, err := Decode(data, Options{})
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Decode: %v, want ErrUnsupported", err)
			}
			w, h, _, ok, err := Config(data)
			if err != nil || w != 99 || h != 75 {
				t.Fatalf("Config: %d×%d %v", w, h, err)
			}
			// multiscan.jpg is only found out at its first scan, past the frame header.
			if ok != (f == "multiscan.jpg") {
				t.Errorf("Config supported = %v", ok)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	w, h, c, ok, err := Config(readTestdata(t, "s420_rst3.jpg"))
	if w != 99 || h != 75 || c != 3 || !ok || err != nil {
		t.Errorf("s420_rst3: %d %d %d %v %v", w, h, c, ok, err)
	}
	w, h, c, ok, err = Config(readTestdata(t, "grey.jpg"))
	if w != 99 || h != 75 || c != 1 || !ok || err != nil {
		t.Errorf("grey: %d %d %d %v %v", w, h, c, ok, err)
	}
	if _, _, _, _, err := Config([]byte("not a jpeg")); err == nil {
		t.Error("Config accepted junk")
	}
	if _, _, _, _, err := Config(readTestdata(t, "grey.jpg")[:20]); err == nil {
		t.Error("Config accepted a file cut in the headers")
	}
}

// realPhotos decodes the registry fixtures and the dev portraits (when present):
// progressive ones must be ErrUnsupported, the others must match image/jpeg.
func TestRealPhotos(t *testing.T) {
	var files []string
	for _, dir := range []string{testenv.FixturesDir(t), testenv.PortraitsDir(t)} {
		if dir == "" {
			continue
		}
		fs, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
		files = append(files, fs...)
	}
	if len(files) == 0 {
		t.Skip("no fixtures or portraits (run make fixtures)")
	}
	if testing.Short() {
		files = files[:min(len(files), 3)]
	}
	baseline := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		progressive := bytes.Contains(data[:min(len(data), 1<<16)], []byte{0xFF, 0xC2})
		_, err = Decode(data, Options{})
		_, _, _, ok, cerr := Config(data)
		if cerr != nil {
			t.Errorf("%s: Config: %v", name, cerr)
		}
		if errors.Is(err, ErrUnsupported) {
			if !progressive || ok {
				t.Errorf("%s: %v (Config supported=%v)", name, err, ok)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		baseline++
		worst := checkAgainstStd(t, name, data, minPSNRScaled)
		t.Logf("%s: worst PSNR scale 2/4/8: %.1f/%.1f/%.1f dB", name, worst[2], worst[4], worst[8])
	}
	t.Logf("%d files, %d baseline", len(files), baseline)
}
