// runtime.hpp: starting the runtime and spawning goroutines.
//
// weft multiplexes goroutines M:N onto OS threads with a work-stealing
// scheduler after Go's runtime/proc.go (see src/sched/sched.cpp for the
// design essay). API.md is the contract for every spelling here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

namespace weft {

enum class deadlock_policy {
  abort,   // print the report, exit code 2 (Go's behaviour)
  report,  // print the report, run() returns exit_status::deadlock
};
enum class exit_status { ok = 0, deadlock = 2 };

struct config {
  unsigned procs = 0;                   // Go's GOMAXPROCS; 0 = CPUs available
  std::size_t stack_size = 256 * 1024;  // bytes reserved per goroutine stack
  unsigned max_threads = 10000;         // cap on OS threads; past it, fatal error
  deadlock_policy on_deadlock = deadlock_policy::abort;
};

namespace detail {

// The call site of a blocking operation, for the deadlock report. Used as a
// defaulted argument so that it names the user's line, not weft's.
struct source_location {
  const char* file;
  unsigned line;
  static constexpr source_location current(const char* f = __builtin_FILE(),
                                           unsigned l = __builtin_LINE()) noexcept {
    return {f, l};
  }
};

// A type-erased callable stored inline in a goroutine record (or on the
// heap when large).
struct closure_ops {
  void (*invoke)(void* storage);
  void (*destroy)(void* storage) noexcept;
};
template <class Fn>
inline constexpr closure_ops closure_ops_for = {
    [](void* p) { (*static_cast<Fn*>(p))(); },
    [](void* p) noexcept { static_cast<Fn*>(p)->~Fn(); }};

struct goroutine;
// Reserve a goroutine with room for a callable of the given size and
// alignment; construct the callable in the returned storage, then commit.
void* spawn_prepare(std::size_t size, std::size_t align, goroutine** g);
void spawn_commit(goroutine* g, const closure_ops* ops, source_location where);
exit_status run_main(const config& cfg, void (*fn)(void*), void* arg);

}  // namespace detail

// Starts the runtime, runs main_goroutine as goroutine 1 and returns when it
// returns; goroutines still alive then are abandoned, as when Go's main
// returns. One run() at a time per process.
template <class F>
exit_status run(const config& cfg, F&& main_goroutine) {
  // A function name decays to a pointer; anything else is called in place
  // (run() blocks until goroutine 1 returns, so it outlives the call).
  using Fn = std::conditional_t<std::is_function_v<std::remove_reference_t<F>>, std::decay_t<F>,
                                std::remove_reference_t<F>>;
  Fn fn_storage_or_ref = main_goroutine;
  if constexpr (std::is_pointer_v<Fn>) {
    return detail::run_main(
        cfg, [](void* p) { (*static_cast<Fn*>(p))(); }, &fn_storage_or_ref);
  } else {
    return detail::run_main(
        cfg, [](void* p) { (*static_cast<Fn*>(p))(); },
        const_cast<void*>(static_cast<const void*>(std::addressof(main_goroutine))));
  }
}
template <class F>
exit_status run(F&& main_goroutine) {
  return run(config{}, std::forward<F>(main_goroutine));
}

// Spawns f(args...) as a new goroutine (Go's `go f(args...)`); f and args
// are decay-copied, as a thread constructor copies them.
template <class F, class... Args>
void go(F&& f, Args&&... args) {
  auto fn = [f = std::forward<F>(f), t = std::make_tuple(std::forward<Args>(args)...)]() mutable {
    std::apply(f, std::move(t));
  };
  using Fn = decltype(fn);
  detail::goroutine* g = nullptr;
  void* storage = detail::spawn_prepare(sizeof(Fn), alignof(Fn), &g);
  ::new (storage) Fn(std::move(fn));
  detail::spawn_commit(g, &detail::closure_ops_for<Fn>, detail::source_location::current());
}

// runtime.Gosched: let other goroutines run; the caller stays runnable.
void yield();
// The number of processors (GOMAXPROCS) of the running runtime, or the one
// run() would use with procs = 0.
unsigned procs();
// The number of live user goroutines (1 in a fresh run()).
std::size_t num_goroutines();

namespace this_goroutine {
// Goroutine 1 is run()'s; 0 when called from a plain OS thread.
std::uint64_t id();
}  // namespace this_goroutine

}  // namespace weft
