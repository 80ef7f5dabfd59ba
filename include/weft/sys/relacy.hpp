// sys/relacy.hpp: the Relacy backend of the seam (WEFT_RELACY; see sys.hpp).
//
// Lets the lock-free cores of the runtime (src/sched/runq.hpp, the sync
// package's state words) be compiled unchanged against Relacy Race Detector
// (Debian relacy-dev, <relacy/relacy.hpp>) as an independent cross-check of
// weft::model. Every operation takes a defaulted source location
// (`__builtin_FUNCTION()`, `__builtin_FILE()`, `__builtin_LINE()`, as in
// sys/model.hpp) and hands Relacy an rl::debug_info built from it, so a
// Relacy history names the production line; code written against weft::sys
// never spells Relacy's `$`.
//
// PROVIDED (same names and member APIs as sys/std.hpp and sys/model.hpp):
//   kModel (true: size bounds shrink as under the checker), atomic<T>,
//   atomic_thread_fence, cell<T>, spin_hint, clock (virtual, R4),
//   futex_wait, futex_wake, mutex, fatal; and relacy_clock_reset (this
//   backend's own).
// LEFT OUT on purpose (no Relacy test needs them; each is simply not declared
// here, so any use is a compile error "'X' is not a member of 'weft::sys'",
// never a silent fallback to the real machine):
//   futex_wait_until, condition_variable, thread,
//   hardware_concurrency, tls_slot / tls_get / tls_set, random_below,
//   random_seed, and the model-only hooks (model_fatal,
//   model_at_execution_start, model_on_fiber_switch).
//
// Rules for code compiled against this backend (Relacy's traps, TOOLCHAIN.md):
//   R1  every weft::sys object is constructed and destroyed inside a Relacy
//       simulation (as a member of the rl::test_suite, or on a simulated
//       thread's stack): Relacy's objects register with the running context.
//   R2  <relacy/relacy.hpp> #defines new, delete, malloc, free, assert, errno
//       and the memory_order_* names; that breaks `= delete`, `new T` and
//       `std::memory_order_relaxed` in the production headers. This header
//       therefore includes the standard headers first, then Relacy, and then
//       #undefs those macros again (keeping `$`, RL_ASSERT, VAR/VAR_T).
//       Production code keeps using std::memory_order_*; the wrappers map it
//       to rl::memory_order.
//   R3  a test includes every other standard header it needs before
//       <weft/sys.hpp> (Relacy's pthread_* and sched_yield macros stay).
#pragma once

#if !defined(WEFT_RELACY)
#error "sys/relacy.hpp is selected by sys.hpp when WEFT_RELACY is defined"
#endif

// R2/R3: every standard header before Relacy.
#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <relacy/relacy.hpp>

// R2: take back the names Relacy redefines for its own examples.
#undef memory_order_relaxed
#undef memory_order_consume
#undef memory_order_acquire
#undef memory_order_release
#undef memory_order_acq_rel
#undef memory_order_seq_cst
#undef new
#undef delete
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef assert
#define assert(x) RL_ASSERT(x)
#undef errno
#define errno (*__errno_location())

namespace weft::sys {

// Size bounds shrink as under weft::model (kRunQueueSize = kModel ? 4 : 256)
// and the runtime skips its real-machine-only spins.
inline constexpr bool kModel = true;

#define WEFT_RELACY_LOC                                                         \
  const char *func = __builtin_FUNCTION(), const char *file = __builtin_FILE(), \
             unsigned line = __builtin_LINE()
#define WEFT_RELACY_INFO ::rl::debug_info(func, file, line)

namespace relacy_detail {
constexpr rl::memory_order to_rl(std::memory_order o) noexcept {
  switch (o) {
    case std::memory_order_relaxed:
      return rl::mo_relaxed;
    case std::memory_order_consume:
      return rl::mo_consume;
    case std::memory_order_acquire:
      return rl::mo_acquire;
    case std::memory_order_release:
      return rl::mo_release;
    case std::memory_order_acq_rel:
      return rl::mo_acq_rel;
    case std::memory_order_seq_cst:
      return rl::mo_seq_cst;
  }
  return rl::mo_seq_cst;
}
}  // namespace relacy_detail

// ---- atomics -------------------------------------------------------------
// rl::atomic<T>: Relacy explores which store each load reads (bounded store
// history), seq_cst as a total order, spurious weak-CAS failure.
template <class T>
class atomic {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8,
                "weft::sys::atomic<T> under Relacy: T must be trivially copyable and at "
                "most 8 bytes");

