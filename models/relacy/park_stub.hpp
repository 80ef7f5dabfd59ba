// park_stub.hpp: the runtime's park/unpark API (src/sched/park.hpp) for the
// sync-package tests, on Relacy threads.
//
// src/sched/park.cpp cannot be compiled alone: it needs the whole scheduler
// (sched/runtime.hpp: machines, goroutines, fibers, the TLS slots). The sync
// package (src/sync/*.cpp) and channels only call current_task(), park(),
// unpark() and chan_op_begin() (and its lock-elision companions), declared
// in park.hpp, so these tests link
// the production sources against park_stub.cpp instead. Every Relacy thread
// is a *plain thread* task, and park_stub.cpp restates park.cpp's
// plain-thread path (word := 0, commit, wait on the futex word until it is
// 1 / store 1 release, wake): the production sync code under test is
// unchanged; the stub is test scaffolding.
#pragma once

#include "harness.hpp"
#include "sched/park.hpp"

namespace weft::detail {
// One per Relacy thread (this executable's definition of the runtime's
// opaque `task`).
struct task {
  sys::atomic<std::uint32_t> word{0};  // 0 parked, 1 woken (park.cpp's thread_task::word)
  unsigned parks = 0;                  // completed parks, for the tests' own checks
};
}  // namespace weft::detail

namespace weft::relacy {
// The running suite's tasks, indexed by rl::thread_index(). A suite sets it
// in its constructor: task tasks[N]; ... g_tasks = tasks;
extern detail::task* g_tasks;
}  // namespace weft::relacy
