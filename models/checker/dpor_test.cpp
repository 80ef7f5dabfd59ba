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
#include "random_programs.hpp"

namespace {

using namespace weft;
using namespace weft::model_test;

std::set<outcome> run(const rp_program& prog, bool dpor, std::uint64_t* executions) {
  model::options o = unbounded();
  o.dpor = dpor;
  o.progress = false;
  return rp_run(prog, o, executions);
}

TEST(ModelDpor, SameOutcomesAsPlainSearchOnRandomPrograms) {
  std::uint64_t with_total = 0, without_total = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    rp_program p = rp_generate(seed, 3, rp_rmws | rp_mutex | rp_sc_access);
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
