package tflite

import "math"

// Implemented in gemm_amd64.s.

//go:noescape
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

//go:noescape
func xgetbv0() (eax, edx uint32)

//go:noescape
func gemm4x16AVX2(a0, a1, a2, a3, b *float32, k int, c *[64]float32)

//go:noescape
func gemm4x8AVX2(a0, a1, a2, a3, b *float32, k int, c *[64]float32)

//go:noescape
func gemm4x16StoreAVX2(a0, a1, a2, a3, b *float32, k int, o0, o1, o2, o3, bias *float32, lo, hi float32)

//go:noescape
func dwRowAVX2(out, in, w, bias *float32, c8 int, taps, wtaps *int, ntaps int, lo, hi float32, npix, inStride, outStride int)

// hasAVX2FMA reports whether the CPU and OS support AVX2 and FMA.
func hasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

var useAVX2 = hasAVX2FMA()

// micro computes the 4×width block c[r*16+j] = Σ_i a_r[i]·b[i*width+j]
// (width 16 or 8) with the assembly kernels when the CPU allows.
func micro(a0, a1, a2, a3, b []float32, width int, c *[64]float32) {
	k := len(a0)
	a1, a2, a3 = a1[:k], a2[:k], a3[:k] // the kernel reads k values of each row
	b = b[:k*width]
	if !useAVX2 || k == 0 {
		microGeneric(a0, a1, a2, a3, b, width, c)
		return
	}
	if width == 16 {
		gemm4x16AVX2(&a0[0], &a1[0], &a2[0], &a3[0], &b[0], k, c)
	} else {
		gemm4x8AVX2(&a0[0], &a1[0], &a2[0], &a3[0], &b[0], k, c)
	}
}

// micro16Store computes four full output rows of a 16-wide panel with bias
// and clamp applied, when the assembly kernels are available.
func micro16Store(a0, a1, a2, a3, b []float32, o0, o1, o2, o3, bias []float32, act clamp) bool {
	k := len(a0)
	if !useAVX2 || k == 0 {
		return false
	}
	a1, a2, a3 = a1[:k], a2[:k], a3[:k]
	b = b[:k*16]
	o0, o1, o2, o3, bias = o0[:16], o1[:16], o2[:16], o3[:16], bias[:16]
	gemm4x16StoreAVX2(&a0[0], &a1[0], &a2[0], &a3[0], &b[0], k, &o0[0], &o1[0], &o2[0], &o3[0], &bias[0], act.lo, act.hi)
	return true
}

// dwRow computes the first c8 channels (a multiple of 8) of npix
// depthwise output pixels: out[p*outStride+c] = clamp(bias[c] +
// Σ_t in[p*inStride+taps[t]+c]·w[wtaps[t]+c]). taps and wtaps are element
// offsets given in bytes; maxTap and maxW are the largest (in elements).
// It reports false when the assembly kernel is unavailable.
func dwRow(out, in, w, bias []float32, c8 int, taps, wtaps []int, maxTap, maxW, npix, inStride, outStride int, act clamp) bool {
	if !useAVX2 || c8 == 0 || npix == 0 || len(taps) == 0 {
		return false
	}
	wtaps = wtaps[:len(taps)]
	// Every element the kernel touches must be inside the slices.
	_ = in[(npix-1)*inStride+maxTap+c8-1]
	_ = w[maxW+c8-1]
	_ = out[(npix-1)*outStride+c8-1]
	bias = bias[:c8]
	dwRowAVX2(&out[0], &in[0], &w[0], &bias[0], c8, &taps[0], &wtaps[0], len(taps), act.lo, act.hi, npix, inStride*4, outStride*4)
	return true
}

//go:noescape
func vaddAVX2(y, a, b *float32, n int, lo, hi float32)

//go:noescape
func vmulAVX2(y, a, b *float32, n int, lo, hi float32)

//go:noescape
func vpreluAVX2(y, a, alpha *float32, n int)

//go:noescape
func vclampAVX2(y, x *float32, n int, lo, hi float32)

//go:noescape
func vhardswishAVX2(y, x *float32, n int, sixth float32)

// vecBinary computes the first n8 = len(y)&^7 elements of y = a (op) b with
// the assembly kernels and returns n8 (0 when unavailable).
func vecBinary(kind int32, y, a, b []float32, act clamp) int {
	n8 := len(y) &^ 7
	if !useAVX2 || n8 == 0 {
		return 0
	}
	y, a, b = y[:n8], a[:n8], b[:n8]
	switch kind {
	case opAdd:
		vaddAVX2(&y[0], &a[0], &b[0], n8, act.lo, act.hi)
	case opMul:
		vmulAVX2(&y[0], &a[0], &b[0], n8, act.lo, act.hi)
	case opPrelu:
		vpreluAVX2(&y[0], &a[0], &b[0], n8)
		act.applyAll(y)
	default:
		return 0
	}
	return n8
}

// vecUnary computes the first len(y)&^7 elements of a clamp or hard-swish
// and returns how many it did (0 when unavailable).
func vecUnary(kind int32, y, x []float32, sixth float32) int {
	n8 := len(y) &^ 7
	if !useAVX2 || n8 == 0 {
		return 0
	}
	y, x = y[:n8], x[:n8]
	switch kind {
	case opRelu:
		vclampAVX2(&y[0], &x[0], n8, 0, float32(math.Inf(1)))
	case opRelu6:
		vclampAVX2(&y[0], &x[0], n8, 0, 6)
	case opReluN1To1:
		vclampAVX2(&y[0], &x[0], n8, -1, 1)
	case opHardSwish:
		vhardswishAVX2(&y[0], &x[0], n8, sixth)
	default:
		return 0
	}
	return n8
}

//go:noescape
func gemm6x16StoreAVX2(a *float32, lda int, b *float32, k int, o *float32, ldo int, bias *float32, lo, hi float32)

// gemm6Rows computes rows [0, 6·g) of a 16-wide panel into out (row stride
// n) for the largest g with 6·g <= rows, and returns 6·g (0 when the
// assembly kernels are unavailable). a holds rows of k values.
func gemm6Rows(a []float32, rows, k int, bp []float32, out []float32, n int, bias []float32, act clamp) int {
	g := rows / 6
	if !useAVX2 || g == 0 || k == 0 {
		return 0
	}
	_ = a[(6*g)*k-1]
	_ = bp[16*k-1]
	_ = out[(6*g-1)*n+15]
	bias = bias[:16]
	for r := 0; r < 6*g; r += 6 {
		gemm6x16StoreAVX2(&a[r*k], k*4, &bp[0], k, &out[r*n], n*4, &bias[0], act.lo, act.hi)
	}
	return 6 * g
}
