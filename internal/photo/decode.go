package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/gen2brain/heic"
	"golang.org/x/image/webp"

	"xiaoxiang/internal/jpegdec"
)

// Limits bound what Decode accepts; a zero field means no limit. Start from DefaultLimits.
type Limits struct {
	// MaxBytes is the largest accepted file.
	MaxBytes int64 `json:"max_bytes"`
	// MaxPixels is the largest accepted width×height, checked from the header before decoding.
	MaxPixels int64 `json:"max_pixels"`
	// MaxHEICPixels is the largest accepted width×height of a HEIC file (0: MaxPixels).
	// Decoding HEIC (libheif compiled to wasm) holds ≈ 23 bytes of heap per pixel — 283 MB
	// at 12 MP, 742 MB at 24 MP (bench/photo BenchmarkPeakHeap) — so it gets a lower
	// limit than JPEG, which is decoded scaled in the DCT domain.
	MaxHEICPixels int64 `json:"max_heic_pixels"`
	// MinSide is the smallest accepted short side in pixels.
	MinSide int `json:"min_side"`
	// WorkLongSide: large inputs are box-shrunk by the largest integer factor that keeps
	// the long side ≥ WorkLongSide (0 disables the pre-shrink).
	WorkLongSide int `json:"work_long_side"`
}

// DefaultLimits: 20 MB, 50 MP (HEIC 16 MP: every iPhone's default 12 MP photo, not the 24/48 MP
// modes), short side ≥ 240 px, pre-shrink to a long side of 1280–2559 px.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 20 << 20, MaxPixels: 50_000_000, MaxHEICPixels: 16_000_000, MinSide: 240, WorkLongSide: 1280}
}

// Image is a decoded photo, upright (EXIF orientation applied), opaque, possibly pre-shrunk.
type Image struct {
	// RGBA holds the working pixels (origin 0,0; alpha is always 255).
	RGBA *image.RGBA
	// Format is "jpeg", "png", "webp" or "heic".
	Format string
	// Width and Height are the upright dimensions of the file before the pre-shrink.
	Width, Height int
	// Orientation is the EXIF orientation that was applied (1 = none).
	Orientation int
	// Shrink is the integer box pre-shrink factor applied (1 = none).
	Shrink int
	// Bytes is the file size.
	Bytes int
}

// Error codes of a rejected file.
const (
	CodeEmpty       = "empty"
	CodeTooLarge    = "too_large"
	CodeTooManyPix  = "too_many_pixels"
	CodeTooSmall    = "too_small"
	CodeUnsupported = "unsupported_format"
	CodeAnimated    = "animated"
	CodeTruncated   = "truncated"
	CodeCorrupt     = "corrupt"
)

// Error is a rejected upload: a stable code, a Chinese message for the student, and the cause for logs.
type Error struct {
	Code    string
	Message string // zh-CN, safe to show to the end user
	Err     error  // cause, for logs (English)
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "photo: " + e.Code + ": " + e.Err.Error()
	}
	return "photo: " + e.Code
}

func (e *Error) Unwrap() error { return e.Err }

var zhMessages = map[string]string{
	CodeEmpty:       "没有收到照片文件，请重新选择照片",
	CodeTooLarge:    "照片文件太大，请选择小于 20 MB 的照片",
	CodeTooManyPix:  "照片像素过多，请选择分辨率较低的照片（不超过 5000 万像素）",
	CodeTooSmall:    "照片分辨率太低，请使用更清晰的原图",
	CodeUnsupported: "不支持该文件格式，请上传 JPG、PNG、WebP 或 HEIC 照片",
	CodeAnimated:    "不支持动图，请上传静态照片",
	CodeTruncated:   "照片文件不完整（可能上传中断），请重新上传",
	CodeCorrupt:     "照片文件已损坏，无法读取，请重新拍摄或选择其他照片",
}

func newError(code string, err error) *Error {
	return &Error{Code: code, Message: zhMessages[code], Err: err}
}

