// sys/model.hpp: the checker backend of the seam (WEFT_MODEL; see sys.hpp).
//
// Same names and signatures as sys/std.hpp, plus defaulted source-location
// parameters (`__builtin_FILE()`, `__builtin_LINE()`) so that every step of a
// trace names the line that made it; there is no `$` macro. Each operation is
// a scheduling point of weft::model (src/model/): inside check() the engine
// decides which model thread runs next and which store a load reads from.
// Outside check() (static initialisation, code run before or after a check)
// the objects behave as plain single-threaded values.
//
// Values of sys::atomic<T> travel through the engine as 64-bit patterns, so T
// must be trivially copyable and at most 8 bytes (integers, enums, pointers,
// bool), which is all the runtime uses.
//
// Invariants:
//   S1  a modelled object (atomic, cell, mutex, ...) is known to the engine
//       by (epoch, index): a fresh epoch per execution, so an object that
//       outlives one execution is re-registered by the next with its current
//       plain value as its initial value
//   S2  every operation that another model thread can observe calls the
//       engine before it takes effect (the scheduling point)
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <type_traits>
#include <utility>

namespace weft::model::rt {

// ---- the engine's entry points (src/model/) ----------------------------------
// An object's identity inside the current execution (S1).
struct object {
  std::uint64_t epoch = 0;
  std::uint32_t index = 0;
};
// How a value prints in a trace.
enum class vkind : std::uint8_t { u, s, ptr, boolean };
// The state an atomic carries: its identity and its plain value (the mo-latest
// value, kept current by the engine so that code outside check() reads it).
struct atomic_state {
  object obj;
  std::uint64_t bits = 0;
  std::uint8_t size = 8;
  vkind kind = vkind::u;
};
enum class rmw_op : std::uint8_t { xchg, add, sub, and_, or_, xor_ };

bool active() noexcept;  // on a model thread inside check()

std::uint64_t load(atomic_state& a, std::memory_order, const char* file, unsigned line);
void store(atomic_state& a, std::uint64_t v, std::memory_order, const char* file, unsigned line);
std::uint64_t rmw(atomic_state& a, rmw_op op, std::uint64_t arg, std::memory_order,
                  const char* file, unsigned line);
bool cas(atomic_state& a, std::uint64_t& expected, std::uint64_t desired, bool weak,
         std::memory_order success, std::memory_order failure, const char* file, unsigned line);
void fence(std::memory_order, const char* file, unsigned line);

void cell_access(object& c, bool write, const char* file, unsigned line);
// A claimed read (sys::read_mark): mark_read ticks the calling thread's clock
// and returns (seq, thread); ghost_read records it as that thread's read of
// cell c, to be checked by c's next write as cell_access checks reads.
struct mark {
  std::uint32_t seq = 0;  // 0: taken outside check(), records nothing
  std::uint16_t thread = 0;
  const char* file = nullptr;
  unsigned line = 0;
};
mark mark_read(const char* file, unsigned line);
void ghost_read(object& c, const mark& m);

void spin(const char* file, unsigned line);
void yield(const char* file, unsigned line);
std::int64_t now_ns(const char* file, unsigned line);
// 0 = returned (value mismatch, wake or spurious), 1 = timed out.
bool futex_wait(atomic_state& word, std::uint32_t expected, bool timed, std::int64_t deadline_ns,
                const char* file, unsigned line);
void futex_wake(atomic_state& word, int count, const char* file, unsigned line);

void mutex_lock(object& m, const char* file, unsigned line);
bool mutex_try_lock(object& m, const char* file, unsigned line);
void mutex_unlock(object& m, const char* file, unsigned line);
// Returns false on timeout.
bool cv_wait(object& cv, object& m, bool timed, std::int64_t deadline_ns, const char* file,
             unsigned line);
void cv_notify(object& cv, bool all, const char* file, unsigned line);

int spawn(void (*entry)(void*), void* arg, void (*drop)(void*), const char* file, unsigned line);
void join(int id, const char* file, unsigned line);
void detach(int id);
unsigned hardware_concurrency() noexcept;

void* tls_get(unsigned slot) noexcept;
void tls_set(unsigned slot, void* value) noexcept;
std::uint32_t choose(std::uint32_t n, const char* file, unsigned line);

[[noreturn]] void assert_fail(const char* expr, const char* file, unsigned line);

template <class T>
constexpr vkind kind_of() {
  if constexpr (std::is_same_v<T, bool>)
    return vkind::boolean;
  else if constexpr (std::is_pointer_v<T>)
    return vkind::ptr;
  else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
    return vkind::s;
  else if constexpr (std::is_enum_v<T>)
    return std::is_signed_v<std::underlying_type_t<T>> ? vkind::s : vkind::u;
  else
    return vkind::u;
}
template <class T>
std::uint64_t to_bits(T v) noexcept {
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof(T));
  return b;
}
template <class T>
T from_bits(std::uint64_t b) noexcept {
  T v;
  std::memcpy(&v, &b, sizeof(T));
  return v;
}

}  // namespace weft::model::rt