 public:
  // An atomic that was never stored to: a load of it is reported by Relacy as
  // an uninitialised access (std::atomic's default constructor leaves it
  // uninitialised before C++20 too).
  atomic() noexcept = default;
  // `constexpr` only so that production classes with a `constexpr` default
  // constructor (weft::mutex, weft::once) still compile: a constexpr
  // constructor of a class template that cannot be constant-evaluated is
  // simply not constant-evaluated. Relacy objects are made at run time (R1).
  constexpr atomic(T v, WEFT_RELACY_LOC) {  // NOLINT: std::atomic's implicit constructor
    a_.store(v, rl::mo_relaxed, WEFT_RELACY_INFO);
  }
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  static constexpr bool is_always_lock_free = true;
  bool is_lock_free() const noexcept { return true; }

  T load(std::memory_order o = std::memory_order_seq_cst, WEFT_RELACY_LOC) const {
    return a_.load(relacy_detail::to_rl(o), WEFT_RELACY_INFO);
  }
  void store(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_RELACY_LOC) {
    a_.store(v, relacy_detail::to_rl(o), WEFT_RELACY_INFO);
  }
  T exchange(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_RELACY_LOC) {
    return a_.exchange(v, relacy_detail::to_rl(o), WEFT_RELACY_INFO);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order s, std::memory_order f,
                             WEFT_RELACY_LOC) {
    return a_.compare_exchange_weak(expected, desired, relacy_detail::to_rl(s), WEFT_RELACY_INFO,
                                    relacy_detail::to_rl(f), WEFT_RELACY_INFO);
  }
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order o = std::memory_order_seq_cst, WEFT_RELACY_LOC) {
    // Relacy derives the failure order as std does (acq_rel -> acquire,
    // release -> relaxed).
    return a_.compare_exchange_weak(expected, desired, relacy_detail::to_rl(o), WEFT_RELACY_INFO);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order s, std::memory_order f,
                               WEFT_RELACY_LOC) {
    return a_.compare_exchange_strong(expected, desired, relacy_detail::to_rl(s), WEFT_RELACY_INFO,
                                      relacy_detail::to_rl(f), WEFT_RELACY_INFO);
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order o = std::memory_order_seq_cst, WEFT_RELACY_LOC) {
    return a_.compare_exchange_strong(expected, desired, relacy_detail::to_rl(o), WEFT_RELACY_INFO);
  }

  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  T fetch_add(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_RELACY_LOC) {
    return a_.fetch_add(v, relacy_detail::to_rl(o), WEFT_RELACY_INFO);
  }
  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  T fetch_sub(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_RELACY_LOC) {
    return a_.fetch_sub(v, relacy_detail::to_rl(o), WEFT_RELACY_INFO);
  }
  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  T fetch_and(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_RELACY_LOC) {
    return a_.fetch_and(v, relacy_detail::to_rl(o), WEFT_RELACY_INFO);
  }
  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  T fetch_or(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_RELACY_LOC) {
    return a_.fetch_or(v, relacy_detail::to_rl(o), WEFT_RELACY_INFO);
  }
  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  T fetch_xor(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_RELACY_LOC) {
    return a_.fetch_xor(v, relacy_detail::to_rl(o), WEFT_RELACY_INFO);
  }

  // Shorthands (seq_cst, located at the caller).
  operator T() const { return load(); }  // NOLINT: as std::atomic
  T operator=(T v) {
    store(v);
    return v;
  }

 private:
  friend struct relacy_access;
  rl::atomic<T> a_;
};