// Sniff returns the container format of data from its magic bytes ("" if unknown).
func Sniff(data []byte) string {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return "jpeg"
	case len(data) >= 8 && string(data[:8]) == "\x89PNG\r\n\x1a\n":
		return "png"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp"
	case len(data) >= 6 && (string(data[:6]) == "GIF87a" || string(data[:6]) == "GIF89a"):
		return "gif"
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		brand := string(data[8:12])
		switch brand {
		case "heic", "heix", "heim", "heis", "mif1", "msf1", "hevc", "hevx":
			return "heic"
		case "avif", "avis":
			return "avif"
		}
		return "isobmff"
	}
	return ""
}

// Decode reads one photo from r within limits. Every rejection is an *Error.
func Decode(r io.Reader, lim Limits) (*Image, error) {
	if lim.MaxBytes > 0 {
		r = io.LimitReader(r, lim.MaxBytes+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, newError(CodeTruncated, fmt.Errorf("read: %w", err))
	}
	return DecodeBytes(data, lim)
}

// DecodeBytes is Decode on a byte slice.
func DecodeBytes(data []byte, lim Limits) (*Image, error) {
	if len(data) == 0 {
		return nil, newError(CodeEmpty, errors.New("empty input"))
	}
	if lim.MaxBytes > 0 && int64(len(data)) > lim.MaxBytes {
		e := newError(CodeTooLarge, fmt.Errorf("file exceeds %d bytes", lim.MaxBytes))
		e.Message = fmt.Sprintf("照片文件太大，请选择小于 %d MB 的照片", max(1, lim.MaxBytes>>20))
		return nil, e
	}
	format := Sniff(data)
	var cfg image.Config
	var cfgErr error
	orientation := 1
	switch format {
	case "jpeg":
		// Our own marker walk reads the frame size even when the rest of the file is missing.
		info, err := parseJPEG(data, true)
		if err != nil {
			cfgErr = err
			if len(data) < 1024 || !bytes.Contains(data, []byte{0xFF, 0xDA}) {
				cfgErr = fmt.Errorf("%w: %w", io.ErrUnexpectedEOF, err)
			}
		} else {
			cfg = image.Config{Width: info.Width, Height: info.Height}
			orientation = info.Orientation
		}
	case "png":
		if animatedPNG(data) {
			return nil, newError(CodeAnimated, errors.New("animated PNG (acTL chunk)"))
		}
		cfg, cfgErr = png.DecodeConfig(bytes.NewReader(data))
		orientation = pngOrientation(data)
	case "webp":
		anim, o := webpInfo(data)
		if anim {
			return nil, newError(CodeAnimated, errors.New("animated WebP"))
		}
		orientation = o
		cfg, cfgErr = webp.DecodeConfig(bytes.NewReader(data))
	case "heic":
		if string(data[8:12]) == "msf1" || string(data[8:12]) == "hevs" {
			return nil, newError(CodeAnimated, errors.New("HEIF image sequence"))
		}
		// libheif applies the irot/imir transforms itself; EXIF orientation must then be ignored.
		cfg, cfgErr = heic.DecodeConfig(bytes.NewReader(data))
	case "gif":
		if animatedGIF(data) {
			return nil, newError(CodeAnimated, errors.New("GIF with several frames"))
		}
		return nil, newError(CodeUnsupported, errors.New("GIF is not accepted"))
	default:
		return nil, newError(CodeUnsupported, fmt.Errorf("unknown format %q", format))
	}
	if cfgErr != nil {
		return nil, classify(format, "header", cfgErr)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, newError(CodeCorrupt, fmt.Errorf("%s header: size %dx%d", format, cfg.Width, cfg.Height))
	}
	if lim.MaxPixels > 0 && int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
		e := newError(CodeTooManyPix, fmt.Errorf("%s header: %dx%d exceeds %d pixels", format, cfg.Width, cfg.Height, lim.MaxPixels))
		e.Message = fmt.Sprintf("照片像素过多，请选择分辨率较低的照片（不超过 %d 万像素）", lim.MaxPixels/10000)
		return nil, e
	}
	if format == "heic" && lim.MaxHEICPixels > 0 && int64(cfg.Width)*int64(cfg.Height) > lim.MaxHEICPixels {
		e := newError(CodeTooManyPix, fmt.Errorf("heic header: %dx%d exceeds the HEIC limit of %d pixels", cfg.Width, cfg.Height, lim.MaxHEICPixels))
		e.Message = fmt.Sprintf("这张 HEIC 照片像素过高（超过 %d 万像素），请在相册中将照片导出为 JPG，或直接拍照上传", lim.MaxHEICPixels/10000)
		return nil, e
	}
	if lim.MinSide > 0 && min(cfg.Width, cfg.Height) < lim.MinSide {
		return nil, newError(CodeTooSmall, fmt.Errorf("%s header: %dx%d, short side below %d", format, cfg.Width, cfg.Height, lim.MinSide))
	}

	if format == "jpeg" {
		if rgba, f, ok := decodeJPEGScaled(data, cfg.Width, cfg.Height, lim.WorkLongSide); ok {
			rgba = applyOrientation(rgba, orientation)
			w, h := cfg.Width, cfg.Height
			if orientation >= 5 {
				w, h = h, w
			}
			return &Image{RGBA: rgba, Format: format, Width: w, Height: h, Orientation: orientation, Shrink: f, Bytes: len(data)}, nil
		}
	}
	var src image.Image
	var err error
	switch format {
	case "jpeg":
		src, err = jpeg.Decode(bytes.NewReader(data))
	case "png":
		src, err = png.Decode(bytes.NewReader(data))
	case "webp":
		src, err = webp.Decode(bytes.NewReader(data))
	case "heic":
		src, err = decodeHEIC(data)
	}
	if err != nil {
		if !hasEnd(format, data) {
			err = fmt.Errorf("%w (file ends early): %w", io.ErrUnexpectedEOF, err)
		}
		return nil, classify(format, "decode", err)
	}
	b := src.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		// HEIC headers may report the size before transforms; trust the decoded image but re-check limits.
		if lim.MaxPixels > 0 && int64(b.Dx())*int64(b.Dy()) > lim.MaxPixels {
			return nil, newError(CodeTooManyPix, fmt.Errorf("%s decoded %dx%d exceeds %d pixels", format, b.Dx(), b.Dy(), lim.MaxPixels))
		}
	}
	f := 1
	if lim.WorkLongSide > 0 {
		f = max(1, max(b.Dx(), b.Dy())/lim.WorkLongSide)
	}
	// VP8 (lossy WebP) stores limited-range BT.601 YCbCr, which image.YCbCr would read as full range.
	rgba := boxShrink(src, f, format == "webp")
	src = nil
	rgba = applyOrientation(rgba, orientation)
	w, h := b.Dx(), b.Dy()
	if orientation >= 5 {
		w, h = h, w
	}
	return &Image{RGBA: rgba, Format: format, Width: w, Height: h, Orientation: orientation, Shrink: f, Bytes: len(data)}, nil
}

