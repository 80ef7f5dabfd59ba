// switch_aarch64.S: the goroutine context switch for AArch64 (AAPCS64).
//
//   fiber* weft_fiber_swap(void** save_sp, void* to_sp, fiber* transfer)
//
// Stores the callee-saved state of the running context in a frame on its
// own stack, stores sp in *save_sp, loads to_sp and restores the frame the
// target saved the same way (or that fiber_init laid out), then returns
// into the target with `transfer` in x0: the resumed context learns who
// switched to it (fiber.cpp uses this for ASan's bookkeeping).
//
// Saved frame (176 bytes, 16-byte aligned), from the saved sp upwards
// (fiber_init in fiber.cpp builds the same layout for a new context):
//   +0   x19 x20   +16  x21 x22   +32  x23 x24   +48  x25 x26
//   +64  x27 x28   +80  x29 (fp) x30 (lr: where the context resumes)
//   +96  d8 d9     +112 d10 d11   +128 d12 d13   +144 d14 d15
//   +160 FPCR      +168 unused
// Callee-saved per AAPCS64: x19-x29, lr, the low 64 bits of v8-v15 (d8-d15)
// and FPCR's rounding/flush modes. x9/x10 are scratch (caller-saved).

#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define WEFT_BTI_C hint #34
#else
#define WEFT_BTI_C
#endif

        .text
        .globl  weft_fiber_swap
        .hidden weft_fiber_swap
        .type   weft_fiber_swap, %function
        .p2align 4
weft_fiber_swap:
        .cfi_startproc
        WEFT_BTI_C
        sub     sp, sp, #176
        .cfi_def_cfa_offset 176
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        .cfi_offset x29, -96
        .cfi_offset x30, -88
        stp     d8, d9, [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        mrs     x9, fpcr
        str     x9, [sp, #160]
        mov     x10, sp
        str     x10, [x0]           // save our sp: we may be resumed from here on
        mov     sp, x1              // now on the target's stack
        ldp     x19, x20, [sp, #0]
        ldp     x21, x22, [sp, #16]
        ldp     x23, x24, [sp, #32]
        ldp     x25, x26, [sp, #48]
        ldp     x27, x28, [sp, #64]
        ldp     x29, x30, [sp, #80]
        ldp     d8, d9, [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        ldr     x10, [sp, #160]
        // Writing FPCR can be slow (it may synchronize the FP unit); skip it
        // when the two contexts agree, which is nearly always.
        cmp     x9, x10
        b.eq    1f
        msr     fpcr, x10
1:
        mov     x0, x2              // the transfer value
        add     sp, sp, #176
        .cfi_def_cfa_offset 0
        ret                         // to x30: where the target resumes
        .cfi_endproc
        .size   weft_fiber_swap, .-weft_fiber_swap

// First entry of a new context: weft_fiber_swap returns here with
// x19 = entry, x20 = arg (from the frame fiber_init built), x29 = 0 and
// x0 = the fiber that switched to us; sp is 16-byte aligned. lr is marked
// undefined so unwinders and debuggers stop at this frame.
        .globl  weft_fiber_trampoline
        .hidden weft_fiber_trampoline
        .type   weft_fiber_trampoline, %function
        .p2align 4
weft_fiber_trampoline:
        .cfi_startproc
        .cfi_undefined x30
        mov     x1, x19             // entry (x0 already holds prev)
        mov     x2, x20             // arg
        bl      weft_fiber_start    // never returns (invariant F2)
        brk     #0
        .cfi_endproc
        .size   weft_fiber_trampoline, .-weft_fiber_trampoline

        .section .note.GNU-stack,"",%progbits
