package photo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"

	"xiaoxiang/internal/jpegenc"
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
				info.Quality = jpegenc.EstimateQuality(info.Luma)
			}
			return info, nil
		}
		first = false
		p += 2 + n
	}
}

// ParseJPEG reports the header facts of a JPEG file (used to verify outputs).
func ParseJPEG(data []byte) (*JPEGInfo, error) { return parseJPEG(data, true) }

// EncodeJPEG writes img as a baseline JPEG at the given quality (IJG tables, Huffman
// tables optimised for the image) with a JFIF APP0 segment declaring dpi×dpi dots per inch
// and no other metadata.
func EncodeJPEG(img image.Image, quality, dpi int) ([]byte, error) {
	if img.Bounds().Empty() {
		return nil, errors.New("photo: encode jpeg: empty image")
	}
	return jpegenc.Prepare(img, jpegenc.Options{DPI: dpi}).Encode(quality), nil
}

// SizeFit is the result of fitting a JPEG into a byte window.
type SizeFit struct {
	Data    []byte
	Quality int
}

// errSizeWindow is returned when no quality in [minQ, maxQ] lands in the byte window.
var errSizeWindow = errors.New("no quality fits the size window")

// FitJPEG finds the highest quality in [minQ, maxQ] whose file size is ≤ maxBytes, and checks
// that it is ≥ minBytes. internal/jpegenc does the colour conversion and DCT once and
// computes the exact file size of a quality without writing the file, so the search costs
// a quantisation and a count per probe and one encode at the end.
func FitJPEG(img image.Image, minQ, maxQ, minBytes, maxBytes, dpi int) (*SizeFit, error) {
	if img.Bounds().Empty() {
		return nil, errors.New("photo: fit jpeg: empty image")
	}
	q, data, err := jpegenc.Prepare(img, jpegenc.Options{DPI: dpi}).Fit(minQ, maxQ, minBytes, maxBytes)
	fit := &SizeFit{Data: data, Quality: q}
	if err != nil {
		if errors.Is(err, jpegenc.ErrSizeWindow) {
			if data == nil {
				fit = nil
			}
			return fit, fmt.Errorf("photo: fit jpeg: %w: %w", errSizeWindow, err)
		}
		return nil, fmt.Errorf("photo: fit jpeg: %w", err)
	}
	return fit, nil
}