// decodeJPEGScaled decodes a baseline JPEG with internal/jpegdec, which scales by a power of
// two in the DCT domain (the entropy decoding runs on one core while the other transforms):
// the pre-shrink factor f (the same integer factor as for other formats, so the working
// image is the same) is reached as a DCT scale s (the largest power of two ≤ f, at most 8)
// times an exact area average by f/s. ok is false when jpegdec does not support the file
// (progressive, arithmetic, CMYK…) or finds it corrupt: the caller then decodes with
// image/jpeg, whose errors the messages for students are made from.
func decodeJPEGScaled(data []byte, W, H, workLongSide int) (rgba *image.RGBA, f int, ok bool) {
	f = 1
	if workLongSide > 0 {
		f = max(1, max(W, H)/workLongSide)
	}
	ow, oh := W/f, H/f
	if ow < 1 || oh < 1 {
		f, ow, oh = 1, W, H
	}
	s := 1
	for s*2 <= min(f, 8) {
		s *= 2
	}
	src, err := jpegdec.Decode(data, jpegdec.Options{Scale: s})
	if err != nil {
		return nil, 0, false
	}
	if s == f {
		// Only the top-left ow×oh pixels are converted (as boxShrink drops the remainder).
		return boxShrinkTo(src, ow, oh), f, true
	}
	full := boxShrink(src, 1, false)
	return areaShrinkRGBA(full, float64(f)/float64(s), ow, oh), f, true
}

