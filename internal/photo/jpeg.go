package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"slices"
	"sort"
	"sync"
)

// JPEGInfo is what the marker segments of a JPEG file say (no pixel decoding).
type JPEGInfo struct {
	Width, Height int
	Components    int
	// SOF is the frame marker: 0xC0 baseline, 0xC1 extended, 0xC2 progressive.
	SOF         byte
	Baseline    bool
	JFIF        bool // APP0 "JFIF" present and the first segment after SOI
	JFIFUnits   int  // 0 none, 1 dots per inch, 2 dots per cm
	XDensity    int
	YDensity    int
	EXIF        bool // an APP1 "Exif" segment is present
	OtherAPP    []byte
	Orientation int // EXIF orientation (1 if none)
	// Quality is the IJG quality estimated from the luminance quantisation table (0 if absent).
	Quality int
	// Luma holds the luminance quantisation table in zig-zag order (as stored).
	Luma []uint16
}

// parseJPEG reads marker segments up to the first SOS. With needFrame it fails if no SOF was seen.
func parseJPEG(data []byte, needFrame bool) (*JPEGInfo, error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, errors.New("jpeg: missing SOI")
	}
	info := &JPEGInfo{Orientation: 1}
	p := 2
	first := true
	for {
		// Skip fill bytes.
		for p < len(data) && data[p] == 0xFF && p+1 < len(data) && data[p+1] == 0xFF {
			p++
		}
		if p+4 > len(data) {
			if needFrame && info.SOF == 0 {
				return nil, errors.New("jpeg: truncated before frame header")
			}
			return info, nil
		}
		if data[p] != 0xFF {
			return nil, fmt.Errorf("jpeg: expected marker at offset %d", p)
		}
		m := data[p+1]
		if m == 0xD9 || m == 0x01 || (m >= 0xD0 && m <= 0xD7) {
			p += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[p+2:]))
		if n < 2 || p+2+n > len(data) {
			return nil, fmt.Errorf("jpeg: segment %#x at %d runs past the end", m, p)
		}
		seg := data[p+4 : p+2+n]
		switch {
		case m == 0xE0 && len(seg) >= 14 && string(seg[:5]) == "JFIF\x00":
			info.JFIF = first
			info.JFIFUnits = int(seg[7])
			info.XDensity = int(binary.BigEndian.Uint16(seg[8:]))
			info.YDensity = int(binary.BigEndian.Uint16(seg[10:]))
		case m == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00":
			info.EXIF = true
			info.Orientation = exifOrientation(seg[6:])
		case m >= 0xE0 && m <= 0xEF:
			info.OtherAPP = append(info.OtherAPP, m)
		case m == 0xDB:
			q := seg
			for len(q) > 0 {
				pq, tq := q[0]>>4, q[0]&15
				size := 64
				if pq == 1 {
					size = 128
				}
				if len(q) < 1+size {
					return nil, errors.New("jpeg: short DQT")
				}
				if tq == 0 {
					info.Luma = make([]uint16, 64)
					for i := range 64 {
						if pq == 1 {
							info.Luma[i] = binary.BigEndian.Uint16(q[1+2*i:])
						} else {
							info.Luma[i] = uint16(q[1+i])
						}
					}
				}
				q = q[1+size:]
			}
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			if len(seg) < 6 {
				return nil, errors.New("jpeg: short SOF")
			}
			info.SOF = m
			info.Baseline = m == 0xC0
			info.Height = int(binary.BigEndian.Uint16(seg[1:]))
			info.Width = int(binary.BigEndian.Uint16(seg[3:]))
			info.Components = int(seg[5])
		case m == 0xDA:
			if info.Luma != nil {
				info.Quality = estimateQuality(info.Luma)
			}
			return info, nil
		}
		first = false
		p += 2 + n
	}
}

// ParseJPEG reports the header facts of a JPEG file (used to verify outputs).
func ParseJPEG(data []byte) (*JPEGInfo, error) { return parseJPEG(data, true) }

// ijgLuma is the IJG/JPEG Annex K luminance table in zig-zag order.
var ijgLuma = [64]uint16{
	16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40,
	26, 24, 22, 22, 24, 49, 35, 37, 29, 40, 58, 51, 61, 60, 57, 51,
	56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56, 80, 109, 81, 87,
	95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99,
}

// estimateQuality inverts IJG quality scaling: it returns the quality 1..100 whose scaled
// Annex K luminance table is closest to q (sum of absolute differences).
func estimateQuality(q []uint16) int {
	best, bestErr := 0, math.MaxInt
	for quality := 1; quality <= 100; quality++ {
		scale := 5000 / quality
		if quality >= 50 {
			scale = 200 - 2*quality
		}
		e := 0
		for i := range 64 {
			v := (int(ijgLuma[i])*scale + 50) / 100
			v = max(1, min(255, v))
			d := v - int(q[i])
			if d < 0 {
				d = -d
			}
			e += d
		}
		if e < bestErr {
			best, bestErr = quality, e
		}
	}
	return best
}

// EncodeJPEG writes img as a baseline JPEG at the given quality with a JFIF APP0 segment
// declaring dpi×dpi dots per inch and no other metadata.
func EncodeJPEG(img image.Image, quality, dpi int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("photo: encode jpeg: %w", err)
	}
	raw := buf.Bytes()
	if len(raw) < 4 || raw[0] != 0xFF || raw[1] != 0xD8 {
		return nil, errors.New("photo: encode jpeg: encoder output lacks SOI")
	}
	app0 := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(app0[12:], uint16(dpi))
	binary.BigEndian.PutUint16(app0[14:], uint16(dpi))
	out := make([]byte, 0, len(raw)+len(app0))
	out = append(out, raw[:2]...)
	out = append(out, app0...)
	out = append(out, raw[2:]...)
	return out, nil
}

