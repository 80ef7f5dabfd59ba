// dpor_test.cpp: partial-order reduction must not lose behaviours. Random
// small programs (3 threads, a few atomic operations each on 2 locations,
// every memory order, fences, RMWs, a mutex) are checked twice, with DPOR and
// sleep sets and with plain depth-first search; both must produce the same
// set of outcomes (every value read, and the final values).
#include <cstdint>
#include <mutex>
#include <set>
#include <vector>

#include <weft/model.hpp>
#include <weft/sys.hpp>

#include "model_test.hpp"

namespace {

using namespace weft;
using weft::model_test::outcome;

struct step {
  int kind;  // 0 load, 1 store, 2 fetch_add, 3 fence, 4 cas, 5 locked increment
  int loc;
  std::memory_order order;
  int value;
};
using program = std::vector<std::vector<step>>;

program generate(std::uint64_t seed) {
  auto next = [&] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<unsigned>(seed >> 33);
  };
  const std::memory_order orders[] = {std::memory_order_relaxed, std::memory_order_acquire,
                                      std::memory_order_release, std::memory_order_seq_cst};
  program p(3);
  for (auto& th : p) {
    unsigned n = 1 + next() % 3;
    for (unsigned i = 0; i < n; ++i) {
      step s{static_cast<int>(next() % 6), static_cast<int>(next() % 2), orders[next() % 4],
             static_cast<int>(1 + next() % 3)};
      if (s.kind == 1 && s.order == std::memory_order_acquire) s.order = std::memory_order_release;
      if (s.kind == 0 && s.order == std::memory_order_release) s.order = std::memory_order_acquire;
      th.push_back(s);
    }
  }
  return p;
}

std::set<outcome> run(const program& prog, bool dpor, std::uint64_t* executions) {
  model::options o = weft::model_test::unbounded();
  o.dpor = dpor;
  o.progress = false;
  std::set<outcome> seen;
  auto r = model::check(o, [&] {
    sys::atomic<int> loc[2] = {{0}, {0}};
    sys::mutex mu;
    std::vector<long> reads[3];
    auto body = [&](int t) {
      for (const step& s : prog[static_cast<unsigned>(t)]) {
        auto& x = loc[s.loc];
        switch (s.kind) {
          case 0:
            reads[t].push_back(x.load(s.order));
            break;
          case 1:
            x.store(s.value, s.order);
            break;
          case 2:
            reads[t].push_back(x.fetch_add(s.value, s.order));
            break;
          case 3:
            sys::atomic_thread_fence(s.order);
            break;
          case 4: {
            int e = s.value - 1;
            bool ok =
                x.compare_exchange_strong(e, s.value + 10, s.order, std::memory_order_relaxed);
            reads[t].push_back(ok ? 100 + e : e);
            break;
          }
          case 5: {
            std::lock_guard<sys::mutex> g(mu);
            reads[t].push_back(x.load(std::memory_order_relaxed));
            x.store(7, std::memory_order_relaxed);
            break;
          }
        }
      }
    };
    sys::thread a([&] { body(1); }), b([&] { body(2); });
    body(0);
    a.join();
    b.join();
    outcome out;
    for (auto& r : reads) {
      out.insert(out.end(), r.begin(), r.end());
      out.push_back(-1);
    }
    out.push_back(loc[0].load(std::memory_order_relaxed));
    out.push_back(loc[1].load(std::memory_order_relaxed));
    seen.insert(out);
  });
  EXPECT_TRUE(r.ok) << model::describe(r);
  EXPECT_TRUE(r.complete);
  *executions = r.executions;
  return seen;
}

TEST(ModelDpor, SameOutcomesAsPlainSearchOnRandomPrograms) {
  std::uint64_t with_total = 0, without_total = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    program p = generate(seed);
    std::uint64_t n1 = 0, n2 = 0;
    auto with = run(p, true, &n1);
    auto without = run(p, false, &n2);
    EXPECT_EQ(with, without) << "program seed " << seed;
    with_total += n1;
    without_total += n2;
    if (with != without) break;
  }
  EXPECT_LT(with_total, without_total);
  std::printf("DPOR %llu executions, plain DFS %llu\n", static_cast<unsigned long long>(with_total),
              static_cast<unsigned long long>(without_total));
}

}  // namespace
