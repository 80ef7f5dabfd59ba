// run.cpp: weft::run(): building a runtime, running goroutine 1, and
// taking the runtime down when it returns.
//
// The thread that calls run() does not run goroutines: it sleeps until the
// main goroutine returns (or the deadlock detector reports, with
// deadlock_policy::report), then stops the runtime. Ms exit at their next
// scheduling point; an M still busy in a goroutine that never blocks again
// keeps its thread (as in Go, where main's return ends the process), and the
// runtime record is freed by whichever of run() and the Ms lets go last.
//
// Invariants:
//   R1  rt->refs counts run() itself, every live M and the monitor; the
//       holder that takes it to zero destroys the runtime
//   R2  no timer of rt stays armed after run() returns (timers_purge)
#include <cstdio>

#include "sched/runtime.hpp"

namespace weft::detail {

void timers_purge(runtime* rt);
bool stack_overflow_query(void* addr, std::uint64_t* gid, std::size_t* size);

namespace {

struct main_closure {
  void (*fn)(void*);
  void* arg;
};
const closure_ops kMainOps = {[](void* p) {
                                auto* c = static_cast<main_closure*>(p);
                                c->fn(c->arg);
                              },
                              [](void*) noexcept {}};

constexpr std::size_t kMinStack = 16 * 1024;

void destroy_runtime(runtime* rt) {
  solo_end(rt);
  g_release_all(rt);
  globq_free_blocks(rt);
  for (processor* p : rt->ps) {
    while (p->nstacks > 0) sys::stack_free(p->stacks[--p->nstacks]);
    delete p;
  }
  delete rt;
}

}  // namespace

void release_runtime_ref(runtime* rt) {
  rt->lock.lock();
  bool last = --rt->refs == 0;
  rt->lock.unlock();
  if (last) destroy_runtime(rt);
}

exit_status run_main(const config& cfg, void (*fn)(void*), void* arg) {
  if (current_runtime() != nullptr)
    sys::fatal("weft::run: a runtime is already running (one run() at a time)");
  auto* rt = new runtime;
  rt->cfg = cfg;
  rt->nprocs.set(cfg.procs != 0 ? cfg.procs : sys::hardware_concurrency());
  if (rt->cfg.stack_size == 0) rt->cfg.stack_size = config{}.stack_size;
  if (rt->cfg.stack_size < kMinStack) rt->cfg.stack_size = kMinStack;
  if (rt->cfg.max_threads < 2)
    sys::fatal("weft::run: config.max_threads must be at least 2 (one M and the monitor)");
  for (std::uint32_t i = 0; i < rt->nprocs.get(); i++) {
    auto* p = new processor;
    p->index = i;
    p->rng = sys::random_seed() ^ (0x9e3779b97f4a7c15ULL * (i + 1));
    rt->ps.push_back(p);
  }
  solo_start(rt);
  // No other thread exists yet: the sched lock is not needed.
  globq_init(rt);
  for (std::uint32_t i = rt->nprocs.get(); i-- > 1;) pidle_put(rt, rt->ps[i]);
  processor* p0 = rt->ps[0];
  p0->status.store(pstatus::running, std::memory_order_relaxed);
  sys::stack_install_overflow_handler(&stack_overflow_query);

  // Goroutine 1.
  goroutine* g = g_alloc(rt, p0);
  auto* c = new (g->inline_fn) main_closure{fn, arg};
  g->fn = c;
  g->ops = &kMainOps;
  g->status.store(gstatus::runnable, std::memory_order_relaxed);
  rt->ngoroutines.store(1, std::memory_order_relaxed);
  p0->runq.push(g);

  rt->refs = 2;  // run() and the monitor; each M adds its own
  set_current_runtime(rt);
  sys::thread monitor([rt] {
    sysmon_main(rt);
    release_runtime_ref(rt);
  });
  monitor.detach();
  start_machine(rt, p0, false);

  std::uint32_t d;
  // (D1) acquire: pairs with the main goroutine's exit or the detector.
  while ((d = rt->done.load(std::memory_order_acquire)) == 0) sys::futex_wait(rt->done, 0);

  // Stop: wake the idle Ms (under the lock, so none can free itself before
  // its wake), then the monitor.
  rt->lock.lock();
  rt->stopping = true;
  rt->stop_flag.store(1, std::memory_order_relaxed);  // see runtime.hpp
  for (machine* m = rt->midle; m != nullptr;) {
    machine* next = m->idle_next;
    m->nextp.set(nullptr);
    m->next_spinning.set(false);
    m->park_word.store(1, std::memory_order_release);  // (K1)
    sys::futex_wake(m->park_word, 1);
    m = next;
  }
  rt->midle = nullptr;
  rt->nmidle = 0;
  rt->lock.unlock();
  sysmon_wake(rt);
  set_current_runtime(nullptr);
  timers_purge(rt);

  // Give the Ms a moment to leave so that run() returns with no thread of
  // this runtime still running in the common case; one busy in user code
  // is left behind (see the file comment).
  auto deadline = sys::clock::now() + std::chrono::seconds(1);
  std::uint32_t n;
  // (D2) relaxed: a courtesy wait, it orders nothing. The runtime's memory
  // lives by its reference count (release_runtime_ref, under the sched
  // lock), and writes of goroutines other than the main one are not
  // promised to the caller (Go's program simply ends).
  while ((n = rt->mlive.load(std::memory_order_relaxed)) != 0)
    if (!sys::futex_wait_until(rt->mlive, n, deadline)) break;
  while (rt->sysmon_exited.load(std::memory_order_relaxed) == 0) {  // as (D2)
    if (!sys::futex_wait_until(rt->sysmon_exited, 0, deadline)) break;
  }
  release_runtime_ref(rt);
  return d == 2 ? exit_status::deadlock : exit_status::ok;
}

}  // namespace weft::detail

namespace weft {

unsigned procs() {
  detail::runtime* rt = detail::current_runtime();
  return rt != nullptr ? rt->nprocs.get() : sys::hardware_concurrency();
}

std::size_t num_goroutines() {
  detail::runtime* rt = detail::current_runtime();
  if (rt == nullptr) return 0;
  auto n = rt->ngoroutines.load(std::memory_order_relaxed);
  for (const detail::processor* p : rt->ps) n += p->ngoroutines.load(std::memory_order_relaxed);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace weft