// boxShrinkTo converts src to opaque RGBA without scaling, keeping its top-left w×h pixels.
func boxShrinkTo(src image.Image, w, h int) *image.RGBA {
	if ycc, ok := src.(*image.YCbCr); ok {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		shrinkYCbCr(dst, ycc, 1, false)
		return dst
	}
	full := boxShrink(src, 1, false)
	if full.Rect.Dx() == w && full.Rect.Dy() == h {
		return full
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Rect, full, image.Point{}, draw.Src)
	return dst
}

// InitHEIC compiles the HEIC decoder (a WebAssembly build of libheif run by wazero) ahead
// of the first HEIC upload; otherwise the first decode in a process pays for it (≈1–3 s).
// Servers call it once at start-up, in the background.
func InitHEIC() { heic.Init() }

func decodeHEIC(data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("heic decoder panic: %v", r)
		}
	}()
	return heic.Decode(bytes.NewReader(data))
}

// hasEnd reports whether data ends with its format's end marker (JPEG EOI, PNG IEND,
// RIFF size) — a decode failure without it means the upload was cut short.
func hasEnd(format string, data []byte) bool {
	switch format {
	case "jpeg":
		tail := data[max(0, len(data)-64):]
		return bytes.Contains(tail, []byte{0xFF, 0xD9})
	case "png":
		return bytes.Contains(data[max(0, len(data)-64):], []byte("IEND"))
	case "webp":
		return len(data) >= 8 && int(binary.LittleEndian.Uint32(data[4:]))+8 <= len(data)
	}
	return true
}

// classify maps a decoder error to a user-facing code.
func classify(format, stage string, err error) *Error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return newError(CodeTruncated, fmt.Errorf("%s %s: %w", format, stage, err))
	}
	var fe jpeg.FormatError
	if errors.As(err, &fe) && string(fe) == "missing SOI marker" {
		return newError(CodeCorrupt, fmt.Errorf("%s %s: %w", format, stage, err))
	}
	var ue jpeg.UnsupportedError
	if errors.As(err, &ue) {
		return newError(CodeUnsupported, fmt.Errorf("%s %s: %w", format, stage, err))
	}
	return newError(CodeCorrupt, fmt.Errorf("%s %s: %w", format, stage, err))
}

// animatedPNG reports an acTL chunk (APNG) before the first IDAT.
func animatedPNG(data []byte) bool {
	p := 8
	for p+8 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		if typ == "acTL" {
			return true
		}
		if typ == "IDAT" || typ == "IEND" || n < 0 || n > len(data) {
			return false
		}
		p += 12 + n
	}
	return false
}

// pngOrientation reads the orientation from an eXIf chunk before IDAT (1 if none).
func pngOrientation(data []byte) int {
	p := 8
	for p+8 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[p:]))
		if n < 0 || p+12+n > len(data) {
			return 1
		}
		typ := string(data[p+4 : p+8])
		if typ == "eXIf" {
			return exifOrientation(data[p+8 : p+8+n])
		}
		if typ == "IDAT" {
			return 1
		}
		p += 12 + n
	}
	return 1
}

// webpInfo reports whether a WebP is animated and its EXIF orientation.
func webpInfo(data []byte) (animated bool, orientation int) {
	orientation = 1
	p := 12
	for p+8 <= len(data) {
		typ := string(data[p : p+4])
		n := int(binary.LittleEndian.Uint32(data[p+4:]))
		if n < 0 || p+8+n > len(data) {
			return
		}
		body := data[p+8 : p+8+n]
		switch typ {
		case "VP8X":
			if len(body) > 0 && body[0]&0x02 != 0 {
				animated = true
			}
		case "ANIM", "ANMF":
			animated = true
		case "EXIF":
			orientation = exifOrientation(body)
		}
		p += 8 + n + n&1
	}
	return
}

// animatedGIF counts image descriptors roughly (more than one frame = animated).
func animatedGIF(data []byte) bool {
	return bytes.Count(data, []byte("\x21\xF9\x04")) > 1
}

