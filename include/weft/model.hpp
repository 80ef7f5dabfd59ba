// model.hpp: weft::model, the deterministic-schedule checker.
//
// check(body) runs `body` as model thread 0 again and again. Every operation
// of weft::sys (atomics, fences, futex, mutex, condition variable, thread
// spawn and join, clock reads, random_below, spin_hint) is a scheduling
// point; loads choose among the stores the C11 memory model (RC11) lets them
// read. The search stops at the first failure, which comes back in `result`
// with a replay token and a trace. docs/model-checking.md is the manual.
//
//   auto r = weft::model::check([] {
//     weft::sys::atomic<int> x{0};
//     weft::sys::thread t([&] { x.store(1, std::memory_order_relaxed); });
//     WEFT_MODEL_ASSERT(x.load(std::memory_order_relaxed) == 0);  // fails
//     t.join();
//   });
//   // r.ok == false, r.failure == "assertion", r.trace has every step
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

#include <weft/sys.hpp>

namespace weft::model {

enum class strategy {
  exhaustive,  // depth-first over every schedule and reads-from choice
  random,      // `iterations` executions, each choice uniformly at random
  pct,         // `iterations` executions of PCT with depth `pct_depth`
  fuzz,        // one execution whose choices come from `fuzz_input`
  graph,       // every consistent execution graph once (RC11; atomics, fences, threads)
};

struct options {
  strategy search = strategy::exhaustive;
  int max_preemptions = 2;          // -1: unbounded (exhaustive search)
  std::uint64_t iterations = 1000;  // for random and pct
  std::uint64_t seed = 0;           // for random and pct

  // ---- implementer's fields ----
  bool dpor = true;                     // exhaustive: partial-order reduction
  int pct_depth = 3;                    // PCT's d (d-1 priority change points)
  std::uint64_t max_steps = 100000;     // per execution; past it: "livelock"
  std::uint64_t max_executions = 0;     // exhaustive: give up after (0: never)
  unsigned history = 8;                 // stores remembered per atomic (>= 4)
  bool spurious_cas_failures = true;    // compare_exchange_weak may fail
  bool spurious_wakeups = false;        // futex and condvar waits may return early
  bool mo_choices = true;               // a relaxed store may be ordered before stores
                                        // it does not observe (2+2W); off: mo = exec order
  std::size_t stack_size = 256 * 1024;  // per model thread
  std::string fuzz_input;               // choices for strategy::fuzz
  std::string replay;                   // a token: run exactly that execution
  unsigned shard_index = 0;             // exhaustive: this job's share ...
  unsigned shard_count = 1;             // ... of the search (WEFT_MODEL_SHARD)
  bool progress = true;                 // a line on stderr every 2 s of a long run
  bool environment = true;              // honour the WEFT_MODEL_* variables
  bool detached_may_block = true;       // detached threads may stay blocked at exit
  bool trace_fiber_switches = false;    // show goroutine switches in traces
  // Heap blocks allocated during an execution and not freed by its end fail
  // it ("leak"). Off by default: results a body keeps past check() count.
  bool check_leaks = false;
};

struct result {
  bool ok = true;       // no failure found
  std::string failure;  // "assertion", "deadlock", "data race", "livelock",
                        // "blocked at exit", "exception", "abort", "fatal", "leak",
                        // "nondeterminism", "unsupported" (strategy::graph);
                        // empty when ok
  std::uint64_t executions = 0;
  std::string replay;  // WEFT_MODEL_REPLAY=<replay> re-runs the failure
  std::string trace;   // the failing execution, one step a line

  // ---- implementer's fields ----
  std::string message;                  // one line: what failed, and where
  std::uint64_t failing_execution = 0;  // 1-based number of the failure
  bool complete = false;                // exhaustive: the whole (bounded) space was covered
  double seconds = 0;
  std::uint64_t max_depth = 0;  // most steps in one execution
};

result check(const options&, std::function<void()> body);
result check(std::function<void()> body);  // options{}

// "ok, 1234 executions" or the failure, message, replay and trace.
std::string describe(const result&);
std::ostream& operator<<(std::ostream&, const result&);

}  // namespace weft::model

namespace weft::model::rt {
[[noreturn]] void assert_fail(const char* expr, const char* file, unsigned line);
}

// Fails the current execution with the expression text; a statement usable in
// any model thread (and a plain check outside check()).
#define WEFT_MODEL_ASSERT(cond)                                             \
  do {                                                                      \
    if (!(cond)) ::weft::model::rt::assert_fail(#cond, __FILE__, __LINE__); \
  } while (0)
