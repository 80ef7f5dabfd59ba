// stack.cpp: goroutine stacks and the stack overflow report (see stack.hpp).
// Shared by every backend.
//
// Layout. Stacks of one usable size come from chunks: one mmap of
// n * (guard page + usable bytes), carved bottom-up, so each stack's guard
// page lies just below it and its top is page aligned:
//
//   chunk: [guard|stack 0 ....][guard|stack 1 ....] ... [guard|stack n-1 ..]
//
// Guards are MADV_GUARD_INSTALL regions where the kernel has them (Linux
// 6.13+): they do not split the mapping, so a chunk is one VMA whatever n is.
// Otherwise mprotect(PROT_NONE), which costs two VMAs per stack; chunking
// then only saves the mmap calls. Chunks are MADV_NOHUGEPAGE: a parked
// goroutine should hold one 4 KiB page, never a 2 MiB huge page.
//
// Pool. Per usable size (a handful of sizes at most: the runtime uses one):
//   - `fresh`: the not-yet-handed-out tail of the newest chunk; never touched.
//   - `dirty`: freed stacks whose pages may still be resident, LIFO,
//     linked through a node at the top of each stack (the page a goroutine
//     touches first, so the link costs nothing);
//   - `clean`: freed stacks whose pages below the top page went back to
//     the kernel (MADV_DONTNEED), LIFO, linked the same way.
// A freed stack joins `dirty`. When more than kDirtyHigh are dirty, those
// beyond kWarmStacks are released in one batch and join `clean`. The
// band between the two marks absorbs the churn of a program that starts
// and ends goroutines in bursts (skynet: a release per freed stack beyond
// kWarmStacks made about 57,000 madvise calls per run, and each one's TLB
// shootdown interrupts the other threads). Allocation takes a dirty stack
// first (its pages are resident), then a clean one, then a fresh one.
// Address space is never unmapped: a chunk stays reserved for reuse.
// The scheduler keeps a few stacks per P; this pool is the second level.
//
// Raw std::mutex / std::atomic here, not the seam's: this file is shared by
// both backends, and under the checker (WEFT_MODEL) the pool must stay
// invisible bookkeeping (no scheduling points, no model objects that outlive
// an execution). The seam rule allows it: this is src/sys.
//
// Invariants:
//   S1  every stack in a pool has exactly pool.usable bytes and a guard below
//   S2  pool fields are read and written only with pool_mu held
//   S3  a size either always has a pool or never does (pools are never
//       removed), so stack_free() knows whether stack_alloc() pooled it
#include "sys/stack.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <weft/sys.hpp>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_STACK_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(WEFT_STACK_ASAN)
#define WEFT_STACK_ASAN 1
#endif
#if defined(WEFT_STACK_ASAN)
#include <sanitizer/asan_interface.h>
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102  // Linux 6.13 (older headers lack it)
#endif

