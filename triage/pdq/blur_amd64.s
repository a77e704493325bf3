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
