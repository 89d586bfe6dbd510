#include "textflag.h"

// Element-wise AVX2 kernels over n floats, n a multiple of 8.

// func vaddAVX2(y, a, b *float32, n int, lo, hi float32)
// y = clamp(a + b, lo, hi)
TEXT ·vaddAVX2(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS lo+32(FP), Y14
	VBROADCASTSS hi+36(FP), Y15
	SHLQ $2, CX
	XORQ AX, AX
	TESTQ CX, CX
	JEQ vadddone
vaddloop:
	VMOVUPS (SI)(AX*1), Y0
	VADDPS (DX)(AX*1), Y0, Y0
	VMAXPS Y14, Y0, Y0
	VMINPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT vaddloop
vadddone:
	VZEROUPPER
	RET

// func vmulAVX2(y, a, b *float32, n int, lo, hi float32)
// y = clamp(a * b, lo, hi)
TEXT ·vmulAVX2(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS lo+32(FP), Y14
	VBROADCASTSS hi+36(FP), Y15
	SHLQ $2, CX
	XORQ AX, AX
	TESTQ CX, CX
	JEQ vmuldone
vmulloop:
	VMOVUPS (SI)(AX*1), Y0
	VMULPS (DX)(AX*1), Y0, Y0
	VMAXPS Y14, Y0, Y0
	VMINPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT vmulloop
vmuldone:
	VZEROUPPER
	RET

// func vpreluAVX2(y, a, alpha *float32, n int)
// y = max(a, 0) + alpha * min(a, 0)
TEXT ·vpreluAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ alpha+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Y15, Y15, Y15
	SHLQ $2, CX
	XORQ AX, AX
	TESTQ CX, CX
	JEQ vpreludone
vpreluloop:
	VMOVUPS (SI)(AX*1), Y0
	VMINPS Y15, Y0, Y1
	VMAXPS Y15, Y0, Y0
	VFMADD231PS (DX)(AX*1), Y1, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT vpreluloop
vpreludone:
	VZEROUPPER
	RET

// func vclampAVX2(y, x *float32, n int, lo, hi float32)
// y = clamp(x, lo, hi)
TEXT ·vclampAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS lo+24(FP), Y14
	VBROADCASTSS hi+28(FP), Y15
	SHLQ $2, CX
	XORQ AX, AX
	TESTQ CX, CX
	JEQ vclampdone
vclamploop:
	VMOVUPS (SI)(AX*1), Y0
	VMAXPS Y14, Y0, Y0
	VMINPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT vclamploop
vclampdone:
	VZEROUPPER
	RET

// func vhardswishAVX2(y, x *float32, n int, sixth float32)
// y = x * clamp(x + 3, 0, 6) * sixth
TEXT ·vhardswishAVX2(SB), NOSPLIT, $0-28
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS sixth+24(FP), Y13
	MOVL $0x40400000, BX // 3.0
	MOVL BX, X12
	VBROADCASTSS X12, Y12
	MOVL $0x40c00000, BX // 6.0
	MOVL BX, X11
	VBROADCASTSS X11, Y11
	VXORPS Y10, Y10, Y10
	SHLQ $2, CX
	XORQ AX, AX
	TESTQ CX, CX
	JEQ vhsdone
vhsloop:
	VMOVUPS (SI)(AX*1), Y0
	VADDPS Y12, Y0, Y1
	VMAXPS Y10, Y1, Y1
	VMINPS Y11, Y1, Y1
	VMULPS Y0, Y1, Y1
	VMULPS Y13, Y1, Y1
	VMOVUPS Y1, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT vhsloop
vhsdone:
	VZEROUPPER
	RET
