// gbench_yield.cpp: weft::yield() (Go's runtime.Gosched).
//
//   YieldPingPong  the main goroutine yields once per iteration while one
//                  partner goroutine yields in a loop; with procs = 1 the two
//                  strictly alternate, so an iteration is two yields and two
//                  goroutine switches. ns_per_yield counts both goroutines'
//                  yields (at procs = 2 they run side by side).
//   YieldAlone     one goroutine yields with nothing else runnable: the cost
//                  of a yield that finds no one to switch to.
#include <atomic>

#include "gbench_common.hpp"

namespace {

using weft_bench::in_runtime;
using weft_bench::time_per;

void YieldPingPong(benchmark::State& state) {
  std::int64_t partner_yields = 0;
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    std::atomic<bool> stop{false};
    std::atomic<bool> started{false};
    weft::wait_group done;
    done.add(1);
    weft::go([&] {
      std::int64_t k = 0;
      started.store(true, std::memory_order_relaxed);
      while (!stop.load(std::memory_order_relaxed)) {
        weft::yield();
        ++k;
      }
      partner_yields = k;
      done.done();
    });
    // Let the partner start before the timed loop (the spawn is not timed).
    while (!started.load(std::memory_order_relaxed)) weft::yield();
    for (auto _ : state) weft::yield();
    stop.store(true, std::memory_order_relaxed);
    done.wait();
  });
  double yields = static_cast<double>(state.iterations() + partner_yields);
  state.SetItemsProcessed(static_cast<std::int64_t>(yields));
  state.counters["ns_per_yield"] = time_per(yields);
}
BENCHMARK(YieldPingPong)->Apply(weft_bench::procs_1_2);

void YieldAlone(benchmark::State& state) {
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    for (auto _ : state) weft::yield();
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(YieldAlone)->Apply(weft_bench::procs_1_2);

}  // namespace
