//go:build !amd64

package tflite

var useAVX2 = false

func micro(a0, a1, a2, a3, b []float32, width int, c *[64]float32) {
	k := len(a0)
	microGeneric(a0, a1[:k], a2[:k], a3[:k], b[:k*width], width, c)
}

func micro16Store(a0, a1, a2, a3, b []float32, o0, o1, o2, o3, bias []float32, act clamp) bool {
	return false
}

func dwRow(out, in, w, bias []float32, c8 int, taps, wtaps []int, maxTap, maxW, npix, inStride, outStride int, act clamp) bool {
	return false
}

func vecBinary(kind int32, y, a, b []float32, act clamp) int { return 0 }

func vecUnary(kind int32, y, x []float32, sixth float32) int { return 0 }

func gemm6Rows(a []float32, rows, k int, bp []float32, out []float32, n int, bias []float32, act clamp) int {
	return 0
}