// Internal: lets the futex functions reach the Relacy atomic.
struct relacy_access {
  template <class T>
  static rl::atomic<T>& rl_atomic(atomic<T>& a) noexcept {
    return a.a_;
  }
};

inline void atomic_thread_fence(std::memory_order order, WEFT_RELACY_LOC) {
  rl::atomic_thread_fence(relacy_detail::to_rl(order), WEFT_RELACY_INFO);
}

// ---- plain shared data ---------------------------------------------------
// The value is a plain T; every access also touches a Relacy rl::var (the
// probe), so Relacy's happens-before tracking reports a data race between
// two unordered accesses of which one writes, naming both lines.
template <class T>
class cell {
 public:
  explicit cell(T initial, WEFT_RELACY_LOC) : value_(std::move(initial)) {
    probe_(WEFT_RELACY_INFO).store(0);
  }
  cell(const cell&) = delete;
  cell& operator=(const cell&) = delete;

  T get(WEFT_RELACY_LOC) const {
    read(WEFT_RELACY_INFO);
    return value_;
  }
  void set(T v, WEFT_RELACY_LOC) {
    write(WEFT_RELACY_INFO);
    value_ = std::move(v);
  }
  template <class F>
  auto with(F&& f, WEFT_RELACY_LOC) const {
    read(WEFT_RELACY_INFO);
    return std::forward<F>(f)(static_cast<const T*>(&value_));
  }
  template <class F>
  auto with_mut(F&& f, WEFT_RELACY_LOC) {
    write(WEFT_RELACY_INFO);
    return std::forward<F>(f)(&value_);
  }

 private:
  void read(rl::debug_info_param info) const { (void)probe_(info).load(); }
  void write(rl::debug_info_param info) { probe_(info).store(++writes_); }

  rl::var<unsigned> probe_;
  unsigned writes_ = 0;  // only to give each write a distinct value in histories
  T value_;
};

// ---- claimed reads -------------------------------------------------------
// Not modelled under Relacy (sys/std.hpp says what they are): an rl::var
// read cannot be taken back when the claim fails, and a deferred one would
// carry the wrong clock. weft::model checks them.
struct read_mark {};
inline read_mark mark_read() noexcept { return {}; }
class ghost_cell {
 public:
  void commit_read(const read_mark&) noexcept {}
  void write() noexcept {}
};

// ---- spinning ------------------------------------------------------------
// rl::yield tells Relacy's schedulers that this thread waits for another;
// without it the context-bound and full schedulers report a false livelock.
inline void spin_hint(WEFT_RELACY_LOC) { rl::yield(1, WEFT_RELACY_INFO); }

// ---- the clock -----------------------------------------------------------
// Relacy has no time. steady_clock's types and epoch, over a virtual clock
// that advances by a fixed step on every now() (so that "has over 1 ms
// passed" checks, e.g. mutex starvation, are reachable and deterministic).
// R4: a test that reaches now() calls relacy_clock_reset() in its suite's
// constructor, so that every execution starts from the same time (Relacy
// replays a failing execution and requires it to be deterministic).
struct clock {
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr bool is_steady = true;
  static time_point now(WEFT_RELACY_LOC) noexcept;
};

namespace relacy_detail {
inline clock::duration clock_now{0};
inline clock::duration clock_step = std::chrono::microseconds(1);
}  // namespace relacy_detail

// Rewinds the virtual clock to `start` and sets its step (R4).
inline void relacy_clock_reset(clock::duration step = std::chrono::microseconds(1),
                               clock::duration start = std::chrono::seconds(1)) noexcept {
  relacy_detail::clock_step = step;
  relacy_detail::clock_now = start;
}