namespace weft::sys {

inline constexpr bool kModel = true;

namespace rt = ::weft::model::rt;  // the engine (not part of the seam's API)

#define WEFT_MODEL_LOC const char *file = __builtin_FILE(), unsigned line = __builtin_LINE()

// ---- atomics -------------------------------------------------------------
// C11 semantics: each load is a choice among the stores coherence and
// happens-before allow (see src/model/atomics.cpp).
template <class T>
class atomic {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8,
                "weft::sys::atomic<T> under the model: T must be trivially "
                "copyable and at most 8 bytes");
  static constexpr std::uint64_t mask(std::uint64_t b) {
    return sizeof(T) == 8 ? b : (b & ((std::uint64_t{1} << (8 * sizeof(T))) - 1));
  }

 public:
  atomic() noexcept : atomic(T{}) {}
  constexpr atomic(T v) noexcept  // NOLINT: std::atomic's implicit constructor
      : s_{rt::object{}, rt::to_bits(v), sizeof(T), rt::kind_of<T>()} {}
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  static constexpr bool is_always_lock_free = true;
  bool is_lock_free() const noexcept { return true; }

  T load(std::memory_order o = std::memory_order_seq_cst, WEFT_MODEL_LOC) const {
    return rt::from_bits<T>(rt::load(s_, o, file, line));
  }
  void store(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_MODEL_LOC) {
    rt::store(s_, rt::to_bits(v), o, file, line);
  }
  T exchange(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_MODEL_LOC) {
    return rt::from_bits<T>(rt::rmw(s_, rt::rmw_op::xchg, rt::to_bits(v), o, file, line));
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order s, std::memory_order f,
                             WEFT_MODEL_LOC) {
    return cas(expected, desired, true, s, f, file, line);
  }
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order o = std::memory_order_seq_cst, WEFT_MODEL_LOC) {
    return cas(expected, desired, true, o, failure_order(o), file, line);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order s, std::memory_order f,
                               WEFT_MODEL_LOC) {
    return cas(expected, desired, false, s, f, file, line);
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order o = std::memory_order_seq_cst, WEFT_MODEL_LOC) {
    return cas(expected, desired, false, o, failure_order(o), file, line);
  }

  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  T fetch_add(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_MODEL_LOC) {
    return op(rt::rmw_op::add, v, o, file, line);
  }
  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  T fetch_sub(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_MODEL_LOC) {
    return op(rt::rmw_op::sub, v, o, file, line);
  }
  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  T fetch_and(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_MODEL_LOC) {
    return op(rt::rmw_op::and_, v, o, file, line);
  }
  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  T fetch_or(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_MODEL_LOC) {
    return op(rt::rmw_op::or_, v, o, file, line);
  }
  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  T fetch_xor(T v, std::memory_order o = std::memory_order_seq_cst, WEFT_MODEL_LOC) {
    return op(rt::rmw_op::xor_, v, o, file, line);
  }

  // Shorthands (seq_cst, no source location of their own).
  operator T() const { return load(); }  // NOLINT: as std::atomic
  T operator=(T v) {
    store(v);
    return v;
  }

 private:
  static constexpr std::memory_order failure_order(std::memory_order o) {
    return o == std::memory_order_acq_rel   ? std::memory_order_acquire
           : o == std::memory_order_release ? std::memory_order_relaxed
                                            : o;
  }
  bool cas(T& expected, T desired, bool weak, std::memory_order s, std::memory_order f,
           const char* file, unsigned line) {
    std::uint64_t e = rt::to_bits(expected);
    bool ok = rt::cas(s_, e, rt::to_bits(desired), weak, s, f, file, line);
    if (!ok) expected = rt::from_bits<T>(e);
    return ok;
  }
  T op(rt::rmw_op k, T v, std::memory_order o, const char* file, unsigned line) {
    return rt::from_bits<T>(mask(rt::rmw(s_, k, mask(rt::to_bits(v)), o, file, line)));
  }

  friend struct model_access;
  mutable rt::atomic_state s_;
};

