// chase_lev_relacy.cpp: the Chase-Lev deque of models/checker/chase_lev.hpp
// (Lê et al., PPoPP 2013; 1 owner pushing 1, 2, 3 and popping three times,
// 2 thieves stealing twice each) written for Relacy, with the same bug
// variants. Relacy's own process (TOOLCHAIN.md: every standard header before
// relacy.hpp; no ostringstream as its output; one test per executable run).
//
// usage: chase_lev_relacy VARIANT SCHEDULER [ITERATIONS]
//   VARIANT    none | push_no_release_fence | pop_no_sc_fence |
//              steal_no_sc_fence | steal_bottom_relaxed
//   SCHEDULER  random | bound1 | bound2 | bound3 | full
// prints one line: relacy VARIANT SCHEDULER RESULT EXECUTIONS CPU-SECONDS EXEC/S
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>

#include <relacy/relacy.hpp>

namespace {

int g_variant = 0;  // 0 none, 1 push fence, 2 pop fence, 3 steal fence, 4 steal bottom

struct deque_test : rl::test_suite<deque_test, 3> {
  static constexpr int N = 4;
  static constexpr int kEmpty = -1, kAbort = -2;
  rl::atomic<long> top, bottom;
  rl::atomic<int> buf[N];
  int got[3][3];

  void before() {
    top($).store(0, rl::mo_relaxed);
    bottom($).store(0, rl::mo_relaxed);
    for (auto& b : buf) b($).store(0, rl::mo_relaxed);
    for (auto& row : got)
      for (int& x : row) x = kEmpty;
  }

  void push(int x) {
    long b = bottom.load(rl::memory_order_relaxed);
    long t = top.load(rl::memory_order_acquire);
    (void)t;
    buf[b % N].store(x, rl::memory_order_relaxed);
    if (g_variant != 1) rl::atomic_thread_fence(rl::memory_order_release);
    bottom.store(b + 1, rl::memory_order_relaxed);
  }

  int pop() {
    long b = bottom.load(rl::memory_order_relaxed) - 1;
    bottom.store(b, rl::memory_order_relaxed);
    if (g_variant != 2) rl::atomic_thread_fence(rl::memory_order_seq_cst);
    long t = top.load(rl::memory_order_relaxed);
    int x = kEmpty;
    if (t <= b) {
      x = buf[b % N].load(rl::memory_order_relaxed);
      if (t == b) {
        if (!top.compare_exchange_strong(t, t + 1, rl::memory_order_seq_cst,
                                         rl::memory_order_relaxed))
          x = kEmpty;
        bottom.store(b + 1, rl::memory_order_relaxed);
      }
    } else {
      bottom.store(b + 1, rl::memory_order_relaxed);
    }
    return x;
  }

  int steal() {
    long t = top.load(rl::memory_order_acquire);
    if (g_variant != 3) rl::atomic_thread_fence(rl::memory_order_seq_cst);
    long b = g_variant == 4 ? bottom.load(rl::memory_order_relaxed)
                            : bottom.load(rl::memory_order_acquire);
    if (t >= b) return kEmpty;
    int x = buf[t % N].load(rl::memory_order_relaxed);
    if (!top.compare_exchange_strong(t, t + 1, rl::memory_order_seq_cst, rl::memory_order_relaxed))
      return kAbort;
    return x;
  }

  void thread(unsigned idx) {
    if (idx == 0) {
      push(1);
      push(2);
      push(3);
      for (int i = 0; i < 3; ++i) got[0][i] = pop();
    } else {
      for (int i = 0; i < 2; ++i) got[idx][i] = steal();
    }
  }

  void after() {
    int taken[4] = {0, 0, 0, 0};
    for (auto& row : got)
      for (int x : row) {
        RL_ASSERT(x < 0 || (x >= 1 && x <= 3));
        if (x > 0) ++taken[x];
      }
    for (int i = 1; i <= 3; ++i) RL_ASSERT(taken[i] == 1);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s VARIANT SCHEDULER [ITERATIONS]\n", argv[0]);
    return 2;
  }
  const char* variants[] = {"none", "push_no_release_fence", "pop_no_sc_fence", "steal_no_sc_fence",
                            "steal_bottom_relaxed"};
  g_variant = -1;
  for (int i = 0; i < 5; ++i)
    if (!std::strcmp(argv[1], variants[i])) g_variant = i;
  if (g_variant < 0) return 2;
  rl::test_params p;
  std::ofstream sink(std::getenv("RELACY_VERBOSE") ? "/dev/stderr" : "/dev/null");
  p.output_stream = &sink;
  p.progress_stream = &sink;
  p.iteration_count = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000000;
  std::string s = argv[2];
  if (s == "random") {
    p.search_type = rl::sched_random;
  } else if (s.compare(0, 5, "bound") == 0) {
    p.search_type = rl::sched_bound;
    p.context_bound = static_cast<unsigned>(std::atoi(s.c_str() + 5));
  } else {
    p.search_type = rl::sched_full;
  }
  std::clock_t c0 = std::clock();  // CPU time: the machine is shared (TOOLCHAIN.md)
  bool ok = rl::simulate<deque_test>(p);
  double secs = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  unsigned long long n = p.stop_iteration;
  std::printf("relacy %-22s %-8s %-8s %10llu %8.2f %10.0f\n", argv[1], argv[2],
              ok ? "ok" : "FAILED", n, secs, secs > 0 ? n / secs : 0.0);
  return 0;
}
