// sched_test_util.hpp: helpers shared by the runtime-core suites
// (tests/sched/*_test.cpp, tests/sync/wait_group_test.cpp).
//
// Tests scale their sizes down under the sanitizers (CI runs those presets
// on 2 cores, about 10x slower), and bound every wait that a bug could make
// endless, so that a broken scheduler fails a test instead of hanging it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <thread>

#include <weft/weft.hpp>

namespace weft_test {

constexpr bool under_asan() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

constexpr bool under_tsan() {
#if defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

constexpr bool under_sanitizer() { return under_asan() || under_tsan(); }

// `full` normally, `reduced` under a sanitizer.
constexpr std::size_t scaled(std::size_t full, std::size_t reduced) {
  return under_sanitizer() ? reduced : full;
}
// The same with a third size for TSan, where starting a goroutine costs far
// more than under ASan (each goroutine's first run creates a TSan fiber).
constexpr std::size_t scaled(std::size_t full, std::size_t asan, std::size_t tsan) {
  return under_tsan() ? tsan : under_asan() ? asan : full;
}

inline weft::config procs_config(unsigned procs) {
  weft::config c;
  c.procs = procs;
  return c;
}

// A generous bound for waits that only a bug makes long.
constexpr auto kPatience = std::chrono::seconds(20);

// Calls weft::yield() (from a goroutine) or std::this_thread::yield() (from a
// plain thread) until pred() holds or kPatience has passed; returns pred().
template <class Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    if (weft::this_goroutine::id() != 0)
      weft::yield();
    else
      std::this_thread::yield();
  }
  return true;
}

}  // namespace weft_test
