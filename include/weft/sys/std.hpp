// sys/std.hpp: the production backend of the seam (see sys.hpp).
//
// Everything here is either a zero-cost alias of the standard primitive or a
// thin wrapper whose out-of-line part lives in src/sys/. The model backend
// (sys/model.hpp) provides the same names with the same signatures, so code
// written against weft::sys compiles unchanged against the checker.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>  // std::cv_status
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <type_traits>
#include <utility>

namespace weft::sys {

// True under the checker; bounds that only size buffers shrink with it so
// that overflow paths are reached (e.g. kRunQueueSize = kModel ? 4 : 256).
inline constexpr bool kModel = false;

// ---- atomics -------------------------------------------------------------
template <class T>
using atomic = std::atomic<T>;

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

#if defined(WEFT_TSAN)
// TSan does not model fences (TOOLCHAIN.md) and g++ warns on them. weft uses
// fences only for StoreLoad ordering between atomics, never to publish plain
// data, so under TSan a seq_cst RMW on a shared word stands in: on the
// hardware it is a full barrier, and TSan sees only atomics either way.
inline std::atomic<unsigned> tsan_fence_word{0};
inline void atomic_thread_fence(std::memory_order order) noexcept {
  tsan_fence_word.fetch_add(0, order);
}
#else
inline void atomic_thread_fence(std::memory_order order) noexcept {
  std::atomic_thread_fence(order);
}
#endif

// ---- plain shared data ---------------------------------------------------
// A non-atomic location shared between threads. The checker tracks every
// access with vector clocks and reports races; here it is just a T.
template <class T>
class cell {
 public:
  explicit cell(T initial) : value_(std::move(initial)) {}
  cell(const cell&) = delete;
  cell& operator=(const cell&) = delete;

  T get() const { return value_; }
  void set(T v) { value_ = std::move(v); }
  template <class F>
  auto with(F&& f) const {
    return std::forward<F>(f)(static_cast<const T*>(&value_));
  }
  template <class F>
  auto with_mut(F&& f) {
    return std::forward<F>(f)(&value_);
  }

 private:
  T value_;
};

// ---- claimed reads -------------------------------------------------------
// The checker's race check for data that must be an atomic because a reader
// may read it and then throw the value away (a thief reads run-queue slots
// before the CAS that claims them). A read_mark taken right after such a read
// and committed to the data's ghost_cell once the claim succeeds counts as a
// read of it there; a later ghost write that does not happen after it is a
// data race (sys/model.hpp). Here both compile to nothing.
struct read_mark {};
inline read_mark mark_read() noexcept { return {}; }
class ghost_cell {
 public:
  void commit_read(const read_mark&) noexcept {}
  void write() noexcept {}
};

// ---- spinning ------------------------------------------------------------
// Call in every spin loop; every spin loop is bounded and falls back to the
// futex (an unbounded spin never terminates under a deterministic scheduler).
inline void spin_hint() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield" ::: "memory");
#else
  __asm__ __volatile__("" ::: "memory");
#endif
}

// ---- the clock -----------------------------------------------------------
// steady_clock's types and epoch; the checker substitutes virtual time.
struct clock {
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr bool is_steady = true;
  static time_point now() noexcept;
};

// ---- futex: the single blocking primitive --------------------------------
// Linux semantics: returns at once if word != expected; may wake spuriously;
// waits and wakes on one word are ordered with each other.
void futex_wait(atomic<std::uint32_t>& word, std::uint32_t expected);
// As futex_wait, but gives up at `deadline`; returns false on timeout.
bool futex_wait_until(atomic<std::uint32_t>& word, std::uint32_t expected,
                      clock::time_point deadline);
void futex_wake(atomic<std::uint32_t>& word, int count);

