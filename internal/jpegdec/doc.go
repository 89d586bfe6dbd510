// Package jpegdec is a fast decoder for baseline JPEG files that can decode
// straight to a reduced size (1/2, 1/4, 1/8) in the DCT domain.
package jpegdec
