// fiber_test.cpp: contexts and the switch (src/sys/fiber.hpp): ping-pong,
// the entry's stack, floating-point control state per context, exit, and a
// context that migrates between OS threads (the M:N case).
#include "sys/fiber.hpp"

#include <gtest/gtest.h>

#include <cfenv>
#include <cstdio>
#include <mutex>
#include <vector>
#include <weft/sys.hpp>

#include "sys/stack.hpp"

namespace sys = weft::sys;

namespace {

constexpr std::size_t kStackSize = 64 * 1024;

// A fiber with its own pooled stack, released at scope end.
struct test_fiber {
  sys::stack st = sys::stack_alloc(kStackSize);
  sys::fiber f;
  test_fiber(void (*entry)(void*), void* arg) {
    sys::fiber_init(&f, st.bottom, st.size, entry, arg);
  }
  ~test_fiber() {
    sys::fiber_release(&f);
    sys::stack_free(st);
  }
};

struct thread_fiber {
  sys::fiber f;
  thread_fiber() { sys::fiber_init_thread(&f); }
  ~thread_fiber() { sys::fiber_release(&f); }
};

struct ping_pong {
  sys::fiber* main = nullptr;
  sys::fiber* self = nullptr;
  long value = 0;
  long rounds = 0;
};

void ping_pong_entry(void* p) {
  auto* pp = static_cast<ping_pong*>(p);
  for (long i = 0; i < pp->rounds; ++i) {
    pp->value = pp->value * 2 + 1;  // the main side checks this arithmetic
    sys::fiber_switch(pp->self, pp->main);
  }
  sys::fiber_exit(pp->self, pp->main);
}

}  // namespace

TEST(SysFiber, PingPong) {
  thread_fiber main;
  ping_pong pp;
  test_fiber fb(ping_pong_entry, &pp);
  pp.main = &main.f;
  pp.self = &fb.f;
  pp.rounds = 100000;
  for (long i = 0; i < pp.rounds; ++i) {
    pp.value = i;
    sys::fiber_switch(&main.f, &fb.f);
    ASSERT_EQ(pp.value, 2 * i + 1);
  }
  sys::fiber_switch(&main.f, &fb.f);  // lets it exit
}

namespace {
struct where {
  sys::fiber* main;
  sys::fiber* self;
  std::uintptr_t frame_addr = 0;
};
void where_entry(void* p) {
  auto* w = static_cast<where*>(p);
  w->frame_addr = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  sys::fiber_exit(w->self, w->main);
}
}  // namespace

TEST(SysFiber, EntryRunsOnTheGivenStack) {
  thread_fiber main;
  where w;
  test_fiber fb(where_entry, &w);
  w.main = &main.f;
  w.self = &fb.f;
  sys::fiber_switch(&main.f, &fb.f);
  auto lo = reinterpret_cast<std::uintptr_t>(fb.st.bottom);
  auto hi = lo + fb.st.size;
  // The frame address, not a local's: under ASan a local may live on
  // its fake stack.
  EXPECT_GT(w.frame_addr, lo);
  EXPECT_LT(w.frame_addr, hi);
}

namespace {
struct fp_state {
  sys::fiber* main;
  sys::fiber* self;
  int round_seen_at_entry = -1;
  int round_seen_after_switch = -1;
};
void fp_entry(void* p) {
  auto* s = static_cast<fp_state*>(p);
  s->round_seen_at_entry = std::fegetround();
  std::fesetround(FE_UPWARD);
  sys::fiber_switch(s->self, s->main);
  s->round_seen_after_switch = std::fegetround();
  sys::fiber_exit(s->self, s->main);
}
}  // namespace

TEST(SysFiber, FloatingPointControlIsPerContext) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  thread_fiber main;
  fp_state s;
  test_fiber fb(fp_entry, &s);
  s.main = &main.f;
  s.self = &fb.f;
  sys::fiber_switch(&main.f, &fb.f);
  // The fiber set FE_UPWARD; it must not leak into this context...
  EXPECT_EQ(std::fegetround(), FE_TONEAREST);
  EXPECT_EQ(s.round_seen_at_entry, FE_TONEAREST);  // inherited from creator
  std::fesetround(FE_DOWNWARD);
  sys::fiber_switch(&main.f, &fb.f);
  // ... nor be lost when the fiber resumes, nor overwrite ours.
  EXPECT_EQ(s.round_seen_after_switch, FE_UPWARD);
  EXPECT_EQ(std::fegetround(), FE_DOWNWARD);
  std::fesetround(FE_TONEAREST);
}

