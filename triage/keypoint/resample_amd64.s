#include "go_asm.h"
#include "textflag.h"

// TAP loads output j's taps (of those at R8, tap__size bytes each): the
// address of its column first in t (SI) into col, its weights' pointer
// into wt.
#define TAP(j, col, wt) \
	MOVQ tap_first+(j*tap__size)(R8), col \
	SHLQ $5, col                          \
	ADDQ SI, col                          \
	MOVQ tap_w+(j*tap__size)(R8), wt

// STEP adds weight R15/4 of wt (broadcast) times column R15/4 of col's
// (its 8 rows) to acc: VMULPS, then VADDPS, each rounded alone as the Go
// loop's s += wt*a[k] is (never FMA).
#define STEP(col, wt, tmp, acc) \
	VBROADCASTSS (wt)(R15*1), tmp    \
	VMULPS       (col)(R15*8), tmp, tmp \
	VADDPS       tmp, acc, acc

// func resampleRunAVX2(t, u *float32, xs *tap, n int)
//
// For each of the n outputs x, the taps xs[x] (first, then the weights'
// pointer and count, at the offsets go_asm.h gives): an accumulator
// starts at +0 and for each weight in order adds the weight times column
// first+k of t (its 8 rows, 8 lanes); it is stored to u[8x:8x+8]. A tap
// of no weight stores +0, the Go loop's empty sum. Four outputs whose
// taps have the same count (the triangle filter's usual case) run
// together, four independent sums that hide the adds' latency; any other
// output runs alone.
TEXT ·resampleRunAVX2(SB), NOSPLIT, $0-32
	MOVQ t+0(FP), SI
	MOVQ u+8(FP), DI
	MOVQ xs+16(FP), R8
	MOVQ n+24(FP), CX

output:
	MOVQ tap_w+8(R8), DX                 // the count of output x's weights
	SHLQ $2, DX                          // in bytes
	CMPQ CX, $4
	JLT  one
	MOVQ tap_w+8+tap__size(R8), BX
	SHLQ $2, BX
	CMPQ BX, DX
	JNE  one
	MOVQ tap_w+8+(2*tap__size)(R8), BX
	SHLQ $2, BX
	CMPQ BX, DX
	JNE  one
	MOVQ tap_w+8+(3*tap__size)(R8), BX
	SHLQ $2, BX
	CMPQ BX, DX
	JNE  one
	TAP(0, AX, BX)
	TAP(1, R9, R10)
	TAP(2, R11, R12)
	TAP(3, R13, R14)
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	XORQ   R15, R15
	TESTQ  DX, DX
	JZ     store4

weight4:
	STEP(AX, BX, Y1, Y0)
	STEP(R9, R10, Y3, Y2)
	STEP(R11, R12, Y5, Y4)
	STEP(R13, R14, Y7, Y6)
	ADDQ $4, R15
	CMPQ R15, DX
	JNE  weight4

store4:
	VMOVUPS Y0, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y4, 64(DI)
	VMOVUPS Y6, 96(DI)
	ADDQ    $128, DI
	ADDQ    $(4*tap__size), R8
	SUBQ    $4, CX
	JNZ     output
	JMP     done

one:
	TAP(0, AX, BX)
	VXORPS Y0, Y0, Y0
	XORQ   R15, R15
	TESTQ  DX, DX
	JZ     store1

weight1:
	STEP(AX, BX, Y1, Y0)
	ADDQ $4, R15
	CMPQ R15, DX
	JNE  weight1

store1:
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $tap__size, R8
	DECQ    CX
	JNZ     output

done:
	VZEROUPPER
	RET
