//go:build amd64 && !purego

#include "textflag.h"

// func convVec(out, in, k *float32, taps, step, n int)
// Blocks of 64 outputs in eight accumulators (enough to hide the FMA
// latency), then of 32 in four, then of 8.
TEXT ·convVec(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ in+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ taps+24(FP), R8
	MOVQ step+32(FP), R9
	SHLQ $2, R9
	MOVQ n+40(FP), CX

block64:
	CMPQ CX, $64
	JL   block32
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ R8, R12

tap64:
	VBROADCASTSS (R11), Y4
	VFMADD231PS  (R10), Y4, Y0
	VFMADD231PS  32(R10), Y4, Y1
	VFMADD231PS  64(R10), Y4, Y2
	VFMADD231PS  96(R10), Y4, Y3
	VFMADD231PS  128(R10), Y4, Y5
	VFMADD231PS  160(R10), Y4, Y6
	VFMADD231PS  192(R10), Y4, Y7
	VFMADD231PS  224(R10), Y4, Y8
	ADDQ         $4, R11
	ADDQ         R9, R10
	DECQ         R12
	JNZ          tap64
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 64(DI)
	VMOVUPS      Y3, 96(DI)
	VMOVUPS      Y5, 128(DI)
	VMOVUPS      Y6, 160(DI)
	VMOVUPS      Y7, 192(DI)
	VMOVUPS      Y8, 224(DI)
	ADDQ         $256, DI
	ADDQ         $256, SI
	SUBQ         $64, CX
	JMP          block64

block32:
	CMPQ CX, $32
	JL   block8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ R8, R12

tap32:
	VBROADCASTSS (R11), Y4
	VFMADD231PS  (R10), Y4, Y0
	VFMADD231PS  32(R10), Y4, Y1
	VFMADD231PS  64(R10), Y4, Y2
	VFMADD231PS  96(R10), Y4, Y3
	ADDQ         $4, R11
	ADDQ         R9, R10
	DECQ         R12
	JNZ          tap32
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 64(DI)
	VMOVUPS      Y3, 96(DI)
	ADDQ         $128, DI
	ADDQ         $128, SI
	SUBQ         $32, CX
	JMP          block32

block8:
	CMPQ CX, $8
	JL   done
	VXORPS Y0, Y0, Y0
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ R8, R12

tap8:
	VBROADCASTSS (R11), Y4
	VFMADD231PS  (R10), Y4, Y0
	ADDQ         $4, R11
	ADDQ         R9, R10
	DECQ         R12
	JNZ          tap8
	VMOVUPS      Y0, (DI)
	ADDQ         $32, DI
	ADDQ         $32, SI
	SUBQ         $8, CX
	JMP          block8

done:
	VZEROUPPER
	RET

// func axpyU8Vec(acc, w *float32, s float32, y *uint8, n int)
TEXT ·axpyU8Vec(SB), NOSPLIT, $0-40
	MOVQ         acc+0(FP), DI
	MOVQ         w+8(FP), SI
	VBROADCASTSS s+16(FP), Y5
	MOVQ         y+24(FP), DX
	MOVQ         n+32(FP), CX

loopU8:
	VPMOVZXBD   (DX), Y0
	VCVTDQ2PS   Y0, Y0
	VMULPS      (SI), Y5, Y1
	VFMADD213PS (DI), Y1, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, DI
	ADDQ        $32, SI
	ADDQ        $8, DX
	SUBQ        $8, CX
	JNZ         loopU8
	VZEROUPPER
	RET

// func axpyU16Vec(acc, w *float32, s float32, y *uint16, n int)
TEXT ·axpyU16Vec(SB), NOSPLIT, $0-40
	MOVQ         acc+0(FP), DI
	MOVQ         w+8(FP), SI
	VBROADCASTSS s+16(FP), Y5
	MOVQ         y+24(FP), DX
	MOVQ         n+32(FP), CX

loopU16:
	VPMOVZXWD   (DX), Y0
	VCVTDQ2PS   Y0, Y0
	VMULPS      (SI), Y5, Y1
	VFMADD213PS (DI), Y1, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, DI
	ADDQ        $32, SI
	ADDQ        $16, DX
	SUBQ        $8, CX
	JNZ         loopU16
	VZEROUPPER
	RET

// func axpyF32Vec(acc, w *float32, s float32, y *float32, n int)
TEXT ·axpyF32Vec(SB), NOSPLIT, $0-40
	MOVQ         acc+0(FP), DI
	MOVQ         w+8(FP), SI
	VBROADCASTSS s+16(FP), Y5
	MOVQ         y+24(FP), DX
	MOVQ         n+32(FP), CX

loopF32:
	VMOVUPS     (DX), Y0
	VMULPS      (SI), Y5, Y1
	VFMADD213PS (DI), Y1, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, DI
	ADDQ        $32, SI
	ADDQ        $32, DX
	SUBQ        $8, CX
	JNZ         loopF32
	VZEROUPPER
	RET

// Dword order that undoes the lane interleaving of VPACKUSDW+VPACKUSWB.
DATA permU8<>+0(SB)/4, $0
DATA permU8<>+4(SB)/4, $4
DATA permU8<>+8(SB)/4, $1
DATA permU8<>+12(SB)/4, $5
DATA permU8<>+16(SB)/4, $2
DATA permU8<>+20(SB)/4, $6
DATA permU8<>+24(SB)/4, $3
DATA permU8<>+28(SB)/4, $7
GLOBL permU8<>(SB), RODATA|NOPTR, $32

// Clamp Yr to [0, Y7] (NaN to 0), add 0.5 and truncate to int32.
#define ROUNDCLAMP(r) \
	VMAXPS     Y6, r, r; \
	VMINPS     Y7, r, r; \
	VADDPS     Y8, r, r; \
	VCVTTPS2DQ r, r

// func toU8Vec(dst *uint8, src *float32, n int)
TEXT ·toU8Vec(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VXORPS       Y6, Y6, Y6
	MOVL         $0x437f0000, AX // 255.0
	MOVD         AX, X7
	VBROADCASTSS X7, Y7
	MOVL         $0x3f000000, AX // 0.5
	MOVD         AX, X8
	VBROADCASTSS X8, Y8
	VMOVDQU      permU8<>(SB), Y9

loopToU8:
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VMOVUPS   64(SI), Y2
	VMOVUPS   96(SI), Y3
	ROUNDCLAMP(Y0)
	ROUNDCLAMP(Y1)
	ROUNDCLAMP(Y2)
	ROUNDCLAMP(Y3)
	VPACKUSDW Y1, Y0, Y0
	VPACKUSDW Y3, Y2, Y2
	VPACKUSWB Y2, Y0, Y0
	VPERMD    Y0, Y9, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $128, SI
	ADDQ      $32, DI
	SUBQ      $32, CX
	JNZ       loopToU8
	VZEROUPPER
	RET

// func toU16Vec(dst *uint16, src *float32, n int)
TEXT ·toU16Vec(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VXORPS       Y6, Y6, Y6
	MOVL         $0x477fff00, AX // 65535.0
	MOVD         AX, X7
	VBROADCASTSS X7, Y7
	MOVL         $0x3f000000, AX // 0.5
	MOVD         AX, X8
	VBROADCASTSS X8, Y8

loopToU16:
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	ROUNDCLAMP(Y0)
	ROUNDCLAMP(Y1)
	VPACKUSDW Y1, Y0, Y0
	VPERMQ    $0xD8, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JNZ       loopToU16
	VZEROUPPER
	RET