namespace {
struct chain {
  sys::fiber* main;
  sys::fiber* fibers;
  int n;
  int* order;
  int next = 0;
};
struct chain_arg {
  chain* c;
  int index;
};
void chain_entry(void* p) {
  auto* a = static_cast<chain_arg*>(p);
  chain* c = a->c;
  c->order[c->next++] = a->index;
  sys::fiber* self = &c->fibers[a->index];
  sys::fiber* to = a->index + 1 < c->n ? &c->fibers[a->index + 1] : c->main;
  sys::fiber_exit(self, to);
}
}  // namespace

TEST(SysFiber, FiberToFiberSwitchAndExit) {
  // Each fiber exits straight into the next one; the last one into main.
  constexpr int kN = 8;
  thread_fiber main;
  sys::fiber fibers[kN];
  sys::stack stacks[kN];
  chain_arg args[kN];
  int order[kN] = {};
  chain c{&main.f, fibers, kN, order};
  for (int i = 0; i < kN; ++i) {
    stacks[i] = sys::stack_alloc(kStackSize);
    args[i] = chain_arg{&c, i};
    sys::fiber_init(&fibers[i], stacks[i].bottom, stacks[i].size, chain_entry, &args[i]);
  }
  sys::fiber_switch(&main.f, &fibers[0]);
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(order[i], i);
    sys::fiber_release(&fibers[i]);
    sys::stack_free(stacks[i]);
  }
}

namespace {
// A fiber resumed alternately by two OS threads. Each thread sets its
// user0 slot to its own id; the fiber checks it sees the thread that
// resumed it (which also proves tls_get is not cached across a switch).
struct migrate {
  sys::fiber* sched = nullptr;  // the g0 of the thread resuming us
  sys::fiber* self = nullptr;
  sys::atomic<std::uint32_t> turn{0};  // whose turn: 0 or 1; 2 = done
  int rounds = 0;
  int seen[2] = {0, 0};
  int wrong = 0;
  long stack_sum = 0;
};
void migrate_entry(void* p) {
  auto* m = static_cast<migrate*>(p);
  long on_stack = 0;  // lives on the fiber's stack across migrations
  for (;;) {
    auto* id = static_cast<int*>(sys::tls_get(sys::tls_slot::user0));
    int expect = static_cast<int>(m->turn.load(std::memory_order_relaxed));
    if (id == nullptr || *id != expect) ++m->wrong;
    if (id != nullptr) ++m->seen[*id];
    on_stack += 1;
    m->stack_sum = on_stack;
    sys::fiber_switch(m->self, m->sched);
  }
}
void migrate_thread(migrate* m, int me) {
  int id = me;
  sys::tls_set(sys::tls_slot::user0, &id);
  sys::fiber g0;
  sys::fiber_init_thread(&g0);
  for (int i = 0; i < m->rounds; ++i) {
    // (T1) acquire: the other thread parked the fiber before handing over
    // (release in T2), so its saved context is complete (invariant F1).
    std::uint32_t t;
    while ((t = m->turn.load(std::memory_order_acquire)) != static_cast<std::uint32_t>(me))
      sys::futex_wait(m->turn, t);
    m->sched = &g0;
    sys::fiber_switch(&g0, m->self);
    // (T2) release: pairs with (T1) on the other thread.
    m->turn.store(static_cast<std::uint32_t>(1 - me), std::memory_order_release);
    sys::futex_wake(m->turn, 1);
  }
  sys::fiber_release(&g0);
  sys::tls_set(sys::tls_slot::user0, nullptr);
}
}  // namespace

TEST(SysFiber, MigratesBetweenThreads) {
  migrate m;
  m.rounds = 2000;
  sys::stack st = sys::stack_alloc(kStackSize);
  sys::fiber f;
  sys::fiber_init(&f, st.bottom, st.size, migrate_entry, &m);
  m.self = &f;
  sys::thread t0([&] { migrate_thread(&m, 0); });
  sys::thread t1([&] { migrate_thread(&m, 1); });
  t0.join();
  t1.join();
  EXPECT_EQ(m.wrong, 0);
  EXPECT_EQ(m.seen[0], m.rounds);
  EXPECT_EQ(m.seen[1], m.rounds);
  EXPECT_EQ(m.stack_sum, 2L * m.rounds);
  // The fiber never exits: it is parked for good; release its resources.
  sys::fiber_release(&f);
  sys::stack_free(st);
}

