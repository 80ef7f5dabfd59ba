// context.cpp: see context.hpp.
#include "model/context.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace weft::model::detail {

#if !defined(WEFT_MODEL_USE_UCONTEXT)

extern "C" {
void weft_model_swap(void** save_sp, void* to_sp);
void weft_model_trampoline();
}

// weft_model_swap(save_sp, to_sp): push the callee-saved registers and the
// FPU/SSE control words, store rsp in *save_sp, load to_sp, pop the same.
// weft_model_trampoline: first return target of a new context; calls
// r13(r12) and never comes back.
asm(R"(
  .text
  .globl weft_model_swap
  .hidden weft_model_swap
  .type weft_model_swap,@function
weft_model_swap:
  .cfi_startproc
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .cfi_endproc
  .size weft_model_swap,.-weft_model_swap

  .globl weft_model_trampoline
  .hidden weft_model_trampoline
  .type weft_model_trampoline,@function
weft_model_trampoline:
  .cfi_startproc
  .cfi_undefined rip
  movq %r12, %rdi
  callq *%r13
  ud2
  .cfi_endproc
  .size weft_model_trampoline,.-weft_model_trampoline
)");

void context_init(context* c, void* bottom, std::size_t size, void (*entry)(void*), void* arg) {
  auto top = (reinterpret_cast<std::uintptr_t>(bottom) + size) & ~std::uintptr_t{15};
  auto* sp = reinterpret_cast<std::uint64_t*>(top - 16 - 64);
  std::uint32_t mxcsr = 0;
  std::uint16_t fpucw = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpucw));
  sp[0] = mxcsr | (static_cast<std::uint64_t>(fpucw) << 32);
  sp[1] = 0;                                       // r15
  sp[2] = 0;                                       // r14
  sp[3] = reinterpret_cast<std::uint64_t>(entry);  // r13
  sp[4] = reinterpret_cast<std::uint64_t>(arg);    // r12
  sp[5] = 0;                                       // rbx
  sp[6] = 0;                                       // rbp
  sp[7] = reinterpret_cast<std::uint64_t>(&weft_model_trampoline);
  c->sp = sp;
}

void context_switch(context* from, context* to) { weft_model_swap(&from->sp, to->sp); }

#else

void context_init(context* c, void* bottom, std::size_t size, void (*entry)(void*), void* arg) {
  getcontext(&c->uc);
  c->uc.uc_stack.ss_sp = bottom;
  c->uc.uc_stack.ss_size = size;
  c->uc.uc_link = nullptr;
  // makecontext passes int arguments: split the pointers.
  auto e = reinterpret_cast<std::uintptr_t>(entry);
  auto a = reinterpret_cast<std::uintptr_t>(arg);
  makecontext(
      &c->uc,
      reinterpret_cast<void (*)()>(+[](unsigned e_hi, unsigned e_lo, unsigned a_hi, unsigned a_lo) {
        auto fn =
            reinterpret_cast<void (*)(void*)>((static_cast<std::uintptr_t>(e_hi) << 32) | e_lo);
        fn(reinterpret_cast<void*>((static_cast<std::uintptr_t>(a_hi) << 32) | a_lo));
        std::abort();
      }),
      4, static_cast<unsigned>(e >> 32), static_cast<unsigned>(e), static_cast<unsigned>(a >> 32),
      static_cast<unsigned>(a));
}

void context_switch(context* from, context* to) { swapcontext(&from->uc, &to->uc); }

#endif

stack_mem stack_map(std::size_t size) {
  auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  size = (size + page - 1) / page * page;
  stack_mem s;
  s.mapped = size + page;
  s.base = mmap(nullptr, s.mapped, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (s.base == MAP_FAILED) {
    std::fprintf(stderr, "weft::model: cannot map a %zu-byte model thread stack\n", size);
    std::abort();
  }
  mprotect(s.base, page, PROT_NONE);
  s.bottom = static_cast<char*>(s.base) + page;
  s.size = size;
  return s;
}

void stack_unmap(stack_mem& s) {
  if (s.base) munmap(s.base, s.mapped);
  s = stack_mem{};
}

}  // namespace weft::model::detail
