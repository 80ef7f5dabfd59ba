// stack.hpp: goroutine stacks. Reserved with mmap (MAP_NORESERVE), a guard
// page below each, carved several to a mapping to stay far below
// vm.max_map_count (guard regions with MADV_GUARD_INSTALL where the kernel
// has it, which do not split the mapping; mprotect otherwise), never backed
// by transparent huge pages, and pooled: a freed stack keeps its touched
// pages and is handed out again.
//
// Overflow: the guard page faults; a SIGSEGV handler on an alternate signal
// stack asks the runtime (stack_overflow_hook) whether the address is in the
// current goroutine's guard page and then prints
//   goroutine N: stack overflow (stack size S bytes)
// and aborts. Any other SIGSEGV keeps its ordinary meaning (the previous
// disposition is restored and the fault re-raised).
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft::sys {

struct stack {
  void* bottom = nullptr;  // lowest usable address (the guard page is below)
  std::size_t size = 0;    // usable bytes; the top is bottom + size
  explicit operator bool() const { return bottom != nullptr; }
};

// A stack of `size` usable bytes (rounded up to pages). On mmap failure:
// fatal error naming the size, errno text and vm.max_map_count.
stack stack_alloc(std::size_t size);
// Return a stack to the pool.
void stack_free(stack s);

// Asked from the SIGSEGV handler (async-signal context: must only read
// memory). Returns true if `addr` lies in the guard page of the goroutine
// running on this thread, filling its id and stack size.
using stack_overflow_hook = bool (*)(void* addr, std::uint64_t* goroutine_id,
                                     std::size_t* stack_size);
// Install the process-wide SIGSEGV/SIGBUS handler once (idempotent).
void stack_install_overflow_handler(stack_overflow_hook hook);
// Give the calling thread an alternate signal stack (call on each M thread;
// released with the thread).
void stack_thread_init();
void stack_thread_release();

}  // namespace weft::sys
