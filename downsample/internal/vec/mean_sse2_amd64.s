//go:build amd64 && !goexperiment.simd

#include "textflag.h"

// func mean2x2SSE2(d, r0, r1 *byte, groups int, round bool)
//
// Per group: 32 bytes of each row -> 16 outputs. Bytes are split into
// even and odd pixels as 16-bit words (AND 0x00FF, shift right 8), added
// pairwise and across the rows (sums <= 1020), optionally rounded
// (s += 1 + ((s>>2)&1)), shifted right by 2 and packed back to bytes.
TEXT ·mean2x2SSE2(SB), NOSPLIT, $0-33
	MOVQ d+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ groups+24(FP), CX
	MOVBQZX round+32(FP), AX
	MOVQ $0x00FF00FF00FF00FF, BX
	MOVQ BX, X7
	PUNPCKLQDQ X7, X7
	MOVQ $0x0001000100010001, BX
	MOVQ BX, X6
	PUNPCKLQDQ X6, X6

loop:
	TESTQ CX, CX
	JZ done
	MOVOU (SI), X0
	MOVOU (DX), X1
	MOVOU 16(SI), X2
	MOVOU 16(DX), X3

	MOVO X0, X4
	PAND X7, X4
	PSRLW $8, X0
	PADDW X4, X0
	MOVO X1, X4
	PAND X7, X4
	PSRLW $8, X1
	PADDW X4, X1
	PADDW X1, X0

	MOVO X2, X4
	PAND X7, X4
	PSRLW $8, X2
	PADDW X4, X2
	MOVO X3, X4
	PAND X7, X4
	PSRLW $8, X3
	PADDW X4, X3
	PADDW X3, X2

	TESTQ AX, AX
	JZ shift
	MOVO X0, X4
	PSRLW $2, X4
	PAND X6, X4
	PADDW X6, X0
	PADDW X4, X0
	MOVO X2, X4
	PSRLW $2, X4
	PAND X6, X4
	PADDW X6, X2
	PADDW X4, X2

shift:
	PSRLW $2, X0
	PSRLW $2, X2
	PACKUSWB X2, X0
	MOVOU X0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $16, DI
	DECQ CX
	JMP loop

done:
	RET

// func mean2x2AVX2(d, r0, r1 *byte, groups int, round bool)
//
// The same with 256-bit registers: 64 bytes of each row -> 32 outputs.
// VPACKUSWB packs within 128-bit lanes, so VPERMQ $0xD8 restores the
// output order.
TEXT ·mean2x2AVX2(SB), NOSPLIT, $0-33
	MOVQ d+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ groups+24(FP), CX
	MOVBQZX round+32(FP), AX
	MOVQ $0x00FF00FF00FF00FF, BX
	MOVQ BX, X7
	VPBROADCASTQ X7, Y7
	MOVQ $0x0001000100010001, BX
	MOVQ BX, X6
	VPBROADCASTQ X6, Y6

aloop:
	TESTQ CX, CX
	JZ adone
	VMOVDQU (SI), Y0
	VMOVDQU (DX), Y1
	VMOVDQU 32(SI), Y2
	VMOVDQU 32(DX), Y3

	VPAND Y7, Y0, Y4
	VPSRLW $8, Y0, Y0
	VPADDW Y4, Y0, Y0
	VPAND Y7, Y1, Y4
	VPSRLW $8, Y1, Y1
	VPADDW Y4, Y1, Y1
	VPADDW Y1, Y0, Y0

	VPAND Y7, Y2, Y4
	VPSRLW $8, Y2, Y2
	VPADDW Y4, Y2, Y2
	VPAND Y7, Y3, Y4
	VPSRLW $8, Y3, Y3
	VPADDW Y4, Y3, Y3
	VPADDW Y3, Y2, Y2

	TESTQ AX, AX
	JZ ashift
	VPSRLW $2, Y0, Y4
	VPAND Y6, Y4, Y4
	VPADDW Y6, Y0, Y0
	VPADDW Y4, Y0, Y0
	VPSRLW $2, Y2, Y4
	VPAND Y6, Y4, Y4
	VPADDW Y6, Y2, Y2
	VPADDW Y4, Y2, Y2

ashift:
	VPSRLW $2, Y0, Y0
	VPSRLW $2, Y2, Y2
	VPACKUSWB Y2, Y0, Y0
	VPERMQ $0xD8, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $32, DI
	DECQ CX
	JMP aloop

adone:
	VZEROUPPER
	RET
