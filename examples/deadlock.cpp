// deadlock.cpp: what weft prints when every goroutine is asleep for good.
//
// The bug is a classic: main adds one to the wait_group per job, but a
// worker returns early on a job it cannot handle without calling done().
// The counter never reaches zero, main's wait() never returns, and no
// goroutine is left that could change that. As Go does, weft notices,
// prints
//
//   fatal error: all goroutines are asleep - deadlock!
//
//   goroutine 1 [sync.WaitGroup.Wait]:
//           .../examples/deadlock.cpp:<line of the wait() call>
//
// (one entry per parked goroutine) and exits with status 2. Set
// config.on_deadlock = weft::deadlock_policy::report to have run() return
// weft::exit_status::deadlock instead.
//
//   ./dev demo        (or: build/release/examples/example_deadlock; echo $?)
#include <weft/weft.hpp>

#include <cstdio>

int main() {
  weft::exit_status status = weft::run([] {
    weft::wait_group wg;
    for (int job = 0; job < 3; ++job) {
      wg.add(1);
      weft::go([&wg, job] {
        if (job == 2) return;  // BUG: this path forgets wg.done()
        std::printf("job %d done\n", job);
        std::fflush(stdout);  // the deadlock exit does not flush stdio
        wg.done();
      });
    }
    wg.wait();  // waits for a done() that never comes
    std::printf("all jobs done\n");
  });
  return static_cast<int>(status);  // not reached: the report exits with 2
}
