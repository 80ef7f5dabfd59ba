// context.hpp: the checker's own context switch between model threads.
//
// Model threads are fibers on the one OS thread that called check(). A switch
// saves the callee-saved registers and the stack pointer of whatever stack
// the running model thread is on: when the runtime under test has switched
// that thread onto a goroutine stack (src/sys/fiber.cpp), the checker saves
// and later resumes the goroutine stack, so goroutines nest inside model
// threads without the checker knowing their stacks.
//
// x86-64: a dozen instructions of assembly (context.cpp), the FPU control
// word and MXCSR included. Elsewhere (or with WEFT_MODEL_UCONTEXT): ucontext,
// about 20x slower because swapcontext makes a sigprocmask system call.
#pragma once

#include <cstddef>

#if !defined(__x86_64__) || defined(WEFT_MODEL_UCONTEXT)
#define WEFT_MODEL_USE_UCONTEXT 1
#include <ucontext.h>
#endif

namespace weft::model::detail {

struct context {
#if defined(WEFT_MODEL_USE_UCONTEXT)
  ucontext_t uc;
#else
  void* sp = nullptr;
#endif
};

// A context that starts entry(arg) on [bottom, bottom + size). entry must
// never return (it switches away for good).
void context_init(context* c, void* bottom, std::size_t size, void (*entry)(void*), void* arg);
// Save the running context in `from` and resume `to`.
void context_switch(context* from, context* to);

// A stack with a guard page below it; reused across executions.
struct stack_mem {
  void* base = nullptr;  // the mapping, guard page included
  std::size_t mapped = 0;
  void* bottom = nullptr;  // lowest usable address
  std::size_t size = 0;
};
stack_mem stack_map(std::size_t size);
void stack_unmap(stack_mem& s);

}  // namespace weft::model::detail
