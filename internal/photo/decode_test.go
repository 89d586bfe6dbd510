package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustDecode(t *testing.T, data []byte) *Image {
	t.Helper()
	img, err := DecodeBytes(data, DefaultLimits())
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}

func TestDecodeFormats(t *testing.T) {
	ref := mustDecode(t, fixture(t, "pigo_sample.jpg"))
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, ref.RGBA); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name, format string
		data         []byte
		maxDiff      float64
	}{
		{"jpeg", "jpeg", fixture(t, "pigo_sample.jpg"), 0},
		{"png", "png", pngBuf.Bytes(), 0},
		{"webp", "webp", read("pigo_sample.webp"), 6},
		{"heic", "heic", read("pigo_sample.heic"), 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := mustDecode(t, c.data)
			if img.Format != c.format {
				t.Errorf("format %q, want %q", img.Format, c.format)
			}
			if img.RGBA.Rect.Dx() != 320 || img.RGBA.Rect.Dy() != 400 || img.Width != 320 || img.Height != 400 {
				t.Fatalf("size %v (%dx%d), want 320x400", img.RGBA.Rect, img.Width, img.Height)
			}
			if d := meanAbsDiff(img.RGBA, ref.RGBA); d > c.maxDiff {
				t.Errorf("mean |diff| vs JPEG decode %.2f > %.2f", d, c.maxDiff)
			}
		})
	}
}

// TestDecodeHEICPixelLimit: HEIC has its own pixel limit (its decoder's memory), checked
// from the header with a message that says what to do.
func TestDecodeHEICPixelLimit(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "pigo_sample.heic"))
	if err != nil {
		t.Fatal(err)
	}
	lim := DefaultLimits()
	if lim.MaxHEICPixels < 12_192_768 { // an iPhone's default 4032×3024 photo must pass
		t.Fatalf("default HEIC limit %d rejects 12 MP iPhone photos", lim.MaxHEICPixels)
	}
	lim.MaxHEICPixels = 320*400 - 1
	_, err = DecodeBytes(data, lim)
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != CodeTooManyPix || !strings.Contains(pe.Message, "HEIC") || !strings.Contains(pe.Message, "JPG") {
		t.Fatalf("err %v, want a HEIC pixel-limit rejection", err)
	}
	// The same limit does not apply to other formats.
	if _, err := DecodeBytes(fixture(t, "pigo_sample.jpg"), lim); err != nil {
		t.Fatal(err)
	}
	lim.MaxHEICPixels = 320 * 400
	if _, err := DecodeBytes(data, lim); err != nil {
		t.Fatal(err)
	}
}

// orient returns the stored pixels that EXIF orientation o turns into up.
func storeForOrientation(up *image.RGBA, o int) *image.RGBA {
	// The inverse of each orientation: 6 ↔ 8, the rest are their own inverse.
	inv := map[int]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}[o]
	return applyOrientation(up, inv)
}

func pngWithExif(t *testing.T, img image.Image, o int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, 0, 0, 0, 0}
	chunk := make([]byte, 8+len(tiff)+4)
	binary.BigEndian.PutUint32(chunk, uint32(len(tiff)))
	copy(chunk[4:], "eXIf")
	copy(chunk[8:], tiff)
	binary.BigEndian.PutUint32(chunk[8+len(tiff):], crc32.ChecksumIEEE(chunk[4:8+len(tiff)]))
	ihdrEnd := 8 + 25
	out := append([]byte{}, data[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, data[ihdrEnd:]...)
}

func TestDecodeOrientationAllEight(t *testing.T) {
	up := image.NewRGBA(image.Rect(0, 0, 300, 260))
	for y := range 260 {
		for x := range 300 {
			up.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8((x * y) >> 6), 255})
		}
	}
	for o := 1; o <= 8; o++ {
		img := mustDecode(t, pngWithExif(t, storeForOrientation(up, o), o))
		if img.Orientation != o {
			t.Errorf("orientation %d read as %d", o, img.Orientation)
		}
		if d := meanAbsDiff(img.RGBA, up); d != 0 {
			t.Errorf("orientation %d: upright image differs (mean |diff| %.2f, size %v)", o, d, img.RGBA.Rect)
		}
	}
}

func TestDecodeDevEXIF(t *testing.T) {
	cases := []struct {
		name        string
		orientation int
		w, h        int
	}{
		{"u2net_kid3_exif6.jpg", 6, 1024, 1024},
		{"u2net_man4_exif8.jpg", 8, 600, 900},
		{"openface_clapton-1_exif3.jpg", 3, 624, 420},
	}
	for _, c := range cases {
		img := mustDecode(t, devPhoto(t, c.name))
		if img.Orientation != c.orientation || img.Width != c.w || img.Height != c.h {
			t.Errorf("%s: orientation %d size %dx%d, want %d %dx%d", c.name, img.Orientation, img.Width, img.Height, c.orientation, c.w, c.h)
		}
	}
}

