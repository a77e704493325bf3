#include "textflag.h"

// func peaksAVX2(xs *int, p *float32, w, x, n int) int
//
// For each block of 8 points, the points and their 8 neighbours are
// loaded (the row's at one float to each side, the rows above and below
// at one float before, at and after), and two masks are made from
// VCMPPS with ordered, quiet predicates, false when either side is NaN
// as Go's comparisons are: above, v >= 0.5 (GE_OQ) and v > each
// neighbour (GT_OQ); below, v <= -0.5 (LE_OQ) and v < each neighbour
// (LT_OQ). The x of each lane set in either, lowest lane first, is
// stored at xs.
TEXT ·peaksAVX2(SB), NOSPLIT, $0-48
	MOVQ xs+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ x+24(FP), R8
	MOVQ n+32(FP), CX
	SHLQ $2, DX
	MOVQ SI, R9
	SUBQ DX, R9          // R9: the row above.
	LEAQ (SI)(DX*1), R10 // R10: the row below.
	MOVL $0x3f000000, BX // 0.5: minContrast.
	VMOVD BX, X14
	VBROADCASTSS X14, Y14
	MOVL $0xbf000000, BX // -0.5
	VMOVD BX, X15
	VBROADCASTSS X15, Y15
	XORQ AX, AX          // AX: the block's first point, from p.
	XORQ R11, R11        // R11: the points found.

block:
	CMPQ    AX, CX
	JGE     done
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS -4(SI)(AX*4), Y1
	VMOVUPS 4(SI)(AX*4), Y2
	VMOVUPS -4(R9)(AX*4), Y3
	VMOVUPS (R9)(AX*4), Y4
	VMOVUPS 4(R9)(AX*4), Y5
	VMOVUPS -4(R10)(AX*4), Y6
	VMOVUPS (R10)(AX*4), Y7
	VMOVUPS 4(R10)(AX*4), Y8

	VCMPPS $0x1d, Y14, Y0, Y9  // v >= 0.5
	VCMPPS $0x1e, Y1, Y0, Y10  // v > left
	VANDPS Y10, Y9, Y9
	VCMPPS $0x1e, Y2, Y0, Y10  // v > right
	VANDPS Y10, Y9, Y9
	VCMPPS $0x1e, Y3, Y0, Y10
	VANDPS Y10, Y9, Y9
	VCMPPS $0x1e, Y4, Y0, Y10
	VANDPS Y10, Y9, Y9
	VCMPPS $0x1e, Y5, Y0, Y10
	VANDPS Y10, Y9, Y9
	VCMPPS $0x1e, Y6, Y0, Y10
	VANDPS Y10, Y9, Y9
	VCMPPS $0x1e, Y7, Y0, Y10
	VANDPS Y10, Y9, Y9
	VCMPPS $0x1e, Y8, Y0, Y10
	VANDPS Y10, Y9, Y9

	VCMPPS $0x12, Y15, Y0, Y11 // v <= -0.5
	VCMPPS $0x11, Y1, Y0, Y12  // v < left
	VANDPS Y12, Y11, Y11
	VCMPPS $0x11, Y2, Y0, Y12  // v < right
	VANDPS Y12, Y11, Y11
	VCMPPS $0x11, Y3, Y0, Y12
	VANDPS Y12, Y11, Y11
	VCMPPS $0x11, Y4, Y0, Y12
	VANDPS Y12, Y11, Y11
	VCMPPS $0x11, Y5, Y0, Y12
	VANDPS Y12, Y11, Y11
	VCMPPS $0x11, Y6, Y0, Y12
	VANDPS Y12, Y11, Y11
	VCMPPS $0x11, Y7, Y0, Y12
	VANDPS Y12, Y11, Y11
	VCMPPS $0x11, Y8, Y0, Y12
	VANDPS Y12, Y11, Y11

	VORPS     Y11, Y9, Y9
	VMOVMSKPS Y9, BX
	TESTL     BX, BX
	JZ        next

found:
	BSFL BX, R12 // the lowest lane left
	ADDQ AX, R12
	ADDQ R8, R12
	MOVQ R12, (DI)(R11*8)
	INCQ R11
	LEAL -1(BX), R12
	ANDL R12, BX
	JNZ  found

next:
	ADDQ $8, AX
	JMP  block

done:
	VZEROUPPER
	MOVQ R11, ret+40(FP)
	RET
