package jpegdec

import (
	"errors"
	"fmt"
	"image"
)

// Options controls Decode.
type Options struct {
	// Scale is the reduction factor: 1, 2, 4 or 8 (0 means 1). The output is
	// ceil(W/Scale)×ceil(H/Scale) pixels.
	Scale int
	// Workers is the number of goroutines used (0 means 2). 1 decodes fully
	// sequentially; with 2 or more, one goroutine does the entropy decoding and
	// the others dequantise, transform and write pixels.
	Workers int
}

// ErrUnsupported is wrapped by the error returned for valid JPEG files that this
// package does not decode (progressive, arithmetic, lossless, 12-bit, CMYK, RGB,
// multi-scan sequential, sampling factors above 2). Callers fall back to image/jpeg.
var ErrUnsupported = errors.New("jpegdec: unsupported JPEG")

// errFormat builds an error for corrupt or truncated data.
func errFormat(msg string) error { return errors.New("jpegdec: invalid JPEG: " + msg) }

func errUnsupported(what string) error { return fmt.Errorf("%w: %s", ErrUnsupported, what) }

var (
	errTruncated = errFormat("truncated data")
	errBadHuff   = errFormat("bad Huffman code")
)

// Decode decodes a baseline JPEG held in data. Scale 0 means 1.
// The result is an *image.YCbCr (3 components) or an *image.Gray (1 component).
func Decode(data []byte, o Options) (image.Image, error) {
	scale := o.Scale
	if scale == 0 {
		scale = 1
	}
	if scale != 1 && scale != 2 && scale != 4 && scale != 8 {
		return nil, fmt.Errorf("jpegdec: Scale %d is not 1, 2, 4 or 8", o.Scale)
	}
	workers := o.Workers
	if workers <= 0 {
		workers = 2
	}
	var h header
	if err := h.parse(data, false); err != nil {
		return nil, err
	}
	return decodeScan(data, &h, scale, workers)
}

// Config reports width, height, components and whether Decode supports the file,
// reading only headers (up to the frame header). err is non-nil only when the
// headers are corrupt or missing; an unsupported but valid file gives supported=false.
func Config(data []byte) (w, h, components int, supported bool, err error) {
	var hd header
	err = hd.parse(data, true)
	if err != nil && !errors.Is(err, ErrUnsupported) {
		return 0, 0, 0, false, err
	}
	if !hd.sofSeen {
		return 0, 0, 0, false, err
	}
	return hd.width, hd.height, hd.ncomp, err == nil, nil
}