namespace weft::sys {
namespace {

constexpr std::size_t kMaxPools = 8;
constexpr std::size_t kMaxStacksPerChunk = 64;
constexpr std::size_t kChunkBytes = 32u << 20;  // aim; at least one stack
constexpr std::size_t kWarmStacks = 256;        // per size, kept resident
constexpr std::size_t kDirtyHigh = 1024;        // per size: release down to kWarmStacks

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

struct free_node {
  free_node* next;
};

struct pool {
  std::size_t usable = 0;  // 0: unused entry
  free_node* dirty = nullptr;
  std::size_t ndirty = 0;
  free_node* clean = nullptr;
  char* fresh = nullptr;      // next never-used slot (its guard page) ...
  char* fresh_end = nullptr;  // ... up to here
};

std::mutex pool_mu;     // seam-ok: see the top of the file
pool pools[kMaxPools];  // S2: guarded by pool_mu

// 0 unknown, 1 MADV_GUARD_INSTALL works, 2 use mprotect.
std::atomic<int> guard_mode{0};  // seam-ok

void install_guard(char* guard) {
  std::size_t page = page_size();
  int mode = guard_mode.load(std::memory_order_relaxed);
  if (mode != 2) {
    if (madvise(guard, page, MADV_GUARD_INSTALL) == 0) {
      if (mode == 0) guard_mode.store(1, std::memory_order_relaxed);
      return;
    }
    int err = errno;
    if (err != EINVAL) fatal("cannot install a goroutine stack guard page: %s", std::strerror(err));
    guard_mode.store(2, std::memory_order_relaxed);  // kernel before 6.13
  }
  if (mprotect(guard, page, PROT_NONE) != 0)
    fatal(
        "cannot protect a goroutine stack guard page: %s (vm.max_map_count "
        "may be too low)",
        std::strerror(errno));
}

// A mapping of n slots of (guard + usable) bytes, guards installed.
char* map_slots(std::size_t usable, std::size_t n) {
  std::size_t slot = usable + page_size();
  std::size_t bytes = slot * n;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    fatal(
        "cannot allocate a goroutine stack of %zu bytes: %s "
        "(vm.max_map_count may be too low)",
        usable, std::strerror(errno));
  auto* base = static_cast<char*>(p);
  // Best effort: THP may be disabled or the call unsupported.
  (void)madvise(base, bytes, MADV_NOHUGEPAGE);
  for (std::size_t i = 0; i < n; ++i) install_guard(base + i * slot);
  return base;
}

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// The pool for `usable`, created if there is room; nullptr otherwise.
// Requires pool_mu.
pool* find_pool(std::size_t usable, bool create) {
  for (pool& p : pools) {
    if (p.usable == usable) return &p;
    if (p.usable == 0) {
      if (!create) return nullptr;
      p.usable = usable;
      return &p;
    }
  }
  return nullptr;
}

free_node* node_of(char* bottom, std::size_t usable) {
  return reinterpret_cast<free_node*>(bottom + usable - sizeof(free_node));
}

}  // namespace

stack stack_alloc(std::size_t size) {
  std::size_t page = page_size();
  std::size_t usable = round_up(std::max<std::size_t>(size, page), page);
  std::unique_lock<std::mutex> lock(pool_mu);
  pool* p = find_pool(usable, true);
  if (p == nullptr) {  // S3: an unpooled size gets its own mapping
    lock.unlock();
    return stack{map_slots(usable, 1) + page, usable};
  }
  free_node* n = p->dirty;
  if (n != nullptr) {
    p->dirty = n->next;
    --p->ndirty;
  } else if ((n = p->clean) != nullptr) {
    p->clean = n->next;
  }
  if (n != nullptr) {
    lock.unlock();
    auto* top = reinterpret_cast<char*>(n) + sizeof(free_node);
    return stack{top - usable, usable};
  }
  if (p->fresh == p->fresh_end) {
    // Map a chunk under the lock: rare, and keeps two threads from both
    // mapping one for the same size.
    std::size_t slot = usable + page;
    std::size_t n = std::clamp<std::size_t>(kChunkBytes / slot, 1, kMaxStacksPerChunk);
    p->fresh = map_slots(usable, n);
    p->fresh_end = p->fresh + n * slot;
  }
  char* guard = p->fresh;
  p->fresh += usable + page;
  return stack{guard + page, usable};
}

void stack_free(stack s) {
  if (!s) return;
  auto* bottom = static_cast<char*>(s.bottom);
#if defined(WEFT_STACK_ASAN)
  // A context that left with fiber_exit never returned from its frames, so
  // their redzones are still poisoned; the next goroutine starts clean.
  ASAN_UNPOISON_MEMORY_REGION(bottom, s.size);
#endif
  std::unique_lock<std::mutex> lock(pool_mu);
  pool* p = find_pool(s.size, false);
  if (p == nullptr) {
    lock.unlock();
    munmap(bottom - page_size(), s.size + page_size());
    return;
  }
  free_node* n = node_of(bottom, s.size);
  n->next = p->dirty;
  p->dirty = n;
  if (++p->ndirty <= kDirtyHigh) return;
  // Too many dirty: take all but kWarmStacks off the list (the most
  // recently freed), release them without the lock, then make them clean.
  free_node* batch = p->dirty;
  free_node* last = batch;
  for (std::size_t i = kWarmStacks + 1; i < p->ndirty; ++i) last = last->next;
  p->dirty = last->next;
  p->ndirty = kWarmStacks;
  lock.unlock();
  const std::size_t usable = s.size;
  for (free_node* b = batch;; b = b->next) {
    // All but the top page, which holds the link and is the first a
    // goroutine uses.
    char* b_bottom = reinterpret_cast<char*>(b) + sizeof(free_node) - usable;
    if (usable > page_size()) (void)madvise(b_bottom, usable - page_size(), MADV_DONTNEED);
    if (b == last) break;
  }
  lock.lock();
  last->next = p->clean;
  p->clean = batch;
}

// ---- overflow report ----------------------------------------------------

namespace {

std::atomic<stack_overflow_hook> overflow_hook{nullptr};  // seam-ok
struct sigaction prev_segv;  // written once, before the handler is installed
struct sigaction prev_bus;
std::atomic<bool> handler_installed{false};  // seam-ok

constexpr std::size_t kAltStackSize = 64 * 1024;
thread_local stack_t prev_altstack;         // seam-ok: the OS layer
thread_local void* own_altstack = nullptr;  // seam-ok: the OS layer

// Async-signal-safe decimal formatting.
char* format_u64(char* out, std::uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *out++ = tmp[--n];
  return out;
}

char* append(char* out, const char* s) {
  while (*s != '\0') *out++ = *s++;
  return out;
}

void write_all(const char* buf, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(STDERR_FILENO, buf, n);
    if (w <= 0) {
      if (w < 0 && errno == EINTR) continue;
      return;
    }
    buf += w;
    n -= static_cast<std::size_t>(w);
  }
}

void on_fault(int sig, siginfo_t* info, void* ucontext) {
  int saved_errno = errno;
  // (H1) relaxed: see stack_install_overflow_handler.
  stack_overflow_hook hook = overflow_hook.load(std::memory_order_relaxed);
  std::uint64_t gid = 0;
  std::size_t size = 0;
  if (hook != nullptr && hook(info->si_addr, &gid, &size)) {
    char buf[128];
    char* p = append(buf, "goroutine ");
    p = format_u64(p, gid);
    p = append(p, ": stack overflow (stack size ");
    p = format_u64(p, size);
    p = append(p, " bytes)\n");
    write_all(buf, static_cast<std::size_t>(p - buf));
    // abort() may run SIGABRT handlers; make sure nothing brings us back.
    std::signal(SIGABRT, SIG_DFL);
    std::abort();
  }
  // Not ours: the fault keeps the meaning it had before we were installed.
  // A previous handler (a sanitizer's, a user's) is called as if it were
  // installed itself, and we stay installed. Otherwise (SIG_DFL, SIG_IGN)
  // put that disposition back and return: the faulting instruction runs
  // again and the fault is delivered under it. A signal sent with kill() is
  // not re-executed, so it is re-raised; it stays pending until we return,
  // since the handler runs with it blocked.
  const struct sigaction& prev = sig == SIGBUS ? prev_bus : prev_segv;
  errno = saved_errno;
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, info, ucontext);
    return;
  }
  if ((prev.sa_flags & SA_SIGINFO) == 0 && prev.sa_handler != SIG_DFL &&
      prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
    return;
  }
  sigaction(sig, &prev, nullptr);
  if (info->si_code <= 0) raise(sig);
  errno = saved_errno;
}

}  // namespace

