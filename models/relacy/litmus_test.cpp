// litmus: the backend's negative controls and their correct twins. Each
// variant is its own executable (WEFT_RELACY_LITMUS selects it at compile
// time); every one goes through weft::sys names only, so a backend that
// dropped an ordering argument, mapped it wrongly, or did not report races on
// sys::cell would make a negative control fail (the bug is then *not* found)
// or a twin fail.
//
//   0 mp_cell_relaxed     payload in a sys::cell, flag relaxed: must report
//                         a DATA RACE on the cell (negative control)
//   1 mp_atomic_relaxed   payload in a relaxed sys::atomic, flag relaxed: the
//                         reader may see the flag and a stale payload; must
//                         report a failed RL_ASSERT (negative control)
//   2 mp_release_acquire  the correct twin of 0 and 1: flag release/acquire,
//                         must succeed
//   3 sb_no_fence         store buffering, relaxed, no fence: both loads may
//                         read 0; must report a failed RL_ASSERT (negative)
//   4 sb_seq_cst_fence    the same with sys::atomic_thread_fence(seq_cst)
//                         between store and load: must succeed
#include "harness.hpp"

#if !defined(WEFT_RELACY_LITMUS)
#error "define WEFT_RELACY_LITMUS to 0..4"
#endif

namespace {
using namespace weft;
using weft::relacy::budget;

// Random: 100,000 executions (a negative control stops at its first failure).
// Context bound: K = 2.
constexpr budget kBudget{100000, 2};

constexpr int kVariant = WEFT_RELACY_LITMUS;
constexpr rl::test_result_e kExpected = kVariant == 0   ? rl::test_result_data_race
                                        : kVariant == 1 ? rl::test_result_user_assert_failed
                                        : kVariant == 3 ? rl::test_result_user_assert_failed
                                                        : rl::test_result_success;
constexpr const char* kNames[] = {"mp_cell_relaxed", "mp_atomic_relaxed", "mp_release_acquire",
                                  "sb_no_fence", "sb_seq_cst_fence"};

struct litmus : rl::test_suite<litmus, 2, kExpected> {
  sys::atomic<int> flag{0};
  sys::atomic<int> data_atomic{0};
  sys::cell<int> data_cell{0};
  sys::atomic<int> x{0}, y{0};
  int r[2] = {-1, -1};

  void message_passing(unsigned idx) {
    constexpr bool correct = kVariant == 2;
    constexpr auto pub = correct ? std::memory_order_release : std::memory_order_relaxed;
    constexpr auto sub = correct ? std::memory_order_acquire : std::memory_order_relaxed;
    if (idx == 0) {
      if (kVariant == 1)
        data_atomic.store(42, std::memory_order_relaxed);
      else
        data_cell.set(42);
      flag.store(1, pub);
    } else if (flag.load(sub) == 1) {
      if (kVariant == 1)
        RL_ASSERT(data_atomic.load(std::memory_order_relaxed) == 42);
      else
        RL_ASSERT(data_cell.get() == 42);
    }
  }

  void store_buffering(unsigned idx) {
    sys::atomic<int>& mine = idx == 0 ? x : y;
    sys::atomic<int>& other = idx == 0 ? y : x;
    mine.store(1, std::memory_order_relaxed);
    if (kVariant == 4) sys::atomic_thread_fence(std::memory_order_seq_cst);
    r[idx] = other.load(std::memory_order_relaxed);
  }

  void thread(unsigned idx) {
    if (kVariant <= 2)
      message_passing(idx);
    else
      store_buffering(idx);
  }

  void after() {
    if (kVariant >= 3) RL_ASSERT(!(r[0] == 0 && r[1] == 0));
  }
};
}  // namespace

int main(int argc, char** argv) {
  return weft::relacy::run<litmus>(argc, argv, kNames[kVariant], kBudget);
}
