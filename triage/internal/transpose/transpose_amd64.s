#include "textflag.h"

// TRANSPOSE8 transposes the 8x8 floats in Y0-Y7 (row i in Yi) into
// Y8-Y15 (column i in Y(8+i)); Y0-Y7 are overwritten.
#define TRANSPOSE8 \
	VUNPCKLPS  Y1, Y0, Y8  \ // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS  Y1, Y0, Y9  \ // a2 b2 a3 b3 | a6 b6 a7 b7
	VUNPCKLPS  Y3, Y2, Y10 \
	VUNPCKHPS  Y3, Y2, Y11 \
	VUNPCKLPS  Y5, Y4, Y12 \
	VUNPCKHPS  Y5, Y4, Y13 \
	VUNPCKLPS  Y7, Y6, Y14 \
	VUNPCKHPS  Y7, Y6, Y15 \
	VSHUFPS    $0x44, Y10, Y8, Y0  \ // a0 b0 c0 d0 | a4 b4 c4 d4
	VSHUFPS    $0xEE, Y10, Y8, Y1  \ // a1 b1 c1 d1 | a5 b5 c5 d5
	VSHUFPS    $0x44, Y11, Y9, Y2  \
	VSHUFPS    $0xEE, Y11, Y9, Y3  \
	VSHUFPS    $0x44, Y14, Y12, Y4 \ // e0 f0 g0 h0 | e4 f4 g4 h4
	VSHUFPS    $0xEE, Y14, Y12, Y5 \
	VSHUFPS    $0x44, Y15, Y13, Y6 \
	VSHUFPS    $0xEE, Y15, Y13, Y7 \
	VPERM2F128 $0x20, Y4, Y0, Y8   \ // a0 b0 c0 d0 e0 f0 g0 h0
	VPERM2F128 $0x20, Y5, Y1, Y9   \
	VPERM2F128 $0x20, Y6, Y2, Y10  \
	VPERM2F128 $0x20, Y7, Y3, Y11  \
	VPERM2F128 $0x31, Y4, Y0, Y12  \ // a4 b4 c4 d4 e4 f4 g4 h4
	VPERM2F128 $0x31, Y5, Y1, Y13  \
	VPERM2F128 $0x31, Y6, Y2, Y14  \
	VPERM2F128 $0x31, Y7, Y3, Y15

// func in8AVX2(t *float32, rows *[8]*float32, n int)
//
// t[x*8+i] = rows[i][x] for x below n (a multiple of 8, at least 8): 8
// columns of the 8 rows at a time, loaded, transposed and stored as 8
// consecutive columns of t.
TEXT ·in8AVX2(SB), NOSPLIT, $0-24
	MOVQ t+0(FP), DI
	MOVQ rows+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ 0(SI), R8
	MOVQ 8(SI), R9
	MOVQ 16(SI), R10
	MOVQ 24(SI), R11
	MOVQ 32(SI), R12
	MOVQ 40(SI), R13
	MOVQ 48(SI), R14
	MOVQ 56(SI), R15
	XORQ AX, AX

block:
	VMOVUPS (R8)(AX*4), Y0
	VMOVUPS (R9)(AX*4), Y1
	VMOVUPS (R10)(AX*4), Y2
	VMOVUPS (R11)(AX*4), Y3
	VMOVUPS (R12)(AX*4), Y4
	VMOVUPS (R13)(AX*4), Y5
	VMOVUPS (R14)(AX*4), Y6
	VMOVUPS (R15)(AX*4), Y7
	TRANSPOSE8
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)
	VMOVUPS Y10, 64(DI)
	VMOVUPS Y11, 96(DI)
	VMOVUPS Y12, 128(DI)
	VMOVUPS Y13, 160(DI)
	VMOVUPS Y14, 192(DI)
	VMOVUPS Y15, 224(DI)
	ADDQ    $256, DI
	ADDQ    $8, AX
	CMPQ    AX, CX
	JLT     block
	VZEROUPPER
	RET

// func out8AVX2(rows *[8]*float32, u *float32, n int)
//
// rows[i][x] = u[x*8+i] for x below n (a multiple of 8, at least 8):
// in8AVX2 the other way.
TEXT ·out8AVX2(SB), NOSPLIT, $0-24
	MOVQ rows+0(FP), DI
	MOVQ u+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ 0(DI), R8
	MOVQ 8(DI), R9
	MOVQ 16(DI), R10
	MOVQ 24(DI), R11
	MOVQ 32(DI), R12
	MOVQ 40(DI), R13
	MOVQ 48(DI), R14
	MOVQ 56(DI), R15
	XORQ AX, AX

block:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS 128(SI), Y4
	VMOVUPS 160(SI), Y5
	VMOVUPS 192(SI), Y6
	VMOVUPS 224(SI), Y7
	TRANSPOSE8
	VMOVUPS Y8, (R8)(AX*4)
	VMOVUPS Y9, (R9)(AX*4)
	VMOVUPS Y10, (R10)(AX*4)
	VMOVUPS Y11, (R11)(AX*4)
	VMOVUPS Y12, (R12)(AX*4)
	VMOVUPS Y13, (R13)(AX*4)
	VMOVUPS Y14, (R14)(AX*4)
	VMOVUPS Y15, (R15)(AX*4)
	ADDQ    $256, SI
	ADDQ    $8, AX
	CMPQ    AX, CX
	JLT     block
	VZEROUPPER
	RET
