#include "textflag.h"

// func boxColumnsAVX2(s *float32, n int, dst *float32, w int, src *float32, L, add, rows int, win float32)
//
// Columns 32 at a time (then 8): their running sums stay in registers
// down the rows; each row adds the entering sample (add floats on), then
// subtracts the leaving one, and stores the sum divided by the window,
// VADDPS, VSUBPS, VDIVPS: the Go loop's operations, each rounded alone.
// The 4 sums of a block of 32 are independent, which hides the latency
// of the adds and the divisions.
TEXT ·boxColumnsAVX2(SB), NOSPLIT, $0-68
	MOVQ         s+0(FP), R8
	MOVQ         n+8(FP), CX
	MOVQ         dst+16(FP), R9
	MOVQ         w+24(FP), R10
	SHLQ         $2, R10 // R10: a row of dst, in bytes.
	MOVQ         src+32(FP), R11
	MOVQ         L+40(FP), R12
	SHLQ         $2, R12 // R12: a row of the strip, in bytes.
	MOVQ         add+48(FP), R13
	SHLQ         $2, R13 // R13: the entering row's distance, in bytes.
	MOVQ         rows+56(FP), R14
	VBROADCASTSS win+64(FP), Y15
	XORQ         AX, AX // AX: the block's first column.

block32:
	LEAQ    32(AX), DX
	CMPQ    DX, CX
	JGT     block8
	VMOVUPS (R8)(AX*4), Y0
	VMOVUPS 32(R8)(AX*4), Y1
	VMOVUPS 64(R8)(AX*4), Y2
	VMOVUPS 96(R8)(AX*4), Y3
	LEAQ    (R11)(AX*4), SI // SI: the leaving sample's row.
	LEAQ    (SI)(R13*1), BX // BX: the entering sample's row.
	LEAQ    (R9)(AX*4), DI  // DI: the output row.
	MOVQ    R14, DX

row32:
	VADDPS  (BX), Y0, Y0
	VADDPS  32(BX), Y1, Y1
	VADDPS  64(BX), Y2, Y2
	VADDPS  96(BX), Y3, Y3
	VSUBPS  (SI), Y0, Y0
	VSUBPS  32(SI), Y1, Y1
	VSUBPS  64(SI), Y2, Y2
	VSUBPS  96(SI), Y3, Y3
	VDIVPS  Y15, Y0, Y4
	VDIVPS  Y15, Y1, Y5
	VDIVPS  Y15, Y2, Y6
	VDIVPS  Y15, Y3, Y7
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	VMOVUPS Y6, 64(DI)
	VMOVUPS Y7, 96(DI)
	ADDQ    R12, SI
	ADDQ    R12, BX
	ADDQ    R10, DI
	DECQ    DX
	JNZ     row32
	VMOVUPS Y0, (R8)(AX*4)
	VMOVUPS Y1, 32(R8)(AX*4)
	VMOVUPS Y2, 64(R8)(AX*4)
	VMOVUPS Y3, 96(R8)(AX*4)
	ADDQ    $32, AX
	JMP     block32

block8:
	LEAQ    8(AX), DX
	CMPQ    DX, CX
	JGT     done
	VMOVUPS (R8)(AX*4), Y0
	LEAQ    (R11)(AX*4), SI
	LEAQ    (SI)(R13*1), BX
	LEAQ    (R9)(AX*4), DI
	MOVQ    R14, DX

row8:
	VADDPS  (BX), Y0, Y0
	VSUBPS  (SI), Y0, Y0
	VDIVPS  Y15, Y0, Y4
	VMOVUPS Y4, (DI)
	ADDQ    R12, SI
	ADDQ    R12, BX
	ADDQ    R10, DI
	DECQ    DX
	JNZ     row8
	VMOVUPS Y0, (R8)(AX*4)
	ADDQ    $8, AX
	JMP     block8

done:
	VZEROUPPER
	RET

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

// func transposeInAVX2(t *float32, rows *[8]*float32, n int)
//
// t[x*8+i] = rows[i][x] for x below n (a multiple of 8, at least 8): 8
// columns of the 8 rows at a time, loaded, transposed and stored as 8
// consecutive columns of t.
TEXT ·transposeInAVX2(SB), NOSPLIT, $0-24
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

in8:
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
	JLT     in8
	VZEROUPPER
	RET

// func transposeOutAVX2(rows *[8]*float32, u *float32, n int)
//
// rows[i][x] = u[x*8+i] for x below n (a multiple of 8, at least 8):
// transposeInAVX2 the other way.
TEXT ·transposeOutAVX2(SB), NOSPLIT, $0-24
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

out8:
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
	JLT     out8
	VZEROUPPER
	RET

// STORE stores output AX of boxRunAVX2: Y0 divided by cnt[AX] (R8), to
// u (DI) + 32 AX.
#define STORE \
	VBROADCASTSS (R8)(AX*4), Y1 \
	VDIVPS       Y1, Y0, Y2     \
	MOVQ         AX, DX         \
	SHLQ         $5, DX         \
	VMOVUPS      Y2, (DI)(DX*1)

// func boxRunAVX2(t, u, cnt *float32, n, lead, head int)
//
// One box-filter pass along 8 lines at once, stored column by column in t
// (t[x*8+i] is line i's sample x, n samples): the 8 running sums are the
// lanes of Y0, built as the Go loops build each line's (adds from 0, then
// an add of the entering sample and a subtraction of the leaving one),
// and u[x*8+i] receives line i's sum at x divided by cnt[x] (the number
// of samples in the window there, or 1 for the sum itself).
TEXT ·boxRunAVX2(SB), NOSPLIT, $0-48
	MOVQ   t+0(FP), SI
	MOVQ   u+8(FP), DI
	MOVQ   cnt+16(FP), R8
	MOVQ   n+24(FP), CX
	MOVQ   lead+32(FP), R9
	MOVQ   head+40(FP), R10
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX // AX: the sample added, then the output.

first:
	CMPQ   AX, R9
	JGE    entering
	MOVQ   AX, DX
	SHLQ   $5, DX
	VADDPS (SI)(DX*1), Y0, Y0
	INCQ   AX
	JMP    first

	// Outputs 0 .. head-1: the sample lead on enters.
entering:
	XORQ AX, AX

enterLoop:
	CMPQ   AX, R10
	JGE    full
	LEAQ   (AX)(R9*1), DX
	SHLQ   $5, DX
	VADDPS (SI)(DX*1), Y0, Y0
	STORE
	INCQ   AX
	JMP    enterLoop

	// Outputs head .. n-lead-1: the sample lead on enters, the one head
	// back leaves.
full:
	MOVQ CX, R11
	SUBQ R9, R11 // R11: n-lead.

fullLoop:
	CMPQ   AX, R11
	JGE    leaving
	LEAQ   (AX)(R9*1), DX
	SHLQ   $5, DX
	VADDPS (SI)(DX*1), Y0, Y0
	MOVQ   AX, DX
	SUBQ   R10, DX
	SHLQ   $5, DX
	VSUBPS (SI)(DX*1), Y0, Y0
	STORE
	INCQ   AX
	JMP    fullLoop

	// Outputs n-lead .. n-1: only the sample head back leaves.
leaving:
	CMPQ   AX, CX
	JGE    done
	MOVQ   AX, DX
	SUBQ   R10, DX
	SHLQ   $5, DX
	VSUBPS (SI)(DX*1), Y0, Y0
	STORE
	INCQ   AX
	JMP    leaving

done:
	VZEROUPPER
	RET