namespace {
struct bench {
  sys::fiber* main;
  sys::fiber* self;
};
void bench_entry(void* p) {
  auto* b = static_cast<bench*>(p);
  for (;;) sys::fiber_switch(b->self, b->main);
}
}  // namespace

TEST(SysFiber, SwitchRoundTripTime) {
  // Prints the cost of A->B->A; asserts nothing about time (noisy machine).
  // Best of 5 runs of ~50 ms each (the ucontext fallback is ~100x slower).
  thread_fiber main;
  bench b;
  test_fiber fb(bench_entry, &b);
  b.main = &main.f;
  b.self = &fb.f;
  constexpr int kBatch = 1000;
  for (int i = 0; i < kBatch; ++i) sys::fiber_switch(&main.f, &fb.f);
  double best = 1e9;
  for (int rep = 0; rep < 5; ++rep) {
    long n = 0;
    auto t0 = sys::clock::now();
    auto t1 = t0;
    do {
      for (int i = 0; i < kBatch; ++i) sys::fiber_switch(&main.f, &fb.f);
      n += kBatch;
      t1 = sys::clock::now();
    } while (t1 - t0 < std::chrono::milliseconds(50));
    double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / n;
    if (ns < best) best = ns;
  }
  std::printf("[ timing   ] fiber switch round trip A->B->A: %.1f ns\n", best);
}

namespace {
// A tiny M:N scheduler: kThreads OS threads take fibers from one shared run
// queue, run each until it yields back, and requeue it. Fibers keep state
// on their own stacks across threads.
constexpr int kMnThreads = 3;
constexpr int kMnFibers = 16;
constexpr int kMnSteps = 300;

struct mn_fiber {
  sys::fiber f;
  sys::stack st;
  sys::fiber* sched = nullptr;  // the g0 running us; set before each resume
  long result = 0;              // written by the fiber when it finishes
  bool finished = false;
};

struct mn_world {
  sys::mutex mu;
  sys::condition_variable cv;
  std::vector<mn_fiber*> queue;  // guarded by mu
  int live = kMnFibers;          // guarded by mu
};

void mn_entry(void* p) {
  auto* mf = static_cast<mn_fiber*>(p);
  long acc = 0;  // on this fiber's stack; survives every migration
  for (int step = 0; step < kMnSteps; ++step) {
    acc += step;
    sys::fiber_switch(&mf->f, mf->sched);
  }
  mf->result = acc;
  mf->finished = true;
  sys::fiber_exit(&mf->f, mf->sched);
}

void mn_thread(mn_world* w) {
  sys::fiber g0;
  sys::fiber_init_thread(&g0);
  for (;;) {
    mn_fiber* mf;
    {
      std::unique_lock<sys::mutex> lock(w->mu);
      w->cv.wait(lock, [&] { return !w->queue.empty() || w->live == 0; });
      if (w->queue.empty()) break;
      mf = w->queue.back();
      w->queue.pop_back();
    }
    mf->sched = &g0;
    sys::fiber_switch(&g0, &mf->f);
    // The fiber is off its stack now (F1): only now may another thread
    // resume it.
    std::lock_guard<sys::mutex> lock(w->mu);
    if (mf->finished) {
      if (--w->live == 0) w->cv.notify_all();
    } else {
      w->queue.insert(w->queue.begin(), mf);
      w->cv.notify_one();
    }
  }
  sys::fiber_release(&g0);
}
}  // namespace

TEST(SysFiber, ManyFibersMigrateAcrossThreads) {
  mn_world w;
  mn_fiber fibers[kMnFibers];
  for (auto& mf : fibers) {
    mf.st = sys::stack_alloc(kStackSize);
    sys::fiber_init(&mf.f, mf.st.bottom, mf.st.size, mn_entry, &mf);
    w.queue.push_back(&mf);
  }
  sys::thread ts[kMnThreads];
  for (auto& t : ts) t = sys::thread([&] { mn_thread(&w); });
  for (auto& t : ts) t.join();
  for (auto& mf : fibers) {
    EXPECT_TRUE(mf.finished);
    EXPECT_EQ(mf.result, long{kMnSteps} * (kMnSteps - 1) / 2);
    sys::fiber_release(&mf.f);
    sys::stack_free(mf.st);
  }
}