// Internal: lets the futex functions reach an atomic's engine state.
struct model_access {
  template <class T>
  static rt::atomic_state& state(atomic<T>& a) noexcept {
    return a.s_;
  }
};

inline void atomic_thread_fence(std::memory_order order, WEFT_MODEL_LOC) {
  rt::fence(order, file, line);
}

// ---- plain shared data ---------------------------------------------------
// Every access is checked against the others with vector clocks; a data
// race fails the execution and names both accesses.
template <class T>
class cell {
 public:
  explicit cell(T initial) : value_(std::move(initial)) {}
  cell(const cell&) = delete;
  cell& operator=(const cell&) = delete;

  T get(WEFT_MODEL_LOC) const {
    rt::cell_access(obj_, false, file, line);
    return value_;
  }
  void set(T v, WEFT_MODEL_LOC) {
    rt::cell_access(obj_, true, file, line);
    value_ = std::move(v);
  }
  template <class F>
  auto with(F&& f, WEFT_MODEL_LOC) const {
    rt::cell_access(obj_, false, file, line);
    return std::forward<F>(f)(static_cast<const T*>(&value_));
  }
  template <class F>
  auto with_mut(F&& f, WEFT_MODEL_LOC) {
    rt::cell_access(obj_, true, file, line);
    return std::forward<F>(f)(&value_);
  }

 private:
  mutable rt::object obj_;
  T value_;
};

// ---- claimed reads -------------------------------------------------------
// A read that counts only once a later step confirms it: a thief reads
// run-queue slots (atomics: it may lose the claiming CAS and drop what it
// read), then claims them with a CAS. mark_read() right after the read
// takes the thread's current point; ghost_cell::commit_read(mark) after a
// successful claim records it as a read of the data at that point; the
// owner's ghost_cell::write() before reusing the data fails the execution
// with a data race unless every committed read happens before it. This is
// what a cell checks, for data that cannot be a cell: under ISO C++ a read
// that does not happen before the overwrite may read the overwrite (load
// buffering), which RC11, and so this checker, never produces; the check
// catches the missing happens-before instead.
using read_mark = rt::mark;
inline read_mark mark_read(WEFT_MODEL_LOC) { return rt::mark_read(file, line); }
class ghost_cell {
 public:
  ghost_cell() = default;
  ghost_cell(const ghost_cell&) = delete;
  ghost_cell& operator=(const ghost_cell&) = delete;
  void commit_read(const read_mark& m) { rt::ghost_read(obj_, m); }
  void write(WEFT_MODEL_LOC) { rt::cell_access(obj_, true, file, line); }

 private:
  rt::object obj_;
};

