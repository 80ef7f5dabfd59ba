// random_programs.hpp: small random programs for comparing two searches by
// the outcomes they find (dpor_test.cpp: DPOR against plain search;
// graph_test.cpp: the graph search against the interleaving search). Three
// threads, one to `max_ops` operations each on two atomics: loads, stores,
// fetch_adds, fences and CASes in every memory order, and optionally a
// mutex-protected read-modify-write. An outcome is every value read, in
// order per thread, then the final values.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <vector>

#include <weft/model.hpp>
#include <weft/sys.hpp>

#include "model_test.hpp"

namespace weft::model_test {

struct rp_step {
  int kind;  // 0 load, 1 store, 2 fetch_add, 3 fence, 4 cas, 5 locked increment
  int loc;
  std::memory_order order;
  int value;
};
using rp_program = std::vector<std::vector<rp_step>>;

enum rp_allow : unsigned {
  rp_rmws = 1,       // fetch_add and CAS (else loads and stores instead)
  rp_mutex = 2,      // the locked increment (else a fetch_add, or a load)
  rp_sc_access = 4,  // seq_cst loads, stores and RMWs (else acquire / release)
};

inline rp_program rp_generate(std::uint64_t seed, unsigned max_ops, unsigned allow) {
  auto next = [&] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<unsigned>(seed >> 33);
  };
  const std::memory_order orders[] = {std::memory_order_relaxed, std::memory_order_acquire,
                                      std::memory_order_release, std::memory_order_seq_cst};
  rp_program p(3);
  for (auto& th : p) {
    unsigned n = 1 + next() % max_ops;
    for (unsigned i = 0; i < n; ++i) {
      rp_step s{static_cast<int>(next() % 6), static_cast<int>(next() % 2), orders[next() % 4],
                static_cast<int>(1 + next() % 3)};
      if (s.kind == 5 && !(allow & rp_mutex)) s.kind = 2;
      if (!(allow & rp_rmws) && (s.kind == 2 || s.kind == 4)) s.kind = s.kind == 2 ? 0 : 1;
      if (s.kind == 1 && s.order == std::memory_order_acquire) s.order = std::memory_order_release;
      if (s.kind == 0 && s.order == std::memory_order_release) s.order = std::memory_order_acquire;
      if (!(allow & rp_sc_access) && s.kind != 3 && s.order == std::memory_order_seq_cst)
        s.order = s.kind == 0 ? std::memory_order_acquire : std::memory_order_release;
      th.push_back(s);
    }
  }
  return p;
}

// Every outcome of `prog` under a complete search with `o`.
inline std::set<outcome> rp_run(const rp_program& prog, const weft::model::options& o,
                                std::uint64_t* executions, bool weak_cas = false) {
  std::set<outcome> seen;
  auto r = weft::model::check(o, [&] {
    sys::atomic<int> loc[2] = {{0}, {0}};
    sys::mutex mu;
    long reads[3][8] = {};
    int nreads[3] = {};
    auto body = [&](int t) {
      for (const rp_step& s : prog[static_cast<unsigned>(t)]) {
        auto& x = loc[s.loc];
        long& out = reads[t][nreads[t]];
        switch (s.kind) {
          case 0:
            out = x.load(s.order);
            ++nreads[t];
            break;
          case 1:
            x.store(s.value, s.order);
            break;
          case 2:
            out = x.fetch_add(s.value, s.order);
            ++nreads[t];
            break;
          case 3:
            sys::atomic_thread_fence(s.order);
            break;
          case 4: {
            int e = s.value - 1;
            bool ok = weak_cas ? x.compare_exchange_weak(e, s.value + 10, s.order,
                                                         std::memory_order_relaxed)
                               : x.compare_exchange_strong(e, s.value + 10, s.order,
                                                           std::memory_order_relaxed);
            out = ok ? 100 + e : e;
            ++nreads[t];
            break;
          }
          case 5: {
            std::lock_guard<sys::mutex> g(mu);
            out = x.load(std::memory_order_relaxed);
            ++nreads[t];
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
    for (int t = 0; t < 3; ++t) {
      out.insert(out.end(), reads[t], reads[t] + nreads[t]);
      out.push_back(-1);
    }
    out.push_back(loc[0].load(std::memory_order_relaxed));
    out.push_back(loc[1].load(std::memory_order_relaxed));
    seen.insert(out);
  });
  EXPECT_TRUE(r.ok) << weft::model::describe(r);
  EXPECT_TRUE(r.complete);
  *executions = r.executions;
  return seen;
}

}  // namespace weft::model_test
