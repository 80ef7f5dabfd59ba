// fiber.cpp: execution contexts (see fiber.hpp): the sanitizer and checker
// annotations around the one switch, the initial frame of a new context,
// and the ucontext fallback (WEFT_UCONTEXT).
//
// Shape of every switch (fiber_switch and fiber_exit):
//   1. model hook (WEFT_MODEL only): the checker records the switch
//   2. ASan: __sanitizer_start_switch_fiber(save ? &from->asan_fake_stack
//            : nullptr, to's stack)  -- nullptr when `from` never resumes
//   3. TSan: __tsan_switch_to_fiber(to->tsan_fiber, 0)
//   4. the register swap (assembly, or swapcontext)
//   5. on the resumed side, first thing: __sanitizer_finish_switch_fiber
//      (also on a new context's first entry, weft_fiber_start)
//
// TSan flag 0 (synchronizing switch), chosen deliberately: the runtime hands
// data across a switch in plain fields (a parking goroutine writes its wait
// state, g0 reads it after the switch), and that handoff is ordered by the
// switch itself. The price: TSan orders goroutines that share an M in a given
// run, so races between them show only when they run on different Ms; the
// stress tests run with several processors for that reason.
//
// One frame per switch: the annotation of step 3 and the register swap must
// happen in the same function activation. TSan keeps a shadow call stack per
// fiber; a helper that returned between __tsan_switch_to_fiber and the swap
// would pop its frame from the *target's* shadow stack (a fresh fiber's
// underflows: clang 14 crashed in __tsan_func_entry). Hence WEFT_ALWAYS_INLINE
// on every helper below that runs between steps 1 and 5.
//
// ASan needs the stack bounds of the context it switches to. A fiber's bounds
// are known at fiber_init; a thread's own stack (fiber_init_thread) is learnt
// from __sanitizer_finish_switch_fiber on the first switch away from it: the
// assembly swap hands the resumed side the `from` pointer (the "transfer"),
// non-null only for thread contexts, which live as long as their thread.
#include "sys/fiber.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <weft/sys.hpp>

#if defined(WEFT_UCONTEXT)
#include <ucontext.h>
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(WEFT_ASAN)
#define WEFT_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(WEFT_TSAN)
#define WEFT_TSAN 1
#endif

#if defined(WEFT_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(WEFT_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

#define WEFT_ALWAYS_INLINE inline __attribute__((always_inline))

