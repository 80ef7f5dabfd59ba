// blocking.hpp: blocking calls without stalling the scheduler.
#pragma once

#include <type_traits>
#include <utility>

namespace weft {
namespace detail {
void blocking_enter();
void blocking_exit();
}  // namespace detail

// Runs f(), a call that may block its OS thread (a system call, a blocking
// library). While it runs, the goroutine's processor is handed to another
// thread after ~20 µs (Go's sysmon retake/handoffp), so other goroutines keep
// running. From a plain OS thread it just calls f().
template <class F>
auto blocking(F&& f) -> std::invoke_result_t<F&> {
  struct scope {
    scope() { detail::blocking_enter(); }
    ~scope() { detail::blocking_exit(); }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
  } s;
  return f();
}
}  // namespace weft