// ---- spinning ------------------------------------------------------------
// Under the model a spinning thread is not run again until another thread
// writes a location it read since its last spin_hint (else: livelock).
inline void spin_hint(WEFT_MODEL_LOC) { rt::spin(file, line); }

// ---- the clock -----------------------------------------------------------
// Virtual time: it advances only when every model thread is blocked or
// sleeping, to the earliest deadline.
struct clock {
  using duration = std::chrono::steady_clock::duration;  // seam-ok: types only
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::steady_clock::time_point;  // seam-ok: types only
  static constexpr bool is_steady = true;
  static time_point now(WEFT_MODEL_LOC) noexcept {
    return time_point(
        std::chrono::duration_cast<duration>(std::chrono::nanoseconds(rt::now_ns(file, line))));
  }
};

namespace model_detail {
inline std::int64_t to_ns(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace model_detail

// ---- futex ---------------------------------------------------------------
// Linux semantics: returns at once if the (mo-latest) word != expected; wakes
// and waits on one word are ordered with each other (a wake happens before
// the wait it ends); spurious wakeups are an optional branch.
inline void futex_wait(atomic<std::uint32_t>& word, std::uint32_t expected, WEFT_MODEL_LOC) {
  rt::futex_wait(model_access::state(word), expected, false, 0, file, line);
}
inline bool futex_wait_until(atomic<std::uint32_t>& word, std::uint32_t expected,
                             clock::time_point deadline, WEFT_MODEL_LOC) {
  return !rt::futex_wait(model_access::state(word), expected, true, model_detail::to_ns(deadline),
                         file, line);
}
inline void futex_wake(atomic<std::uint32_t>& word, int count, WEFT_MODEL_LOC) {
  rt::futex_wake(model_access::state(word), count, file, line);
}

// ---- mutex and condition variable ------------------------------------------
// Modelled directly (not through the futex) so that a blocked lock is one
// disabled thread rather than a spin of futex steps.
class mutex {
 public:
  constexpr mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  void lock(WEFT_MODEL_LOC) { rt::mutex_lock(obj_, file, line); }
  bool try_lock(WEFT_MODEL_LOC) { return rt::mutex_try_lock(obj_, file, line); }
  void unlock(WEFT_MODEL_LOC) { rt::mutex_unlock(obj_, file, line); }

 private:
  friend class condition_variable;
  rt::object obj_;
};

class condition_variable {
 public:
  constexpr condition_variable() noexcept = default;
  condition_variable(const condition_variable&) = delete;
  condition_variable& operator=(const condition_variable&) = delete;

  void notify_one(WEFT_MODEL_LOC) noexcept { rt::cv_notify(obj_, false, file, line); }
  void notify_all(WEFT_MODEL_LOC) noexcept { rt::cv_notify(obj_, true, file, line); }
  void wait(std::unique_lock<mutex>& lock, WEFT_MODEL_LOC) {
    rt::cv_wait(obj_, lock.mutex()->obj_, false, 0, file, line);
  }
  template <class Pred>
  void wait(std::unique_lock<mutex>& lock, Pred pred, WEFT_MODEL_LOC) {
    while (!pred()) wait(lock, file, line);
  }
  std::cv_status wait_until(std::unique_lock<mutex>& lock, clock::time_point deadline,
                            WEFT_MODEL_LOC) {
    return rt::cv_wait(obj_, lock.mutex()->obj_, true, model_detail::to_ns(deadline), file, line)
               ? std::cv_status::no_timeout
               : std::cv_status::timeout;
  }
  template <class Pred>
  bool wait_until(std::unique_lock<mutex>& lock, clock::time_point deadline, Pred pred,
                  WEFT_MODEL_LOC) {
    while (!pred())
      if (wait_until(lock, deadline, file, line) == std::cv_status::timeout) return pred();
    return true;
  }
  template <class Rep, class Period>
  std::cv_status wait_for(std::unique_lock<mutex>& lock, std::chrono::duration<Rep, Period> d,
                          WEFT_MODEL_LOC) {
    return wait_until(lock, clock::now(file, line) + std::chrono::ceil<clock::duration>(d), file,
                      line);
  }
  template <class Rep, class Period, class Pred>
  bool wait_for(std::unique_lock<mutex>& lock, std::chrono::duration<Rep, Period> d, Pred pred,
                WEFT_MODEL_LOC) {
    return wait_until(lock, clock::now(file, line) + std::chrono::ceil<clock::duration>(d),
                      std::move(pred), file, line);
  }

 private:
  rt::object obj_;
};

// ---- threads ---------------------------------------------------------------
// A model thread: a fiber with its own stack on the checking OS thread.
class thread {
 public:
  thread() noexcept = default;
  template <class F>
  explicit thread(F&& f, WEFT_MODEL_LOC) {
    using Fn = std::decay_t<F>;
    auto* box = new Fn(std::forward<F>(f));
    id_ = rt::spawn([](void* p) { (*static_cast<Fn*>(p))(); }, box,
                    [](void* p) { delete static_cast<Fn*>(p); }, file, line);
  }
  thread(thread&& o) noexcept : id_(std::exchange(o.id_, -1)) {}
  thread& operator=(thread&& o) noexcept {
    id_ = std::exchange(o.id_, -1);
    return *this;
  }
  thread(const thread&) = delete;
  thread& operator=(const thread&) = delete;
  ~thread() = default;  // a joinable thread left behind is reported if it blocks

  bool joinable() const noexcept { return id_ >= 0; }
  void join(WEFT_MODEL_LOC) {
    rt::join(id_, file, line);
    id_ = -1;
  }
  void detach() {
    rt::detach(id_);
    id_ = -1;
  }

 private:
  int id_ = -1;
};

inline unsigned hardware_concurrency() noexcept { return rt::hardware_concurrency(); }

// ---- thread-local slots ------------------------------------------------------
// One set per model thread (model threads share one OS thread).
enum class tls_slot : unsigned { m = 0, thread_task = 1, user0 = 2, count = 8 };
inline void* tls_get(tls_slot slot) noexcept { return rt::tls_get(static_cast<unsigned>(slot)); }
inline void tls_set(tls_slot slot, void* value) noexcept {
  rt::tls_set(static_cast<unsigned>(slot), value);
}

// ---- randomness ----------------------------------------------------------------
// A checker choice: every value below n is explored (exhaustive search) or
// drawn from the strategy; the caller's state is left alone.
inline std::uint32_t random_below(std::uint64_t& state, std::uint32_t n, WEFT_MODEL_LOC) noexcept {
  (void)state;
  return rt::choose(n, file, line);
}
inline std::uint64_t random_seed() noexcept { return 0x9e3779b97f4a7c15ULL; }

// ---- fatal errors ----------------------------------------------------------------
// Prints "fatal error: <message>" to stderr and aborts (src/sys/fatal.cpp).
[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Under check(): fails the execution with kind "fatal" and this message and
// abandons it (never returns). Outside check(): prints and aborts.
[[noreturn]] void model_fatal(const char* message) noexcept;

// ---- process-global state ----------------------------------------------------------
// Code that keeps weft::sys objects in process-global variables (the
// runtime's current-runtime pointer and timer heap) registers a function
// that puts them back in their initial state. The checker calls every
// registered function between executions (no model thread runs; an atomic
// store there just sets the value), so an execution abandoned by a failure
// leaves nothing behind for the next one or for the failure's replay.
// At most 16 functions; registering one twice is a no-op.
void model_at_execution_start(void (*reset)()) noexcept;

// ---- goroutine switches ------------------------------------------------------------
// src/sys/fiber.cpp calls this before every goroutine context switch. The
// checker's own thread switch saves whatever stack a model thread is on, so
// the hook only counts and traces switches.
struct fiber;
void model_on_fiber_switch(fiber* from, fiber* to) noexcept;

#undef WEFT_MODEL_LOC

}  // namespace weft::sys