namespace weft::sys {
extern "C" {
// The resumed side of a switch learns `transfer` (a thread context or null).
#if !defined(WEFT_UCONTEXT)
__attribute__((visibility("hidden"))) fiber* weft_fiber_swap(void** save_sp, void* to_sp,
                                                             fiber* transfer);
#if defined(__x86_64__)
__attribute__((visibility("hidden"))) fiber* weft_fiber_swap_ret(void** save_sp, void* to_sp,
                                                                 fiber* transfer);
#endif
__attribute__((visibility("hidden"))) void weft_fiber_trampoline();
#endif
__attribute__((visibility("hidden"), noreturn, used)) void weft_fiber_start(fiber* prev,
                                                                            void (*entry)(void*),
                                                                            void* arg);
}

namespace {

// Step 5 of every switch, on the side that was resumed. `self` is the
// context now running, `prev` the transfer (a thread context or null).
WEFT_ALWAYS_INLINE void after_switch(fiber* self, fiber* prev) {
#if defined(WEFT_ASAN)
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(self ? self->asan_fake_stack : nullptr, &bottom, &size);
  if (prev != nullptr) {
    prev->stack_bottom = bottom;
    prev->stack_size = size;
  }
#else
  (void)self;
  (void)prev;
#endif
}

// Steps 1-3. `exiting`: `from` never runs again (ASan frees its fake stack).
WEFT_ALWAYS_INLINE void before_switch(fiber* from, fiber* to, bool exiting) {
#if defined(WEFT_MODEL)
  model_on_fiber_switch(from, to);
#endif
#if defined(WEFT_ASAN)
  __sanitizer_start_switch_fiber(exiting ? nullptr : &from->asan_fake_stack, to->stack_bottom,
                                 to->stack_size);
#endif
#if defined(WEFT_TSAN)
  __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
  (void)from;
  (void)to;
  (void)exiting;
}

#if defined(WEFT_UCONTEXT)
// swapcontext returns no value, so the transfer goes through a thread slot.
// Out of line so the compiler cannot keep one thread's TLS address across a
// switch (the code after swapcontext may run on another thread).
thread_local fiber* ucontext_transfer;  // seam-ok: the OS layer
__attribute__((noinline)) void set_transfer(fiber* f) { ucontext_transfer = f; }
__attribute__((noinline)) fiber* take_transfer() { return ucontext_transfer; }

struct uctx_box {
  ucontext_t uc;
  void (*entry)(void*);
  void* arg;
};

// makecontext passes int arguments only: the box pointer goes in two halves.
void ucontext_start(unsigned hi, unsigned lo) {
  auto bits = (static_cast<std::uintptr_t>(hi) << 32) | lo;
  auto* box = reinterpret_cast<uctx_box*>(bits);
  weft_fiber_start(take_transfer(), box->entry, box->arg);
}

WEFT_ALWAYS_INLINE fiber* swap(fiber* from, fiber* to, fiber* transfer, bool) {
  set_transfer(transfer);
  if (swapcontext(static_cast<ucontext_t*>(from->uctx), static_cast<ucontext_t*>(to->uctx)) != 0)
    fatal("fiber_switch: swapcontext failed");
  return take_transfer();
}
#else
// `parking`: from will be resumed later (fiber_switch, not fiber_exit).
WEFT_ALWAYS_INLINE fiber* swap(fiber* from, fiber* to, fiber* transfer, bool parking) {
#if defined(__x86_64__)
  // A goroutine parking in favour of another that parked before resumes
  // it with ret (switch_x86_64.S says why). A fresh one starts in the
  // trampoline, which no return stack entry predicts.
  bool fresh = to->fresh;
  to->fresh = false;
  if (parking && !fresh && !from->is_thread && !to->is_thread)
    return weft_fiber_swap_ret(&from->sp, to->sp, transfer);
#else
  (void)parking;
  to->fresh = false;
#endif
  return weft_fiber_swap(&from->sp, to->sp, transfer);
}

// The x87 and SSE control state (x86-64) or FPCR (AArch64) of the creator,
// inherited by a new context as a new thread inherits its creator's.
#if defined(__x86_64__)
void read_fp_control(std::uint32_t* mxcsr, std::uint16_t* fpcw) {
  __asm__ __volatile__("stmxcsr %0" : "=m"(*mxcsr));
  __asm__ __volatile__("fnstcw %0" : "=m"(*fpcw));
}
#elif defined(__aarch64__)
std::uint64_t read_fpcr() {
  std::uint64_t v;
  __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
  return v;
}
#endif
#endif

// The transfer value for a switch away from `from`: only thread contexts
// are named (see the top of the file), and only ASan reads it.
WEFT_ALWAYS_INLINE fiber* transfer_of(fiber* from) { return from->is_thread ? from : nullptr; }

}  // namespace

extern "C" void weft_fiber_start(fiber* prev, void (*entry)(void*), void* arg) {
  after_switch(nullptr, prev);  // a fresh context has no fake stack yet
  entry(arg);
  fatal("fiber entry function returned (it must leave with fiber_exit)");
}

void fiber_init_thread(fiber* f) {
  *f = fiber{};
  f->is_thread = true;
#if defined(WEFT_TSAN)
  f->tsan_fiber = __tsan_get_current_fiber();
#endif
#if defined(WEFT_UCONTEXT)
  f->uctx = new uctx_box{};
#endif
}

void fiber_init(fiber* f, void* stack_bottom, std::size_t size, void (*entry)(void*), void* arg) {
#if defined(WEFT_TSAN)
  void* tsan_fiber = f->tsan_fiber;  // kept by fiber_recycle()
#endif
  *f = fiber{};
  f->fresh = true;
  f->stack_bottom = stack_bottom;
  f->stack_size = size;
  auto top =
      (reinterpret_cast<std::uintptr_t>(stack_bottom) + size) & ~static_cast<std::uintptr_t>(15);
#if defined(WEFT_UCONTEXT)
  auto* box = new uctx_box{};
  box->entry = entry;
  box->arg = arg;
  if (getcontext(&box->uc) != 0) fatal("fiber_init: getcontext failed");
  box->uc.uc_stack.ss_sp = stack_bottom;
  box->uc.uc_stack.ss_size = top - reinterpret_cast<std::uintptr_t>(stack_bottom);
  box->uc.uc_link = nullptr;
  auto bits = reinterpret_cast<std::uintptr_t>(box);
  makecontext(&box->uc, reinterpret_cast<void (*)()>(ucontext_start), 2,
              static_cast<unsigned>(bits >> 32), static_cast<unsigned>(bits & 0xffffffffu));
  f->uctx = box;
#elif defined(__x86_64__)
  // The frame weft_fiber_swap pops (see switch_x86_64.S), below 16 zero
  // bytes that end the frame chain; the trampoline runs with rsp == top-16.
  auto* w = reinterpret_cast<std::uint64_t*>(top - 16 - 64);
  std::memset(w, 0, 64 + 16);
  std::uint32_t mxcsr;
  std::uint16_t fpcw;
  read_fp_control(&mxcsr, &fpcw);
  std::memcpy(reinterpret_cast<char*>(w), &mxcsr, 4);
  std::memcpy(reinterpret_cast<char*>(w) + 4, &fpcw, 2);
  w[3] = reinterpret_cast<std::uint64_t>(arg);    // r13
  w[4] = reinterpret_cast<std::uint64_t>(entry);  // r12
  w[7] = reinterpret_cast<std::uint64_t>(&weft_fiber_trampoline);
  f->sp = w;
#elif defined(__aarch64__)
  // The frame weft_fiber_swap pops (see switch_aarch64.S): 176 bytes, below
  // 16 zero bytes; the trampoline runs with sp == top - 16.
  auto* w = reinterpret_cast<std::uint64_t*>(top - 16 - 176);
  std::memset(w, 0, 176 + 16);
  w[0] = reinterpret_cast<std::uint64_t>(entry);                    // x19
  w[1] = reinterpret_cast<std::uint64_t>(arg);                      // x20
  w[11] = reinterpret_cast<std::uint64_t>(&weft_fiber_trampoline);  // x30
  w[20] = read_fpcr();
  f->sp = w;
#else
#error "no context switch for this processor: configure with WEFT_USE_UCONTEXT=ON"
#endif
#if defined(WEFT_TSAN)
  f->tsan_fiber = tsan_fiber != nullptr ? tsan_fiber : __tsan_create_fiber(0);
#endif
}

void fiber_recycle(fiber* f) {
#if defined(WEFT_TSAN)
  void* tsan_fiber = f->is_thread ? nullptr : f->tsan_fiber;
#endif
#if defined(WEFT_UCONTEXT)
  delete static_cast<uctx_box*>(f->uctx);
#endif
  *f = fiber{};
#if defined(WEFT_TSAN)
  f->tsan_fiber = tsan_fiber;
#endif
}

void fiber_switch(fiber* from, fiber* to) {
  before_switch(from, to, false);
  fiber* prev = swap(from, to, transfer_of(from), true);
  after_switch(from, prev);
}

void fiber_exit(fiber* from, fiber* to) {
  before_switch(from, to, true);
  swap(from, to, transfer_of(from), false);
  __builtin_unreachable();
}

void fiber_release(fiber* f) {
#if defined(WEFT_TSAN)
  if (!f->is_thread && f->tsan_fiber != nullptr) __tsan_destroy_fiber(f->tsan_fiber);
  f->tsan_fiber = nullptr;
#endif
#if defined(WEFT_UCONTEXT)
  delete static_cast<uctx_box*>(f->uctx);
  f->uctx = nullptr;
#endif
  (void)f;
}

}  // namespace weft::sys