inline clock::time_point clock::now(const char* func, const char* file, unsigned line) noexcept {
  (void)func, (void)file, (void)line;
  relacy_detail::clock_now += relacy_detail::clock_step;
  return time_point(relacy_detail::clock_now);
}

// ---- futex ---------------------------------------------------------------
namespace relacy_detail {
inline bool futex_spurious = true;
}  // namespace relacy_detail
// Whether futex_wait may return spuriously (Linux's may; default true).
inline void relacy_futex_spurious(bool allow) noexcept { relacy_detail::futex_spurious = allow; }

// Linux semantics on Relacy's per-atomic wait set, as Relacy's own
// futex(FUTEX_WAIT/WAKE) emulation (relacy/stdlib/pthread.hpp): a seq_cst
// fence, a preemption-free acquire load compared with `expected`, then a
// park that may end spuriously; a wake unparks up to `count` waiters.
// A waiter never woken is reported by Relacy as a deadlock.
inline void futex_wait(atomic<std::uint32_t>& word, std::uint32_t expected, WEFT_RELACY_LOC) {
  rl::context& c = rl::ctx();
  rl::atomic<std::uint32_t>& a = relacy_access::rl_atomic(word);
  c.sched();
  c.atomic_thread_fence_seq_cst();
  std::uint32_t v;
  {
    rl::preemption_disabler pd(c);
    v = a.load(rl::mo_acquire, WEFT_RELACY_INFO);
  }
  if (v != expected) return;
  (void)a.wait(c, false, relacy_detail::futex_spurious, WEFT_RELACY_INFO);
}
inline void futex_wake(atomic<std::uint32_t>& word, int count, WEFT_RELACY_LOC) {
  if (count <= 0) return;
  rl::context& c = rl::ctx();
  c.sched();
  c.atomic_thread_fence_seq_cst();
  (void)relacy_access::rl_atomic(word).wake(c, static_cast<rl::thread_id_t>(count),
                                            WEFT_RELACY_INFO);
}

// ---- mutex ---------------------------------------------------------------
// Relacy's own std::mutex model (rl::mutex): checks lock/unlock pairing,
// deadlock, and orders critical sections. std::mutex's API, so it works with
// std::lock_guard / std::unique_lock (those use the defaulted locations).
// A class template behind the alias for the same reason as atomic's
// constexpr constructor (weft::mutex has a constexpr default constructor).
template <class Tag = void>
class basic_mutex {
 public:
  constexpr basic_mutex() noexcept {}
  basic_mutex(const basic_mutex&) = delete;
  basic_mutex& operator=(const basic_mutex&) = delete;

  void lock(WEFT_RELACY_LOC) { m_.lock(WEFT_RELACY_INFO); }
  bool try_lock(WEFT_RELACY_LOC) { return m_.try_lock(WEFT_RELACY_INFO); }
  void unlock(WEFT_RELACY_LOC) { m_.unlock(WEFT_RELACY_INFO); }

 private:
  rl::mutex m_;
};
using mutex = basic_mutex<>;

// ---- fatal errors ----------------------------------------------------------------
// Inside a simulation: fails the iteration with the message (Relacy prints
// the history and leaves this fiber; it does not return). Outside: prints
// "fatal error: <message>" and aborts, as sys/std.hpp's does.
[[noreturn]] inline void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] inline void fatal(const char* fmt, ...) {
  static char buf[512];
  std::va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "fatal error: %s\n", buf);
  if (rl::is_ctx())
    rl::ctx().fail_test(buf, rl::test_result_user_assert_failed, rl::debug_info("fatal", "", 0));
  std::abort();  // not reached inside a simulation: fail_test leaves this fiber
}

#undef WEFT_RELACY_INFO
#undef WEFT_RELACY_LOC

}  // namespace weft::sys
