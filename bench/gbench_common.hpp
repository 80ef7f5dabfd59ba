// gbench_common.hpp: what the Google Benchmark suites (bench/gbench_*.cpp)
// share.
//
// A weft benchmark body must run on a goroutine, so each benchmark function
// starts its own runtime: `in_runtime(state, procs, body)` runs body as the
// main goroutine of weft::run() with config.procs = procs. Google Benchmark
// calls a benchmark function several times (to pick the iteration count);
// every call gets a fresh runtime, started and stopped outside the timed
// `for (auto _ : state)` loop. The loop itself may run on any of the
// runtime's threads, so every weft benchmark uses wall-clock time
// (->UseRealTime()); CPU time of "the benchmark thread" means nothing here.
//
// The channel and select suites compile only once <weft/chan.hpp> and
// <weft/select.hpp> exist (WEFT_GBENCH_HAVE_CHAN / _SELECT).
#pragma once

#include <benchmark/benchmark.h>

#include <weft/weft.hpp>

#if __has_include(<weft/chan.hpp>)
#include <weft/chan.hpp>
#define WEFT_GBENCH_HAVE_CHAN 1
#else
#define WEFT_GBENCH_HAVE_CHAN 0
#endif
#if WEFT_GBENCH_HAVE_CHAN && __has_include(<weft/select.hpp>)
#include <weft/select.hpp>
#define WEFT_GBENCH_HAVE_SELECT 1
#else
#define WEFT_GBENCH_HAVE_SELECT 0
#endif

#include <cstdint>
#include <utility>

namespace weft_bench {

template <class F>
void in_runtime(benchmark::State& state, unsigned procs, F&& body) {
  weft::config c;
  c.procs = procs;
  weft::exit_status st = weft::run(c, std::forward<F>(body));
  if (st != weft::exit_status::ok) state.SkipWithError("weft::run did not return ok");
}

// A counter shown as time per item (e.g. "ns per yield"): Google Benchmark
// divides by the elapsed time (kIsRate) and inverts (kInvert), so the
// column reads in seconds with an SI prefix ("87.1n" = 87.1 ns).
inline benchmark::Counter time_per(double items) {
  return benchmark::Counter(items, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// procs = 1 and 2, wall-clock time: the common shape of every weft benchmark.
inline void procs_1_2(benchmark::internal::Benchmark* b) {
  b->ArgName("procs")->Arg(1)->Arg(2)->UseRealTime();
}

}  // namespace weft_bench
