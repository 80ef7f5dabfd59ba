// chase_lev_weft.cpp: the weft::model side of the side-by-side: the Chase-Lev
// deque of models/checker/chase_lev.hpp (the same code, orders and bug
// variants as chase_lev_relacy.cpp) under each weft::model strategy.
//
// usage: chase_lev_weft VARIANT STRATEGY [ITERATIONS] [SEEDS]
//   STRATEGY  random | pct | bound0..bound3 | full | graph
// prints: weft VARIANT STRATEGY RESULT EXECUTIONS CPU-SECONDS EXEC/S
// For random and pct, EXECUTIONS is the mean over SEEDS seeds (default 1) of
// the executions up to and including the first failure.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include <weft/model.hpp>

#include "chase_lev.hpp"

using namespace weft::model_test;
namespace m = weft::model;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s VARIANT STRATEGY [ITERATIONS] [SEEDS]\n", argv[0]);
    return 2;
  }
  std::string v = argv[1], s = argv[2];
  void (*body)() = nullptr;
  if (v == "none") body = chase_lev_scenario<cl_bug::none>;
  if (v == "push_no_release_fence") body = chase_lev_scenario<cl_bug::push_no_release_fence>;
  if (v == "pop_no_sc_fence") body = chase_lev_scenario<cl_bug::pop_no_sc_fence>;
  if (v == "steal_no_sc_fence") body = chase_lev_scenario<cl_bug::steal_no_sc_fence>;
  if (v == "steal_bottom_relaxed") body = chase_lev_scenario<cl_bug::steal_bottom_relaxed>;
  if (!body) return 2;
  m::options o;
  o.environment = false;
  o.progress = false;
  o.iterations = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000000;
  int seeds = argc > 4 ? std::atoi(argv[4]) : 1;
  if (s == "random") {
    o.search = m::strategy::random;
  } else if (s == "pct") {
    o.search = m::strategy::pct;
  } else if (s == "graph") {  // every execution graph once: no bound
    o.search = m::strategy::graph;
    seeds = 1;
  } else if (s.compare(0, 5, "bound") == 0) {
    o.max_preemptions = std::atoi(s.c_str() + 5);
    seeds = 1;
  } else {
    o.max_preemptions = -1;
    seeds = 1;
  }
  double total = 0;
  bool ok = true;
  std::clock_t c0 = std::clock();  // CPU time: the machine is shared (TOOLCHAIN.md)
  for (int i = 0; i < seeds; ++i) {
    o.seed = static_cast<std::uint64_t>(i);
    m::result r = m::check(o, body);
    total += static_cast<double>(r.executions);
    ok = ok && r.ok;
  }
  double secs = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  std::printf("weft   %-22s %-8s %-8s %10.1f %8.2f %10.0f\n", v.c_str(), s.c_str(),
              ok ? "ok" : "FAILED", total / seeds, secs, secs > 0 ? total / secs : 0.0);
  return 0;
}
