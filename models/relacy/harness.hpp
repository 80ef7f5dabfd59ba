// harness.hpp: the main() of every Relacy test in models/relacy/.
//
// Each test is its own executable (TOOLCHAIN.md: Relacy replaces the global
// allocator while it simulates) and runs exactly one rl::simulate() per
// process, with the scheduler named on the command line:
//
//   relacy_x random [ITERATIONS]   Relacy's random scheduler
//   relacy_x bound [K]             Relacy's context-bound scheduler (exhaustive
//                                  up to K preemptions; ITERATIONS is unused;
//                                  futex_wait never returns spuriously here)
//
// The defaults are the test's own, stated next to its rl::test_suite; CTest
// runs both schedulers. The process succeeds when the result is the one the
// suite declares (its third template argument): success for the production
// checks, a data race or a failed assertion for the negative controls.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <weft/sys.hpp>

namespace weft::relacy {

// Defaults a test states next to its suite.
struct budget {
  rl::iteration_t random_iterations;  // random scheduler: executions to run
  unsigned context_bound;             // context-bound scheduler: preemption bound K
};

template <class Test>
int run(int argc, char** argv, const char* name, budget b) {
  rl::test_params p;
  const char* mode = argc > 1 ? argv[1] : "random";
  if (std::strcmp(mode, "random") == 0) {
    p.search_type = rl::sched_random;
    p.iteration_count = argc > 2 ? static_cast<rl::iteration_t>(std::strtoull(argv[2], nullptr, 10))
                                 : b.random_iterations;
  } else if (std::strcmp(mode, "bound") == 0) {
    p.search_type = rl::sched_bound;
    // Relacy's context bound does not count a spurious futex wakeup as a
    // preemption, so a wait loop can be woken spuriously without end and the
    // "exhaustive within K" search never ends (wait_group, 3 threads: past
    // 11 M executions at K = 1). The random scheduler keeps them.
    sys::relacy_futex_spurious(false);
    p.context_bound =
        argc > 2 ? static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10)) : b.context_bound;
  } else {
    std::fprintf(stderr, "usage: %s random [ITERATIONS] | bound [K]\n", argv[0]);
    return 2;
  }
  p.output_stream = &std::cout;  // never an ostringstream (TOOLCHAIN.md)
  p.progress_stream = &std::cout;
  p.progress_output_period = 1000000;  // seconds: no progress lines
  const bool ok = rl::simulate<Test>(p);
  const rl::test_result_e expected = Test::params::expected_result;
  std::printf(
      "weft-relacy: %s: %s scheduler (%s %llu), %llu executions, result \"%s\", "
      "expected \"%s\": %s\n",
      name, mode, p.search_type == rl::sched_random ? "iterations" : "K",
      static_cast<unsigned long long>(p.search_type == rl::sched_random ? p.iteration_count
                                                                        : p.context_bound),
      static_cast<unsigned long long>(p.stop_iteration), rl::test_result_str(p.test_result),
      rl::test_result_str(expected), ok ? "PASS" : "FAIL");
  std::fflush(stdout);
  return ok ? 0 : 1;
}

}  // namespace weft::relacy