// ---- mutex and condition variable, built on the futex --------------------
// std::mutex's API (usable with std::lock_guard / std::unique_lock).
// After Drepper, "Futexes Are Tricky", mutex #3: 0 unlocked, 1 locked,
// 2 locked with possible waiters.
class mutex {
 public:
  constexpr mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  void lock() {
    std::uint32_t c = 0;
    // (M1) acquire: pairs with the release in unlock() (M2).
    if (state_.compare_exchange_strong(c, 1, std::memory_order_acquire, std::memory_order_relaxed))
      return;
    lock_slow(c);
  }
  bool try_lock() {
    std::uint32_t c = 0;
    // (M1') acquire: pairs with (M2).
    return state_.compare_exchange_strong(c, 1, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  void unlock() {
    // (M2) release: publishes the critical section to the next (M1).
    if (state_.exchange(0, std::memory_order_release) == 2) futex_wake(state_, 1);
  }

 private:
  void lock_slow(std::uint32_t c);
  atomic<std::uint32_t> state_{0};
};

// std::condition_variable's API over std::unique_lock<sys::mutex>. A waiter
// reads the sequence word before unlocking; notify bumps it, so a notify that
// lands between unlock and futex_wait makes the wait return at once.
class condition_variable {
 public:
  constexpr condition_variable() noexcept = default;
  condition_variable(const condition_variable&) = delete;
  condition_variable& operator=(const condition_variable&) = delete;

  void notify_one() noexcept;
  void notify_all() noexcept;
  void wait(std::unique_lock<mutex>& lock);
  template <class Pred>
  void wait(std::unique_lock<mutex>& lock, Pred pred) {
    while (!pred()) wait(lock);
  }
  // Returns std::cv_status::timeout once `deadline` has passed.
  std::cv_status wait_until(std::unique_lock<mutex>& lock, clock::time_point deadline);
  template <class Pred>
  bool wait_until(std::unique_lock<mutex>& lock, clock::time_point deadline, Pred pred) {
    while (!pred())
      if (wait_until(lock, deadline) == std::cv_status::timeout) return pred();
    return true;
  }
  template <class Rep, class Period>
  std::cv_status wait_for(std::unique_lock<mutex>& lock, std::chrono::duration<Rep, Period> d) {
    return wait_until(lock, clock::now() + std::chrono::ceil<clock::duration>(d));
  }
  template <class Rep, class Period, class Pred>
  bool wait_for(std::unique_lock<mutex>& lock, std::chrono::duration<Rep, Period> d, Pred pred) {
    return wait_until(lock, clock::now() + std::chrono::ceil<clock::duration>(d), std::move(pred));
  }

 private:
  atomic<std::uint32_t> seq_{0};
};

// ---- threads ---------------------------------------------------------------
// An OS thread. Creation failure is a fatal error with a clear message
// (never an exception, never a crash). Like std::thread, destroying a
// joinable thread aborts.
class thread {
 public:
  thread() noexcept = default;
  template <class F>
  explicit thread(F&& f) {
    using Fn = std::decay_t<F>;
    auto* box = new Fn(std::forward<F>(f));
    start(
        [](void* p) {
          // Off the heap before it runs: a detached thread's last act may
          // let another thread return and the process end (a runtime's M
          // counting itself out), and nothing of ours may be left to free.
          auto* boxed = static_cast<Fn*>(p);
          Fn fn(std::move(*boxed));
          delete boxed;
          fn();
        },
        box);
  }
  thread(thread&& o) noexcept : handle_(std::exchange(o.handle_, 0)) {}
  thread& operator=(thread&& o) noexcept;
  thread(const thread&) = delete;
  thread& operator=(const thread&) = delete;
  ~thread();

  bool joinable() const noexcept { return handle_ != 0; }
  void join();
  void detach();

 private:
  void start(void (*entry)(void*), void* arg);
  unsigned long handle_ = 0;  // pthread_t
};

// Number of CPUs this process may run on (sched_getaffinity), at least 1.
unsigned hardware_concurrency() noexcept;

// ---- thread-local slots ------------------------------------------------------
// Per-OS-thread (per model thread under the checker) pointers. Out of line on
// purpose: a goroutine migrates between OS threads, and an inlined
// thread_local access lets the compiler cache the TLS address across a call
// that switches threads.
enum class tls_slot : unsigned { m = 0, thread_task = 1, user0 = 2, count = 8 };
#if defined(__x86_64__) && defined(__GNUC__) && !defined(WEFT_OUT_OF_LINE_TLS)
// x86-64: inline, yet never cached. The slots are an initial-exec TLS
// array (weft_tls_slots, std_tls.cpp): its offset from the thread pointer
// is the same in every thread and sits in the GOT, and %fs names the
// thread running now. The asm is volatile with a memory clobber, so the
// compiler neither merges two accesses nor moves one across a call (such
// as a fiber switch that resumes the goroutine on another thread).
inline void* tls_get(tls_slot slot) noexcept {
  void* v;
  std::uintptr_t off;
  asm volatile(
      "movq weft_tls_slots@gottpoff(%%rip), %0\n\t"
      "movq %%fs:(%0,%2,8), %1"
      : "=&r"(off), "=r"(v)
      : "r"(static_cast<std::uintptr_t>(slot))
      : "memory");
  return v;
}
inline void tls_set(tls_slot slot, void* value) noexcept {
  std::uintptr_t off;
  asm volatile(
      "movq weft_tls_slots@gottpoff(%%rip), %0\n\t"
      "movq %2, %%fs:(%0,%1,8)"
      : "=&r"(off)
      : "r"(static_cast<std::uintptr_t>(slot)), "r"(value)
      : "memory");
}
#else
void* tls_get(tls_slot slot) noexcept;
void tls_set(tls_slot slot, void* value) noexcept;
#endif

// ---- randomness ----------------------------------------------------------------
// The only source of nondeterminism besides scheduling and time. `state` is
// the caller's generator state (e.g. one per P); under the checker the state
// is ignored and the value is a choice the checker explores.
inline std::uint32_t random_below(std::uint64_t& state, std::uint32_t n) noexcept {
  // wyrand
  state += 0xa0761d6478bd642fULL;
  __uint128_t m = static_cast<__uint128_t>(state) * (state ^ 0xe7037ed1a0b428dbULL);
  auto r = static_cast<std::uint64_t>(m >> 64) ^ static_cast<std::uint64_t>(m);
  return static_cast<std::uint32_t>(
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(r)) * n) >> 32);
}
// A seed for a new generator (time and address entropy).
std::uint64_t random_seed() noexcept;

// ---- fatal errors ----------------------------------------------------------------
// Prints "fatal error: <message>" to stderr and aborts.
[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace weft::sys
