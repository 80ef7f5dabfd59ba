// gbench_spawn.cpp: the cost of go() and of a goroutine's whole life.
//
//   SpawnJoinBatch  one iteration = wg.add(1000); 1000 x go(wg.done); wg.wait()
//                   (spawn_join of the anchors in batches; ns_per_goroutine)
//   SpawnJoinOne    one iteration = go(wg.done); wg.wait(): spawn, first run,
//                   exit and the spawner's wake-up, unbatched
#include "gbench_common.hpp"

namespace {

using weft_bench::in_runtime;
using weft_bench::time_per;

constexpr int kBatch = 1000;

void SpawnJoinBatch(benchmark::State& state) {
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    for (auto _ : state) {
      weft::wait_group wg;
      wg.add(kBatch);
      for (int i = 0; i < kBatch; ++i) weft::go([&wg] { wg.done(); });
      wg.wait();
    }
  });
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["ns_per_goroutine"] = time_per(static_cast<double>(state.iterations()) * kBatch);
}
BENCHMARK(SpawnJoinBatch)->Apply(weft_bench::procs_1_2);

void SpawnJoinOne(benchmark::State& state) {
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    for (auto _ : state) {
      weft::wait_group wg;
      wg.add(1);
      weft::go([&wg] { wg.done(); });
      wg.wait();
    }
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(SpawnJoinOne)->Apply(weft_bench::procs_1_2);

}  // namespace
