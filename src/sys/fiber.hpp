// fiber.hpp: execution contexts and the switch between them: the one
// place a goroutine switch happens, and so the seam's goroutine-switch hook.
//
// Backends: hand-written assembly for x86-64 SysV (switch_x86_64.S) and
// AArch64 (switch_aarch64.S), saving callee-saved registers (plus the x87
// control word and MXCSR on x86-64, FPCR on AArch64); a ucontext fallback
// when WEFT_UCONTEXT is defined (CMake option WEFT_USE_UCONTEXT).
// Every switch carries the ASan and TSan fiber annotations (see
// TOOLCHAIN.md), so sanitizers follow goroutines that migrate between
// threads; under WEFT_MODEL the checker is told of every switch.
//
// Invariants:
//   F1  a context is resumed only by the thread that switches to it, and only
//       after the switch that saved it has completed (the runtime guarantees
//       this by publishing a parked goroutine only after it is off its stack)
//   F2  an entry function never returns: it leaves with fiber_exit()
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft::sys {

struct fiber {
  void* sp = nullptr;    // saved stack pointer (asm backends)
  void* uctx = nullptr;  // ucontext_t* (fallback backend), owned
  // Sanitizer state.
  void* tsan_fiber = nullptr;          // __tsan_create_fiber handle (nullptr: thread's own)
  const void* stack_bottom = nullptr;  // lowest usable address, for ASan
  std::size_t stack_size = 0;
  void* asan_fake_stack = nullptr;
  bool is_thread = false;  // the OS thread's own stack (an M's g0)
  bool fresh = false;      // fiber_init()ed and not yet switched to
};

// The calling thread's own context (an M's scheduler context, "g0"). Call
// once on the thread before its first fiber_switch; fiber_release() it on
// the same thread before the thread exits.
void fiber_init_thread(fiber* f);
// A new context that starts entry(arg) on [stack_bottom, stack_bottom+size).
void fiber_init(fiber* f, void* stack_bottom, std::size_t size, void (*entry)(void*), void* arg);
// Save the current context in `from`, resume `to`.
void fiber_switch(fiber* from, fiber* to);
// Leave a fiber for good: resume `to`; `from` is never resumed again, its
// stack may be reused once `to` runs. Does not return.
[[noreturn]] void fiber_exit(fiber* from, fiber* to);
// A context that has finished, about to be fiber_init()ed again for another
// goroutine (the runtime reuses goroutine records): frees what fiber_init
// made, but keeps the TSan fiber, whose creation costs about a millisecond.
// Reusing it adds no false ordering: the record's reuse is already ordered
// after the old goroutine's end by the scheduler.
void fiber_recycle(fiber* f);
// Release sanitizer/ucontext resources of a context that will not run again.
void fiber_release(fiber* f);

}  // namespace weft::sys
