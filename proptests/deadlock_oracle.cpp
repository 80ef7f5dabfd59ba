// deadlock_oracle.cpp: the checker's verdict on a deadlock program
// (programs.hpp, part 2), for deadlock_test.cpp, which links the real
// runtime and so cannot link weft::model in the same executable.
//
//   proptest_deadlock_oracle <program> [<preemption bound>]
//       e.g.  proptest_deadlock_oracle 10/s0r1/r0
//   -> "none 1234 complete": no schedule deadlocks
//      "some 1234 complete": some schedules deadlock, others finish
//      "all 1234 complete":  every schedule deadlocks
//      (the number is the executions; "incomplete" if the search was cut
//      at kMaxExecutions)
//
// The preemption bound (default 3) keeps the search small: the channel core's
// own locks and atomics are scheduling points too, and an unbounded search
// of three goroutines with two operations each runs past 200000 executions.
// A deadlock or a finished run found by the bounded search is real; "all" and
// "none" are over the schedules with at most that many preemptions (a
// switch at a blocking operation is not a preemption). On 60 random programs
// of deadlock_test.cpp's shape the verdicts at bounds 3 and 4 agreed wherever
// both searches completed (59 of them; the 60th hit kMaxExecutions at bound
// 4). A bound of -1 gives the exact verdict, slowly.
//
// The program runs with each goroutine as a model thread (channels work on
// plain threads: they park on the futex), so the search covers the
// interleavings of the program's operations (up to the bound), not only
// those the runtime's scheduler would pick. Model thread 0 waits for the
// others with a timed futex wait. Virtual time advances only when every
// thread is blocked, so the wait times out exactly when the program is
// stuck for good: that execution deadlocks. Thread 0 then closes both
// channels, which wakes every blocked operation (sends panic and are caught,
// receives and selects return), so that every execution ends and the search
// goes on; the set of outcomes over the search (DPOR, preemption-bounded)
// is the verdict.
//
// Exit status: 0 with a verdict, 1 if the checker reported a failure (its
// report is printed), 64 for bad usage.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <weft/model.hpp>
#include <weft/weft.hpp>

#include "programs.hpp"

namespace {

using namespace weft_proptest;

constexpr std::uint64_t kMaxExecutions = 100000;

// One execution of p: true if it got stuck.
bool execute(const dl_program& p) {
  const weft::chan<int> ch[2] = {weft::chan<int>(p.cap[0]), weft::chan<int>(p.cap[1])};
  const auto n = static_cast<std::uint32_t>(p.goroutines.size());
  weft::sys::atomic<std::uint32_t> finished{0};
  std::vector<weft::sys::thread> threads;
  for (const auto& ops : p.goroutines)
    threads.emplace_back([&ops, &ch, &finished] {
      run_dl_ops(ops, ch);
      finished.fetch_add(1, std::memory_order_release);
      weft::sys::futex_wake(finished, 1);
    });
  bool stuck = false;
  for (;;) {
    std::uint32_t f = finished.load(std::memory_order_acquire);
    if (f == n) break;
    auto deadline = weft::sys::clock::now() + std::chrono::hours(1);
    if (!weft::sys::futex_wait_until(finished, f, deadline) &&
        finished.load(std::memory_order_acquire) == f) {
      stuck = true;  // every other thread is blocked: no one can wake them
      break;
    }
  }
  if (stuck) {
    for (const auto& c : ch) {
      try {
        c.close();
      } catch (const weft::panic_error&) {
      }
    }
  }
  for (auto& t : threads) t.join();
  return stuck;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <program>\n", argv[0]);
    return 64;
  }
  auto p = decode(argv[1]);
  if (!p) {
    std::fprintf(stderr, "%s: cannot parse program \"%s\"\n", argv[0], argv[1]);
    return 64;
  }
  weft::model::options o;
  o.search = weft::model::strategy::exhaustive;
  o.max_preemptions = argc > 2 ? std::atoi(argv[2]) : 3;
  o.max_executions = kMaxExecutions;
  o.progress = false;
  o.environment = false;
  std::set<bool> outcomes;
  auto r = weft::model::check(o, [&] { outcomes.insert(execute(*p)); });
  if (!r.ok) {
    std::printf("error %s\n", weft::model::describe(r).c_str());
    return 1;
  }
  const char* verdict = outcomes.count(true) == 0    ? "none"
                        : outcomes.count(false) == 0 ? "all"
                                                     : "some";
  std::printf("%s %llu %s\n", verdict, static_cast<unsigned long long>(r.executions),
              r.complete ? "complete" : "incomplete");
  return 0;
}
