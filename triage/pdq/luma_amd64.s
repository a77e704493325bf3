#include "textflag.h"

// The dwords of a 32-byte load holding bytes 0-11 (pixels 0-3) in the low
// 16 bytes and bytes 12-23 (pixels 4-7) in the high 16.
DATA lumaSpread<>+0(SB)/4, $0
DATA lumaSpread<>+4(SB)/4, $1
DATA lumaSpread<>+8(SB)/4, $2
DATA lumaSpread<>+12(SB)/4, $2
DATA lumaSpread<>+16(SB)/4, $3
DATA lumaSpread<>+20(SB)/4, $4
DATA lumaSpread<>+24(SB)/4, $5
DATA lumaSpread<>+28(SB)/4, $5
GLOBL lumaSpread<>(SB), RODATA|NOPTR, $32

// Byte shuffles, the same in both 16-byte halves, that put each pixel's
// red (green, blue) byte in the low byte of its dword and zero the rest
// (0x80 selects zero).
DATA lumaRed<>+0(SB)/8, $0x8080800380808000
DATA lumaRed<>+8(SB)/8, $0x8080800980808006
DATA lumaRed<>+16(SB)/8, $0x8080800380808000
DATA lumaRed<>+24(SB)/8, $0x8080800980808006
GLOBL lumaRed<>(SB), RODATA|NOPTR, $32
DATA lumaGreen<>+0(SB)/8, $0x8080800480808001
DATA lumaGreen<>+8(SB)/8, $0x8080800a80808007
DATA lumaGreen<>+16(SB)/8, $0x8080800480808001
DATA lumaGreen<>+24(SB)/8, $0x8080800a80808007
GLOBL lumaGreen<>(SB), RODATA|NOPTR, $32
DATA lumaBlue<>+0(SB)/8, $0x8080800580808002
DATA lumaBlue<>+8(SB)/8, $0x8080800b80808008
DATA lumaBlue<>+16(SB)/8, $0x8080800580808002
DATA lumaBlue<>+24(SB)/8, $0x8080800b80808008
GLOBL lumaBlue<>(SB), RODATA|NOPTR, $32

// The weights: float32(0.299), float32(0.587), float32(0.114).
DATA lumaWeights<>+0(SB)/4, $0x3e991687
DATA lumaWeights<>+4(SB)/4, $0x3f1645a2
DATA lumaWeights<>+8(SB)/4, $0x3de978d5
GLOBL lumaWeights<>(SB), RODATA|NOPTR, $12

// func lumaRowAVX2(d *float32, p *byte, n int)
//
// 8 pixels at a time: 32 bytes loaded (24 used), their dwords spread so
// that each 16-byte half holds 4 pixels, each channel shuffled into the
// low bytes of 8 dwords and converted to float32, multiplied by its
// weight (the product lumaTables holds) and the three added, red and
// green first, then blue: VMULPS and VADDPS, each rounded alone.
TEXT ·lumaRowAVX2(SB), NOSPLIT, $0-24
	MOVQ         d+0(FP), DI
	MOVQ         p+8(FP), SI
	MOVQ         n+16(FP), CX
	VMOVDQU      lumaSpread<>(SB), Y8
	VMOVDQU      lumaRed<>(SB), Y9
	VMOVDQU      lumaGreen<>(SB), Y10
	VMOVDQU      lumaBlue<>(SB), Y11
	VBROADCASTSS lumaWeights<>+0(SB), Y12
	VBROADCASTSS lumaWeights<>+4(SB), Y13
	VBROADCASTSS lumaWeights<>+8(SB), Y14
	XORQ         AX, AX

block:
	VMOVDQU   (SI), Y0
	VPERMD    Y0, Y8, Y0
	VPSHUFB   Y9, Y0, Y1
	VPSHUFB   Y10, Y0, Y2
	VPSHUFB   Y11, Y0, Y3
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	VMULPS    Y12, Y1, Y1
	VMULPS    Y13, Y2, Y2
	VMULPS    Y14, Y3, Y3
	VADDPS    Y2, Y1, Y1
	VADDPS    Y3, Y1, Y1
	VMOVUPS   Y1, (DI)(AX*4)
	ADDQ      $24, SI
	ADDQ      $8, AX
	CMPQ      AX, CX
	JLT       block
	VZEROUPPER
	RET
