// alloc.cpp: allocation tracking (options::check_leaks). Replaces the global
// operator new/delete of any program that uses check() (check.cpp calls
// alloc_mark_checker_thread(), so this file is always linked): every block carries a
// 16-byte header with the execution epoch it was allocated in, when it was
// allocated by a model thread; deleting it in the same execution un-counts
// it. At the end of an execution that did not fail, blocks still counted are
// a "leak".
//
// Only the checking OS thread counts (other OS threads leave the header's
// epoch 0), and aligned allocations (alignment above 16) are not tracked.
//
// Invariants:
//   A1  every block from these operator new has the header; its epoch is 0
//       or the epoch of the execution that allocated it
//   A2  engine::live_allocs counts blocks with the current epoch's header
#include <cstdint>
#include <cstdlib>
#include <new>

#include "model/engine.hpp"

namespace weft::model::detail {

namespace {

constexpr std::uint64_t kMagic = 0x77656674616c6c63ULL;  // "weftallc"
struct alignas(16) header {
  std::uint64_t epoch;
  std::uint64_t magic;
};

thread_local bool t_checker_thread = false;  // seam-ok: the checker's own bookkeeping

void* allocate(std::size_t n, bool nothrow) {
  auto* h = static_cast<header*>(std::malloc(n + sizeof(header)));
  if (!h) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  h->magic = kMagic;
  h->epoch = 0;
  if (t_checker_thread && g && g->cur >= 0 && !g->in_engine) {
    h->epoch = g->epoch;
    ++g->live_allocs;
  }
  return h + 1;
}

void release(void* p) {
  if (!p) return;
  header* h = static_cast<header*>(p) - 1;
  if (h->magic != kMagic) std::abort();  // not from these operators
  if (h->epoch && g && h->epoch == g->epoch && t_checker_thread && g->cur >= 0) --g->live_allocs;
  h->magic = 0;
  std::free(h);
}

}  // namespace

void alloc_mark_checker_thread(bool on) { t_checker_thread = on; }

}  // namespace weft::model::detail

using weft::model::detail::allocate;
using weft::model::detail::release;

void* operator new(std::size_t n) { return allocate(n, false); }
void* operator new[](std::size_t n) { return allocate(n, false); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, true); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, true); }
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