func mustDecodeNoShrink(t *testing.T, data []byte) *image.RGBA {
	lim := DefaultLimits()
	lim.WorkLongSide = 0
	img, err := DecodeBytes(data, lim)
	if err != nil {
		t.Fatal(err)
	}
	return img.RGBA
}

func TestDecodePreShrink(t *testing.T) {
	// A JPEG is scaled in the DCT domain (internal/jpegdec): on smooth content that equals the
	// 2×2 box average up to rounding; a PNG is box-averaged exactly, even at pixel-level detail.
	smooth := image.NewRGBA(image.Rect(0, 0, 2700, 1500))
	busy := image.NewRGBA(image.Rect(0, 0, 2700, 1500))
	for y := range 1500 {
		for x := range 2700 {
			i := smooth.PixOffset(x, y)
			for c := range 3 {
				smooth.Pix[i+c] = uint8(128 + 90*math.Sin(float64(x)/(37+float64(c)*11))*math.Cos(float64(y)/(23+float64(c)*7)))
				busy.Pix[i+c] = uint8((i + c) * 7 >> 4)
			}
			smooth.Pix[i+3], busy.Pix[i+3] = 255, 255
		}
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, busy); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		tol  float64
	}{
		{"jpeg", encodeJPEGTest(t, smooth, 90), 3},
		{"png", pngBuf.Bytes(), 0.5},
	} {
		img := mustDecode(t, c.data)
		if img.Shrink != 2 || img.RGBA.Rect.Dx() != 1350 || img.RGBA.Rect.Dy() != 750 || img.Width != 2700 {
			t.Fatalf("%s: shrink %d size %v, want 2 and 1350x750", c.name, img.Shrink, img.RGBA.Rect)
		}
		src := mustDecodeNoShrink(t, c.data)
		var worst float64
		for _, p := range []image.Point{{10, 10}, {700, 300}, {1349, 749}, {333, 517}, {1001, 2}} {
			for ch := range 3 {
				var s float64
				for dy := range 2 {
					for dx := range 2 {
						s += float64(src.Pix[src.PixOffset(2*p.X+dx, 2*p.Y+dy)+ch])
					}
				}
				worst = max(worst, math.Abs(s/4-float64(img.RGBA.Pix[img.RGBA.PixOffset(p.X, p.Y)+ch])))
			}
		}
		if worst > c.tol {
			t.Errorf("%s: pre-shrink differs from the 2×2 mean by %.1f levels (allowed %.1f)", c.name, worst, c.tol)
		}
	}
}

// TestDecodeJPEGFractionalShrink: a pre-shrink by 3 is a DCT scaling by 2 and an area
// average by 1.5; on smooth content it matches the 3×3 mean of the full decode.
func TestDecodeJPEGFractionalShrink(t *testing.T) {
	big := image.NewRGBA(image.Rect(0, 0, 1200, 1800))
	for y := range 1800 {
		for x := range 1200 {
			i := big.PixOffset(x, y)
			for c := range 3 {
				big.Pix[i+c] = uint8(128 + 100*math.Sin(float64(x+y*c)/61)*math.Cos(float64(y)/47))
			}
			big.Pix[i+3] = 255
		}
	}
	data := encodeJPEGTest(t, big, 92)
	lim := DefaultLimits()
	lim.WorkLongSide = 600
	img, err := DecodeBytes(data, lim)
	if err != nil {
		t.Fatal(err)
	}
	if img.Shrink != 3 || img.RGBA.Rect.Dx() != 400 || img.RGBA.Rect.Dy() != 600 {
		t.Fatalf("shrink %d size %v, want 3 and 400x600", img.Shrink, img.RGBA.Rect)
	}
	src := mustDecodeNoShrink(t, data)
	var worst, sum float64
	n := 0
	for y := 5; y < 600; y += 37 {
		for x := 3; x < 400; x += 29 {
			for ch := range 3 {
				var s float64
				for dy := range 3 {
					for dx := range 3 {
						s += float64(src.Pix[src.PixOffset(3*x+dx, 3*y+dy)+ch])
					}
				}
				d := math.Abs(s/9 - float64(img.RGBA.Pix[img.RGBA.PixOffset(x, y)+ch]))
				worst, sum, n = max(worst, d), sum+d, n+1
			}
		}
	}
	if worst > 3 || sum/float64(n) > 1 {
		t.Errorf("pre-shrink by 3 differs from the 3×3 mean: worst %.1f, mean %.2f levels", worst, sum/float64(n))
	}
}

// pngHeaderOnly is a PNG signature and IHDR of the given size, with no image data.
func pngHeaderOnly(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2
	writeChunk(&b, "IHDR", ihdr)
	return b.Bytes()
}