// boxShrink converts src to opaque RGBA, averaging f×f blocks (f = 1 converts only).
func boxShrink(src image.Image, f int, limitedRange bool) *image.RGBA {
	b := src.Bounds()
	ow, oh := b.Dx()/f, b.Dy()/f
	if ow < 1 || oh < 1 {
		f, ow, oh = 1, b.Dx(), b.Dy()
	}
	dst := image.NewRGBA(image.Rect(0, 0, ow, oh))
	switch s := src.(type) {
	case *image.YCbCr:
		shrinkYCbCr(dst, s, f, limitedRange)
		return dst
	case *image.RGBA:
		shrinkRGBA(dst, s.Pix, s.Stride, b, f, false)
		return dst
	case *image.NRGBA:
		shrinkRGBA(dst, s.Pix, s.Stride, b, f, true)
		return dst
	}
	// Other models (paletted, 16-bit, gray, CMYK): convert once, then shrink.
	tmp := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(tmp, tmp.Bounds(), src, b.Min, draw.Src)
	shrinkRGBA(dst, tmp.Pix, tmp.Stride, tmp.Bounds(), f, true)
	return dst
}

func shrinkYCbCr(dst *image.RGBA, s *image.YCbCr, f int, limited bool) {
	// Fixed point 16.16 coefficients: JFIF full range (as image/color) or BT.601 limited range.
	ky, kr, kgb, kgr, kb, yoff, rnd := int32(0x10101), int32(91881), int32(22554), int32(46802), int32(116130), int32(0), int32(0)
	if limited {
		ky, kr, kgb, kgr, kb, yoff, rnd = 76284, 104595, 25690, 53281, 132186, 16, 1<<15
	}
	var sx, sy uint
	switch s.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		sx = 1
	case image.YCbCrSubsampleRatio420:
		sx, sy = 1, 1
	case image.YCbCrSubsampleRatio440:
		sy = 1
	case image.YCbCrSubsampleRatio411:
		sx = 2
	case image.YCbCrSubsampleRatio410:
		sx, sy = 2, 1
	}
	b := s.Rect
	ow, oh := dst.Rect.Dx(), dst.Rect.Dy()
	cx0, cy0 := b.Min.X>>sx, b.Min.Y>>sy
	parallelRows(oh, func(y0, y1 int) {
		ys := make([]int32, ow)
		cbs := make([]int32, ow)
		crs := make([]int32, ow)
		cn := make([]int32, ow)
		// Chroma columns covered by each output pixel.
		cxa := make([]int, ow)
		cxb := make([]int, ow)
		for ox := range ow {
			cxa[ox] = ((b.Min.X + ox*f) >> sx) - cx0
			cxb[ox] = ((b.Min.X + ox*f + f - 1) >> sx) - cx0
		}
		n := int32(f * f)
		half := n / 2
		if f == 1 {
			// Conversion only: one chroma sample per pixel.
			for oy := y0; oy < y1; oy++ {
				yrow := s.Y[oy*s.YStride : oy*s.YStride+ow]
				crow := (((b.Min.Y + oy) >> sy) - cy0) * s.CStride
				drow := dst.Pix[oy*dst.Stride : oy*dst.Stride+4*ow]
				for ox, yv := range yrow {
					ci := crow + cxa[ox]
					cb := int32(s.Cb[ci]) - 128
					cr := int32(s.Cr[ci]) - 128
					y1 := (int32(yv)-yoff)*ky + rnd
					d := drow[ox*4 : ox*4+4 : ox*4+4]
					d[0], d[1], d[2], d[3] = clamp16(y1+kr*cr), clamp16(y1-kgb*cb-kgr*cr), clamp16(y1+kb*cb), 255
				}
			}
			return
		}
		for oy := y0; oy < y1; oy++ {
			clear(ys)
			clear(cbs)
			clear(crs)
			clear(cn)
			for dy := range f {
				yrow := s.Y[(oy*f+dy)*s.YStride:]
				yrow = yrow[:ow*f]
				switch f { // unrolled common factors
				case 2:
					for ox := range ys {
						p := yrow[2*ox : 2*ox+2 : 2*ox+2]
						ys[ox] += int32(p[0]) + int32(p[1])
					}
				case 3:
					for ox := range ys {
						p := yrow[3*ox : 3*ox+3 : 3*ox+3]
						ys[ox] += int32(p[0]) + int32(p[1]) + int32(p[2])
					}
				case 4:
					for ox := range ys {
						p := yrow[4*ox : 4*ox+4 : 4*ox+4]
						ys[ox] += int32(p[0]) + int32(p[1]) + int32(p[2]) + int32(p[3])
					}
				default:
					for ox := range ys {
						var acc int32
						for _, v := range yrow[ox*f : ox*f+f] {
							acc += int32(v)
						}
						ys[ox] += acc
					}
				}
			}
			ca := ((b.Min.Y + oy*f) >> sy) - cy0
			cb := ((b.Min.Y + oy*f + f - 1) >> sy) - cy0
			for cy := ca; cy <= cb; cy++ {
				cbrow := s.Cb[cy*s.CStride:]
				crrow := s.Cr[cy*s.CStride:]
				for ox := range ys {
					a, z := cxa[ox], cxb[ox]
					if z == a+1 { // the usual case for f = 2…4 with 2× chroma
						cbs[ox] += int32(cbrow[a]) + int32(cbrow[z])
						crs[ox] += int32(crrow[a]) + int32(crrow[z])
						cn[ox] += 2
						continue
					}
					for cx := a; cx <= z; cx++ {
						cbs[ox] += int32(cbrow[cx])
						crs[ox] += int32(crrow[cx])
						cn[ox]++
					}
				}
			}
			drow := dst.Pix[oy*dst.Stride:]
			for ox := range ow {
				yy := (ys[ox] + half) / n
				c := cn[ox]
				cb := (cbs[ox]+c/2)/c - 128
				cr := (crs[ox]+c/2)/c - 128
				y1 := (yy-yoff)*ky + rnd
				r := y1 + kr*cr
				g := y1 - kgb*cb - kgr*cr
				bl := y1 + kb*cb
				d := drow[ox*4 : ox*4+4 : ox*4+4]
				d[0], d[1], d[2], d[3] = clamp16(r), clamp16(g), clamp16(bl), 255
			}
		}
	})
}