void stack_install_overflow_handler(stack_overflow_hook hook) {
  // (H1) relaxed (was release/acquire; mutation showed it needless, and
  // this is why): the hook is code, so the pointer publishes no data. A
  // fault the hook can claim happens on this thread or on an M started
  // after this store (thread creation orders it). A fault elsewhere may
  // read null: it is then not a goroutine's overflow, the right answer.
  overflow_hook.store(hook, std::memory_order_relaxed);
  // Relaxed: only elects the caller that installs the handler; a caller that
  // loses reads nothing the winner wrote (prev_segv/prev_bus are read by the
  // handler, which sigaction itself makes run after they are written).
  if (handler_installed.exchange(true, std::memory_order_relaxed)) return;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, &prev_segv) != 0 || sigaction(SIGBUS, &sa, &prev_bus) != 0)
    fatal("stack_install_overflow_handler: sigaction: %s", std::strerror(errno));
}

void stack_thread_init() {
  if (own_altstack != nullptr) return;
  void* p = mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) fatal("cannot allocate a signal stack: %s", std::strerror(errno));
  stack_t ss;
  std::memset(&ss, 0, sizeof(ss));
  ss.ss_sp = p;
  ss.ss_size = kAltStackSize;
  ss.ss_flags = 0;
  if (sigaltstack(&ss, &prev_altstack) != 0)
    fatal("stack_thread_init: sigaltstack: %s", std::strerror(errno));
  own_altstack = p;
}

void stack_thread_release() {
  if (own_altstack == nullptr) return;
  // Put back what the thread had (e.g. a sanitizer's own signal stack).
  stack_t restore = prev_altstack;
  if ((restore.ss_flags & SS_DISABLE) != 0 || restore.ss_sp == nullptr) {
    std::memset(&restore, 0, sizeof(restore));
    restore.ss_flags = SS_DISABLE;
  }
  restore.ss_flags &= ~SS_ONSTACK;
  if (sigaltstack(&restore, nullptr) != 0)
    fatal("stack_thread_release: sigaltstack: %s", std::strerror(errno));
  munmap(own_altstack, kAltStackSize);
  own_altstack = nullptr;
}

}  // namespace weft::sys
