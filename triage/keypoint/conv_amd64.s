#include "textflag.h"

// func convolveAVX2(out, src *float32, n int, offs *int, k *float32, nk int)
//
// For each block of 32 outputs (then of 8), each tap's weight is
// broadcast to all lanes and multiplied by the 8 inputs at the tap's
// offset, and the products are added to the block's sums, tap after tap:
// VMULPS then VADDPS, as the Go loops' separate multiply and add round.
// The 4 sums of a block of 32 are independent, which hides the latency
// of the adds.
TEXT ·convolveAVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ offs+24(FP), R8
	MOVQ k+32(FP), R9
	MOVQ nk+40(FP), R10
	XORQ AX, AX // AX: the block's first output.

block32:
	LEAQ 32(AX), DX
	CMPQ DX, CX
	JGT  block8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ   BX, BX // BX: the tap.

tap32:
	VBROADCASTSS (R9)(BX*4), Y4
	MOVQ         (R8)(BX*8), DX
	ADDQ         AX, DX
	LEAQ         (SI)(DX*4), DX
	VMULPS       (DX), Y4, Y5
	VADDPS       Y5, Y0, Y0
	VMULPS       32(DX), Y4, Y6
	VADDPS       Y6, Y1, Y1
	VMULPS       64(DX), Y4, Y7
	VADDPS       Y7, Y2, Y2
	VMULPS       96(DX), Y4, Y8
	VADDPS       Y8, Y3, Y3
	INCQ         BX
	CMPQ         BX, R10
	JLT          tap32
	LEAQ         (DI)(AX*4), DX
	VMOVUPS      Y0, (DX)
	VMOVUPS      Y1, 32(DX)
	VMOVUPS      Y2, 64(DX)
	VMOVUPS      Y3, 96(DX)
	ADDQ         $32, AX
	JMP          block32

block8:
	LEAQ   8(AX), DX
	CMPQ   DX, CX
	JGT    done
	VXORPS Y0, Y0, Y0
	XORQ   BX, BX

tap8:
	VBROADCASTSS (R9)(BX*4), Y4
	MOVQ         (R8)(BX*8), DX
	ADDQ         AX, DX
	VMULPS       (SI)(DX*4), Y4, Y5
	VADDPS       Y5, Y0, Y0
	INCQ         BX
	CMPQ         BX, R10
	JLT          tap8
	VMOVUPS      Y0, (DI)(AX*4)
	ADDQ         $8, AX
	JMP          block8

done:
	VZEROUPPER
	RET

// func differenceAVX2(d, a, b *float32, n int)
//
// d[x] = a[x]-b[x], 32 floats at a time (then 8): one VSUBPS per 8, the
// Go loop's subtraction.
TEXT ·differenceAVX2(SB), NOSPLIT, $0-32
	MOVQ d+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	XORQ AX, AX

diff32:
	LEAQ    32(AX), BX
	CMPQ    BX, CX
	JGT     diff8
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VMOVUPS 64(SI)(AX*4), Y2
	VMOVUPS 96(SI)(AX*4), Y3
	VSUBPS  (DX)(AX*4), Y0, Y0
	VSUBPS  32(DX)(AX*4), Y1, Y1
	VSUBPS  64(DX)(AX*4), Y2, Y2
	VSUBPS  96(DX)(AX*4), Y3, Y3
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	MOVQ    BX, AX
	JMP     diff32

diff8:
	LEAQ    8(AX), BX
	CMPQ    BX, CX
	JGT     diffdone
	VMOVUPS (SI)(AX*4), Y0
	VSUBPS  (DX)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	MOVQ    BX, AX
	JMP     diff8

diffdone:
	VZEROUPPER
	RET