func clamp16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// shrinkRGBA box-averages 8-bit RGBA/NRGBA pixels; transparent pixels are composited on white.
func shrinkRGBA(dst *image.RGBA, pix []byte, stride int, b image.Rectangle, f int, nonPremul bool) {
	ow, oh := dst.Rect.Dx(), dst.Rect.Dy()
	n := uint32(f * f)
	parallelRows(oh, func(y0, y1 int) {
		for oy := y0; oy < y1; oy++ {
			drow := dst.Pix[oy*dst.Stride:]
			for ox := 0; ox < ow; ox++ {
				var rs, gs, bs uint32
				for dy := 0; dy < f; dy++ {
					row := pix[(oy*f+dy)*stride+ox*f*4:]
					for dx := 0; dx < f; dx++ {
						p := row[dx*4 : dx*4+4 : dx*4+4]
						r, g, bb, a := uint32(p[0]), uint32(p[1]), uint32(p[2]), uint32(p[3])
						if a != 255 {
							if nonPremul {
								r, g, bb = r*a/255, g*a/255, bb*a/255
							}
							r += 255 - a
							g += 255 - a
							bb += 255 - a
						}
						rs += r
						gs += g
						bs += bb
					}
				}
				d := drow[ox*4 : ox*4+4 : ox*4+4]
				d[0], d[1], d[2], d[3] = uint8((rs+n/2)/n), uint8((gs+n/2)/n), uint8((bs+n/2)/n), 255
			}
		}
	})
}

// applyOrientation turns stored pixels upright according to the EXIF orientation (1–8).
func applyOrientation(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	s32 := func(x, y int) []byte { i := y*src.Stride + x*4; return src.Pix[i : i+4] }
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2: // mirrored horizontally
				dx, dy = w-1-x, y
			case 3: // rotated 180
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored vertically
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // stored rotated 90° CCW: turn 90° CW
				dx, dy = h-1-y, x
			case 7: // transverse
				dx, dy = h-1-y, w-1-x
			case 8: // stored rotated 90° CW: turn 90° CCW
				dx, dy = y, w-1-x
			}
			copy(dst.Pix[dy*dst.Stride+dx*4:], s32(x, y))
		}
	}
	return dst
}