func writeChunk(b *bytes.Buffer, typ string, body []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(body)))
	b.Write(n[:])
	b.WriteString(typ)
	b.Write(body)
	binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(append([]byte(typ), body...)))
	b.Write(n[:])
}

// jpegHeaderOnly is SOI + a baseline SOF0 claiming w×h, nothing else.
func jpegHeaderOnly(w, h int) []byte {
	sof := []byte{0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1}
	return sof
}

func TestDecodeRejects(t *testing.T) {
	jpg := fixture(t, "pigo_sample.jpg")
	var apng bytes.Buffer
	{
		var buf bytes.Buffer
		small := image.NewRGBA(image.Rect(0, 0, 300, 300))
		if err := png.Encode(&buf, small); err != nil {
			t.Fatal(err)
		}
		d := buf.Bytes()
		apng.Write(d[:33])
		writeChunk(&apng, "acTL", []byte{0, 0, 0, 2, 0, 0, 0, 0})
		apng.Write(d[33:])
	}
	var anim bytes.Buffer
	{
		pal := color.Palette{color.Black, color.White}
		g := &gif.GIF{Image: []*image.Paletted{image.NewPaletted(image.Rect(0, 0, 300, 300), pal), image.NewPaletted(image.Rect(0, 0, 300, 300), pal)}, Delay: []int{10, 10}}
		if err := gif.EncodeAll(&anim, g); err != nil {
			t.Fatal(err)
		}
	}
	corrupt := append([]byte{}, jpg...)
	for i := len(corrupt) / 2; i < len(corrupt)/2+400; i++ {
		corrupt[i] = 0xFF
	}
	small := mustDecode(t, jpg)
	var tiny bytes.Buffer
	if err := png.Encode(&tiny, small.RGBA.SubImage(image.Rect(0, 0, 200, 150))); err != nil {
		t.Fatal(err)
	}
	lim := DefaultLimits()
	cases := []struct {
		name string
		data []byte
		lim  Limits
		code string
	}{
		{"empty", nil, lim, CodeEmpty},
		{"too many bytes", jpg, Limits{MaxBytes: 1000, MaxPixels: lim.MaxPixels}, CodeTooLarge},
		{"png bomb header", pngHeaderOnly(20000, 20000), lim, CodeTooManyPix},
		{"jpeg bomb header", jpegHeaderOnly(60000, 60000), lim, CodeTooManyPix},
		{"too small", tiny.Bytes(), lim, CodeTooSmall},
		{"truncated jpeg", jpg[:len(jpg)/2], lim, CodeTruncated},
		{"truncated png", pngHeaderOnly(400, 400), lim, CodeTruncated},
		{"corrupt jpeg", corrupt, lim, CodeCorrupt},
		{"animated png", apng.Bytes(), lim, CodeAnimated},
		{"animated gif", anim.Bytes(), lim, CodeAnimated},
		{"text", []byte("hello, this is not a photo at all"), lim, CodeUnsupported},
		{"avif", []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"), lim, CodeUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeBytes(c.data, c.lim)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err %v, want *Error", err)
			}
			if pe.Code != c.code {
				t.Fatalf("code %q (%v), want %q", pe.Code, err, c.code)
			}
			if pe.Message == "" {
				t.Errorf("no Chinese message for %q", pe.Code)
			}
		})
	}
}

func TestDecodeReaderLimit(t *testing.T) {
	jpg := fixture(t, "pigo_sample.jpg")
	_, err := Decode(bytes.NewReader(jpg), Limits{MaxBytes: int64(len(jpg) - 1), MaxPixels: 1e8})
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != CodeTooLarge {
		t.Fatalf("err %v, want too_large", err)
	}
	if _, err := Decode(bytes.NewReader(jpg), DefaultLimits()); err != nil {
		t.Fatal(err)
	}
}

// FuzzDecodeBytes: arbitrary bytes never panic and are either an image or an *Error.
func FuzzDecodeBytes(f *testing.F) {
	f.Add(fixture(f, "pigo_sample.jpg")[:2000])
	f.Add(pngHeaderOnly(300, 300))
	f.Add(jpegHeaderOnly(400, 300))
	webp, _ := os.ReadFile(filepath.Join("testdata", "pigo_sample.webp"))
	f.Add(webp)
	f.Add([]byte("RIFF\x10\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02"))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x20Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x09"))
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 4 << 20, MinSide: 1, WorkLongSide: 256}
	f.Fuzz(func(t *testing.T, data []byte) {
		if Sniff(data) == "heic" {
			return // the wasm decoder is too slow for fuzzing; its container checks run in the unit tests
		}
		img, err := DecodeBytes(data, lim)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Message == "" {
				t.Fatalf("error without code/message: %v", err)
			}
			return
		}
		if img.RGBA == nil || img.RGBA.Rect.Empty() {
			t.Fatal("nil image without error")
		}
		_, _ = ParseJPEG(data)
	})
}