// SizeFit is the result of fitting a JPEG into a byte window.
type SizeFit struct {
	Data    []byte
	Quality int
	Tries   int
}

// errSizeWindow is returned when no quality in [minQ, 100] lands in the byte window.
var errSizeWindow = errors.New("no quality fits the size window")

// FitJPEG finds the highest quality in [minQ, maxQ] whose file size is ≤ maxBytes, and checks
// that it is ≥ minBytes. Size grows with quality, so the search keeps a bracket (lo fits,
// hi does not) and narrows it by encoding two qualities at a time on two goroutines: first
// minQ and a guess 60 % of the way up, then the two integers around the quality where
// log(size), interpolated linearly between the bracket's ends, reaches maxBytes (or the
// thirds of the bracket while its top is unprobed). Usually 2–3 rounds (4–6 encodes, the
// wall time of 2–3). Colour conversion is done once.
func FitJPEG(img image.Image, minQ, maxQ, minBytes, maxBytes, dpi int) (*SizeFit, error) {
	var src image.Image = img
	if rgba, ok := img.(*image.RGBA); ok {
		src = toYCbCr420(rgba)
	}
	tries := 0
	type probe struct {
		q    int
		data []byte
		err  error
	}
	// encAll encodes the distinct qualities qs concurrently, results in ascending quality.
	encAll := func(qs ...int) []probe {
		sort.Ints(qs)
		qs = slices.Compact(qs)
		ps := make([]probe, len(qs))
		var wg sync.WaitGroup
		for i, q := range qs {
			ps[i].q = q
			wg.Add(1)
			go func() {
				defer wg.Done()
				ps[i].data, ps[i].err = EncodeJPEG(src, q, dpi)
			}()
		}
		wg.Wait()
		tries += len(qs)
		return ps
	}
	first := []int{minQ}
	if maxBytes > 0 && maxQ > minQ {
		first = append(first, min(maxQ, minQ+int(float64(maxQ-minQ)*0.6))) // sizes grow fast near 100
	}
	ps := encAll(first...)
	if ps[0].err != nil {
		return nil, ps[0].err
	}
	lo := ps[0].data
	if maxBytes > 0 && len(lo) > maxBytes {
		return &SizeFit{Data: lo, Quality: minQ, Tries: tries}, fmt.Errorf("photo: fit jpeg: %d bytes at the minimum quality %d exceed %d: %w", len(lo), minQ, maxBytes, errSizeWindow)
	}
	best, bestQ := lo, minQ
	qLo, sLo := minQ, len(lo)
	qHi, sHi := maxQ+1, 0 // sHi unknown until probed
	// update folds probes (ascending quality) into the bracket.
	update := func(ps []probe) error {
		for _, p := range ps {
			if p.err != nil {
				return p.err
			}
			if p.q <= qLo || p.q >= qHi {
				continue
			}
			if maxBytes <= 0 || len(p.data) <= maxBytes {
				best, bestQ = p.data, p.q
				qLo, sLo = p.q, len(p.data)
			} else {
				qHi, sHi = p.q, len(p.data)
			}
		}
		return nil
	}
	if err := update(ps[1:]); err != nil {
		return nil, err
	}
	for qHi-qLo > 1 {
		var qs []int
		switch {
		case maxBytes <= 0:
			qs = []int{qHi - 1} // no upper bound: the top quality fits
		case sHi > 0:
			t := (math.Log(float64(maxBytes)) - math.Log(float64(sLo))) / (math.Log(float64(sHi)) - math.Log(float64(sLo)))
			q := qLo + int(math.Floor(t*float64(qHi-qLo)))
			q = max(qLo+1, min(qHi-2, q))
			qs = []int{q, min(qHi-1, q+1)}
		default:
			d := qHi - qLo
			qs = []int{max(qLo+1, qLo+d/3), min(qHi-1, qLo+(2*d+2)/3)}
		}
		if err := update(encAll(qs...)); err != nil {
			return nil, err
		}
	}
	if len(best) < minBytes {
		return &SizeFit{Data: best, Quality: bestQ, Tries: tries}, fmt.Errorf("photo: fit jpeg: %d bytes at quality %d are below %d: %w", len(best), bestQ, minBytes, errSizeWindow)
	}
	return &SizeFit{Data: best, Quality: bestQ, Tries: tries}, nil
}

// toYCbCr420 converts an opaque RGBA image to 4:2:0 YCbCr (JFIF, as image/jpeg does),
// chroma averaged over each 2×2 block.
func toYCbCr420(m *image.RGBA) *image.YCbCr {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		row := m.Pix[y*m.Stride:]
		for x := range w {
			r, g, bl := int32(row[4*x]), int32(row[4*x+1]), int32(row[4*x+2])
			out.Y[y*out.YStride+x] = uint8((19595*r + 38470*g + 7471*bl + 1<<15) >> 16)
		}
	}
	for cy := range (h + 1) / 2 {
		for cx := range (w + 1) / 2 {
			var rs, gs, bs, n int32
			for dy := range 2 {
				for dx := range 2 {
					x, y := 2*cx+dx, 2*cy+dy
					if x < w && y < h {
						p := m.Pix[y*m.Stride+4*x:]
						rs += int32(p[0])
						gs += int32(p[1])
						bs += int32(p[2])
						n++
					}
				}
			}
			r, g, bl := rs/n, gs/n, bs/n
			cb := -11056*r - 21712*g + 32768*bl + 257<<15
			cr := 32768*r - 27440*g - 5328*bl + 257<<15
			out.Cb[cy*out.CStride+cx] = uint8(min(255, max(0, cb>>16)))
			out.Cr[cy*out.CStride+cx] = uint8(min(255, max(0, cr>>16)))
		}
	}
	return out
}
