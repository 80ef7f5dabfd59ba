// vclock.hpp: vector clocks over model threads.
//
// Used three ways: the C11 happens-before of each model thread (component t
// counts t's visible events), the release message a store carries, and the
// DPOR dependence clock (components are path positions + 1).
#pragma once

#include <array>
#include <cstdint>

namespace weft::model::detail {

// Model threads per execution (thread 0 is check()'s body).
inline constexpr int kMaxThreads = 16;

struct vclock {
  std::array<std::uint32_t, kMaxThreads> c{};

  std::uint32_t operator[](int i) const { return c[static_cast<unsigned>(i)]; }
  std::uint32_t& operator[](int i) { return c[static_cast<unsigned>(i)]; }
  // Components past `n` (the threads that exist) are zero in both.
  void join(const vclock& o, int n = kMaxThreads) {
    for (unsigned i = 0; i < static_cast<unsigned>(n); ++i) c[i] = c[i] > o.c[i] ? c[i] : o.c[i];
  }
  void clear() { c.fill(0); }
};

}  // namespace weft::model::detail
