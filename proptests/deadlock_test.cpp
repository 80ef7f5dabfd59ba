// deadlock_test.cpp: the runtime's deadlock verdicts against the checker's.
// Generated small programs (1-4 goroutines besides goroutine 1, two
// channels of capacity 0-2, 1-4 blocking operations each: programs.hpp,
// part 2) run on the real runtime with deadlock_policy::report, procs = 1
// and 2. The oracle is the checker's exhaustive search over the same program
// (proptest_deadlock_oracle, a weft::model executable: see its header):
//
//   D1  a deadlock report is real: run() returns exit_status::deadlock only
//       if some schedule of the program deadlocks
//   D2  a program that deadlocks on every schedule is reported: run()
//       returns exit_status::deadlock, and does not hang (the watchdog
//       turns a hang into an abort with the program printed)
//   D3  run() returns exit_status::ok only if some schedule finishes
//
// A case whose search was cut short (the oracle says "incomplete") checks
// only what the executions found prove. Each deadlocking run costs the
// detector's 100 ms confirmation (docs/runtime.md), so the default is 100
// programs (15-30 s on 2 cores).
#include <cstdio>
#include <memory>
#include <string>

#include <weft/weft.hpp>

#include "programs.hpp"
#include "prop.hpp"
#include "watchdog.hpp"

namespace {

using namespace weft_proptest;

struct verdict {
  std::string kind;  // "none", "some", "all"
  bool complete = false;
  std::string raw;
};

// Asks the oracle (one process per program: it links weft::model).
verdict ask_oracle(const dl_program& p) {
  const std::string cmd = std::string(WEFT_DEADLOCK_ORACLE) + " " + encode(p) + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> f(popen(cmd.c_str(), "r"), pclose);
  RC_ASSERT(f != nullptr);
  verdict v;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, f.get()) != nullptr) v.raw += buf;
  const int status = pclose(f.release());
  if (status != 0) RC_FAIL("the oracle failed on " + encode(p) + ":\n" + v.raw + "\n" + show(p));
  v.kind = v.raw.substr(0, v.raw.find(' '));
  v.complete = v.raw.find(" complete") != std::string::npos;
  RC_ASSERT(v.kind == "none" || v.kind == "some" || v.kind == "all");
  return v;
}

weft::exit_status run_on_runtime(const dl_program& p, unsigned procs) {
  weft::config cfg;
  cfg.procs = procs;
  cfg.on_deadlock = weft::deadlock_policy::report;
  return weft::run(cfg, [p] {
    // p is copied into goroutine 1's frame, and each goroutine copies its
    // operations: after a deadlock report the goroutines are abandoned,
    // parked for good, and must not refer to the property's frame.
    weft::wait_group wg;
    const weft::chan<int> ch[2] = {weft::chan<int>(p.cap[0]), weft::chan<int>(p.cap[1])};
    wg.add(static_cast<int>(p.goroutines.size()));
    for (const auto& ops : p.goroutines) {
      weft::go([ops, c0 = ch[0], c1 = ch[1], &wg] {
        const weft::chan<int> mine[2] = {c0, c1};
        run_dl_ops(ops, mine);
        wg.done();
      });
    }
    wg.wait();
  });
}

WEFT_PROP(DeadlockVerdict, RuntimeAgreesWithTheChecker, 100) {
  const dl_program p = gen_dl_program();
  const verdict v = ask_oracle(p);
  RC_CLASSIFY(v.kind == "none", "no schedule deadlocks");
  RC_CLASSIFY(v.kind == "some", "some schedules deadlock");
  RC_CLASSIFY(v.kind == "all", "every schedule deadlocks");
  RC_CLASSIFY(!v.complete, "oracle incomplete");
  watchdog dog("proptest DeadlockVerdict:\n" + show(p), std::chrono::seconds(60));
  for (unsigned procs : {1u, 2u}) {
    const auto st = run_on_runtime(p, procs);
    const std::string where =
        "procs=" + std::to_string(procs) + ", checker: " + v.raw + "program:\n" + show(p);
    if (st == weft::exit_status::deadlock && v.kind == "none" && v.complete)
      RC_FAIL("D1: the runtime reported a deadlock that no schedule has; " + where);
    if (st == weft::exit_status::ok && v.kind == "all" && v.complete)
      RC_FAIL("D2/D3: every schedule deadlocks, the runtime finished; " + where);
  }
}

// The oracle answers as it should on programs whose verdicts are known.
TEST(DeadlockOracle, KnownVerdicts) {
  auto kind = [](const char* text) {
    auto p = decode(text);
    EXPECT_TRUE(p.has_value()) << text;
    verdict v = ask_oracle(*p);
    EXPECT_TRUE(v.complete) << text << ": " << v.raw;
    return v.kind;
  };
  EXPECT_EQ(kind("00/s0/r0"), "none");     // a rendezvous
  EXPECT_EQ(kind("00/s0"), "all");         // nobody receives
  EXPECT_EQ(kind("10/s0"), "none");        // the buffer takes it
  EXPECT_EQ(kind("00/s0s0/r0"), "all");    // the second send is never received
  EXPECT_EQ(kind("10/r0/c0"), "none");     // close wakes the receiver
  EXPECT_EQ(kind("00/s0/c0"), "none");     // close makes the send panic (caught)
  EXPECT_EQ(kind("00/r0s1/r1s0"), "all");  // each waits for the other
  EXPECT_EQ(kind("10/s0s0/r0/c0"), "none");
}

}  // namespace
