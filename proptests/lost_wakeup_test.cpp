// lost_wakeup_test.cpp: no lost wake-ups on the real runtime. Generated
// producer/consumer/select/close programs that terminate on every schedule
// (programs.hpp, T1-T3) run with procs = 1 and procs = 2, three times each.
// A lost wake-up shows as a deadlock report (deadlock_policy::report makes
// run() return exit_status::deadlock) or, where pollers keep the detector
// quiet, as a hang that the watchdog turns into an abort with the program
// printed. Every value sent must be received exactly once.
//
// The same programs run under the checker in lost_wakeup_model_test.cpp.
#include <chrono>
#include <string>

#include <weft/weft.hpp>

#include "programs.hpp"
#include "prop.hpp"
#include "watchdog.hpp"

namespace {

using namespace weft_proptest;

std::string values(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += " " + std::to_string(x);
  return s;
}

WEFT_PROP(LostWakeup, GeneratedProgramsTerminateOnTheRuntime, 500) {
  const lw_program p = gen_lw_program();
  watchdog dog(show(p), std::chrono::seconds(60));
  for (unsigned procs : {1u, 2u}) {
    for (int rep = 0; rep < 3; rep++) {
      weft::config cfg;
      cfg.procs = procs;
      cfg.on_deadlock = weft::deadlock_policy::report;
      lw_result r;
      auto st = weft::run(cfg, [&] { r = run_lw_program(p); });
      if (st != weft::exit_status::ok)
        RC_FAIL("deadlock reported with procs=" + std::to_string(procs) +
                " (a lost wake-up)\nprogram:\n" + show(p));
      if (!r.ok())
        RC_FAIL("values lost or duplicated with procs=" + std::to_string(procs) + "\nsent:    " +
                values(r.sent) + "\nreceived:" + values(r.received) + "\nprogram:\n" + show(p));
    }
  }
}

}  // namespace
