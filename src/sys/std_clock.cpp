// std_clock.cpp: the production clock and the seed for generators.
#include <chrono>
#include <weft/sys.hpp>

namespace weft::sys {

clock::time_point clock::now() noexcept {
  return std::chrono::steady_clock::now();  // seam-ok: this is the seam
}

namespace {
// splitmix64's finalizer: spreads every input bit over the output.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
atomic<std::uint64_t> seed_counter{0};
}  // namespace

std::uint64_t random_seed() noexcept {
  int local = 0;
  auto t = static_cast<std::uint64_t>(clock::now().time_since_epoch().count());
  auto a = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&local));
  auto c = seed_counter.fetch_add(1, std::memory_order_relaxed);
  return mix(t ^ mix(a + 0x9e3779b97f4a7c15ULL * (c + 1)));
}

}  // namespace weft::sys
