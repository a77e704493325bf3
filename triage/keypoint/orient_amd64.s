#include "textflag.h"

// func orientAVX2(wt *float64, bin *int32, up, row, down *float32, n int, wts *float64, dx0, dy2 int, k *orientConsts)
//
// For each block of 4 points, in float64 lanes, the Go loop's arithmetic
// step for step, each operation rounding once as Go's does (no fused
// multiply-add): gx and gy are float32 differences widened; the weight is
// the Gaussian weight, gathered at dx*dx+dy2, times the square root of
// gx*gx+gy*gy; the polynomial arctangent of z = min/max of |gx| and |gy|
// is turned into t = off + sign*a by the octant's entries, picked by
// VPERMD from the halves of the table (gx < 0, |gy| > |gx|) and blended
// on gy < 0; the bin is t truncated. A lane's bin is -1 where the
// fraction of t is not strictly between edge and 1-edge (NaN included,
// which no gradient gives) or its gradient is NaN (where VMINPD and
// VMAXPD do not give Go's NaN): the Go loop adds those. Every other lane
// computes what Go does, as its inputs are then not NaN: min and max of
// two non-negative floats, and the conversion of a t between 0 and 36.
// (A fused multiply-add would give the same outputs, so the tests cannot
// see one: gx*gx and gy*gy are exact; t's last bits change a bin only at
// its edge, left to the Go loop, and whether a lane is left to it only
// edge from the edge, where the polynomial and math.Atan2 agree.)
TEXT ·orientAVX2(SB), NOSPLIT, $0-80
	MOVQ wt+0(FP), DI
	MOVQ bin+8(FP), R10
	MOVQ up+16(FP), BX
	MOVQ row+24(FP), SI
	MOVQ down+32(FP), DX
	MOVQ n+40(FP), CX
	MOVQ wts+48(FP), R8
	MOVQ dx0+56(FP), R12
	MOVQ dy2+64(FP), R13
	MOVQ k+72(FP), R9
	VMOVD        R13, X15
	VPBROADCASTD X15, X15 // X15: dy2 in each lane.
	SUBQ         $4, CX   // CX: the last block's first point.
	XORQ         AX, AX   // AX: the block's first point.

block:
	// The weights: wts at dx*dx+dy2, dx = dx0+AX+lane.
	MOVQ         AX, R11
	ADDQ         R12, R11
	VMOVD        R11, X2
	VPBROADCASTD X2, X2
	VPADDD       480(R9), X2, X2
	VPMULLD      X2, X2, X2
	VPADDD       X15, X2, X2
	VPCMPEQD     Y3, Y3, Y3
	VGATHERDPD   Y3, (R8)(X2*8), Y4

	// gx = row[x+1]-row[x-1], gy = down[x]-up[x], in float32, widened.
	VMOVUPS   8(SI)(AX*4), X0
	VSUBPS    (SI)(AX*4), X0, X0
	VCVTPS2PD X0, Y0
	VMOVUPS   (DX)(AX*4), X1
	VSUBPS    (BX)(AX*4), X1, X1
	VCVTPS2PD X1, Y1

	// wt = weight * sqrt(gx*gx + gy*gy); Y5: the lanes whose gradient is NaN.
	VMULPD  Y0, Y0, Y5
	VMULPD  Y1, Y1, Y6
	VADDPD  Y6, Y5, Y5
	VSQRTPD Y5, Y6
	VMULPD  Y6, Y4, Y4
	VMOVUPD Y4, (DI)(AX*8)
	VCMPPD  $3, Y5, Y5, Y5 // unordered

	// a = z*(c0 + u*(c1 + u*(c2 + u*(c3 + u*c4)))), z = min/max, u = z*z.
	VANDPD 224(R9), Y0, Y7 // |gx|
	VANDPD 224(R9), Y1, Y8 // |gy|
	VMINPD Y8, Y7, Y9
	VMAXPD Y8, Y7, Y10
	VDIVPD Y10, Y9, Y9
	VMULPD Y9, Y9, Y10
	VMULPD 0(R9), Y10, Y2
	VADDPD 32(R9), Y2, Y2
	VMULPD Y10, Y2, Y2
	VADDPD 64(R9), Y2, Y2
	VMULPD Y10, Y2, Y2
	VADDPD 96(R9), Y2, Y2
	VMULPD Y10, Y2, Y2
	VADDPD 128(R9), Y2, Y2
	VMULPD Y9, Y2, Y2

	// The octant: Y0 the VPERMD index of its entry in a half of the
	// table, Y1 the lanes of the second half (gy < 0).
	VCMPPD    $0x11, Y8, Y7, Y7 // |gx| < |gy|
	VXORPD    Y8, Y8, Y8
	VCMPPD    $0x11, Y8, Y0, Y0 // gx < 0
	VCMPPD    $0x11, Y8, Y1, Y1 // gy < 0
	VANDPD    384(R9), Y0, Y0
	VANDPD    416(R9), Y7, Y7
	VORPD     Y7, Y0, Y0
	VORPD     448(R9), Y0, Y0
	VPERMD    256(R9), Y0, Y3
	VPERMD    288(R9), Y0, Y4
	VBLENDVPD Y1, Y4, Y3, Y3 // off
	VPERMD    320(R9), Y0, Y4
	VPERMD    352(R9), Y0, Y6
	VBLENDVPD Y1, Y6, Y4, Y4 // sign

	// t = off + sign*a, the bin b = int(t), f = t - b.
	VMULPD      Y2, Y4, Y4
	VADDPD      Y4, Y3, Y3
	VCVTTPD2DQY Y3, X4
	VCVTDQ2PD   X4, Y6
	VSUBPD      Y6, Y3, Y3

	// -1 where !(f > lo && f < hi) or the gradient is NaN.
	VCMPPD       $0x1a, 160(R9), Y3, Y6 // not greater, or unordered
	VORPD        Y6, Y5, Y5
	VCMPPD       $0x15, 192(R9), Y3, Y6 // not less, or unordered
	VORPD        Y6, Y5, Y5
	VEXTRACTF128 $1, Y5, X6
	VSHUFPS      $0x88, X6, X5, X5 // the low half of each qword
	VPOR         X5, X4, X4
	VMOVDQU      X4, (R10)(AX*4)

	CMPQ AX, CX
	JEQ  done
	ADDQ $4, AX
	CMPQ AX, CX
	JLE  block
	MOVQ CX, AX // the last 4 points, overlapping: the same values again
	JMP  block

done:
	VZEROUPPER
	RET
