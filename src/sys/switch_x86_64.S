// switch_x86_64.S: the goroutine context switch for x86-64 (System V ABI).
//
//   fiber* weft_fiber_swap(void** save_sp, void* to_sp, fiber* transfer)
//
// Pushes the callee-saved state of the running context on its own stack,
// stores the stack pointer in *save_sp, loads to_sp and pops the state that
// the target saved the same way (or that fiber_init laid out), then returns
// into the target. `transfer` comes back as the return value on the resumed
// side: the resumed context learns who switched to it (fiber.cpp uses this
// for ASan's bookkeeping).
//
// Saved frame, from the saved sp upwards (fiber_init in fiber.cpp builds
// the same layout for a context that has never run):
//   +0   MXCSR (4 bytes)   +4  x87 control word (2 bytes)  +6 unused
//   +8   r15  +16 r14  +24 r13  +32 r12  +40 rbx  +48 rbp
//   +56  return address
// Callee-saved per the ABI: rbx, rbp, r12-r15, the control bits of MXCSR
// and the x87 control word. Everything else is caller-saved, so the C++
// caller has already spilled what it needs.

#if defined(__CET__) && (__CET__ & 1)
#define WEFT_ENDBR endbr64
#else
#define WEFT_ENDBR
#endif


// Both entry points below: push the callee-saved state, switch stacks, and
// load the target's control words (SWAP_SAVE_AND_SWITCH); then its
// registers (SWAP_LOAD_REGS). They differ only in how they resume it.
        .macro SWAP_SAVE_AND_SWITCH
        pushq   %rbp
        .cfi_adjust_cfa_offset 8
        pushq   %rbx
        .cfi_adjust_cfa_offset 8
        pushq   %r12
        .cfi_adjust_cfa_offset 8
        pushq   %r13
        .cfi_adjust_cfa_offset 8
        pushq   %r14
        .cfi_adjust_cfa_offset 8
        pushq   %r15
        .cfi_adjust_cfa_offset 8
        subq    $8, %rsp
        .cfi_adjust_cfa_offset 8
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rdx, %rax          // the transfer value, returned in the target
        movq    %rsp, (%rdi)        // save our sp: we may be resumed from here on
        movq    %rsi, %rsp          // now on the target's stack
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        .endm

        .macro SWAP_LOAD_REGS
        movq    8(%rsp), %r15
        movq    16(%rsp), %r14
        movq    24(%rsp), %r13
        movq    32(%rsp), %r12
        movq    40(%rsp), %rbx
        movq    48(%rsp), %rbp
        .endm

        .text
        .globl  weft_fiber_swap
        .hidden weft_fiber_swap
        .type   weft_fiber_swap, @function
        .p2align 4
weft_fiber_swap:
        .cfi_startproc
        WEFT_ENDBR
        SWAP_SAVE_AND_SWITCH
        movq    56(%rsp), %rcx      // the target's resume address
        SWAP_LOAD_REGS
        addq    $64, %rsp
        .cfi_adjust_cfa_offset -64
        .cfi_register rip, rcx
        // An indirect jump, not ret: where the two sides' call chains
        // differ (a goroutine and the scheduler loop, a fresh context) a ret
        // into another context mispredicts, while the jump is predicted from
        // its history (yield_pingpong p1, 2026-11-28, host busy: 97-109 ns
        // per yield with ret on every switch, 60-71 ns with this jump).
        // weft_fiber_swap_ret below is for the case where the chains match.
        jmp     *%rcx
        .cfi_endproc
        .size   weft_fiber_swap, .-weft_fiber_swap

// weft_fiber_swap_ret: the same switch, resuming the target with ret. For a
// switch between two goroutines (fiber.cpp picks it): the return stack
// buffer's top entry is the swap's own call site, which is where the target
// resumes too, and the target's further returns climb the same call chain
// (a channel operation's park) as the entries below it, so they are
// predicted. The indirect jump of weft_fiber_swap leaves that entry behind
// and every later return of the resumed side mispredicts. Where one side is
// a thread context (g0: a scheduler loop, not a park), the chains differ and
// the jump is the better bet.
        .globl  weft_fiber_swap_ret
        .hidden weft_fiber_swap_ret
        .type   weft_fiber_swap_ret, @function
        .p2align 4
weft_fiber_swap_ret:
        .cfi_startproc
        WEFT_ENDBR
        SWAP_SAVE_AND_SWITCH
        SWAP_LOAD_REGS
        addq    $56, %rsp
        .cfi_adjust_cfa_offset -56
        ret                         // to the target's resume address
        .cfi_endproc
        .size   weft_fiber_swap_ret, .-weft_fiber_swap_ret

// First entry of a new context: weft_fiber_swap jumps here with
// r12 = entry, r13 = arg (popped from the frame fiber_init built) and
// rax = the fiber that switched to us. rsp is 16-byte aligned here, as the
// ABI wants at a call. rip is marked undefined so unwinders and debuggers
// stop at this frame instead of walking into the zeroed stack top.
        .globl  weft_fiber_trampoline
        .hidden weft_fiber_trampoline
        .type   weft_fiber_trampoline, @function
        .p2align 4
weft_fiber_trampoline:
        .cfi_startproc
        .cfi_undefined rip
        WEFT_ENDBR
        movq    %rax, %rdi          // prev
        movq    %r12, %rsi          // entry
        movq    %r13, %rdx          // arg
        call    weft_fiber_start    // never returns (invariant F2)
        ud2
        .cfi_endproc
        .size   weft_fiber_trampoline, .-weft_fiber_trampoline

        .section .note.GNU-stack,"",@progbits
