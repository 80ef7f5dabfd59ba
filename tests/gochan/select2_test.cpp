// select2_test.cpp: a port of Go's test/chan/select2.go, written fresh. Go's
// test checks that a select in a loop does not make the heap grow (issue
// 1427); weft's select keeps its case records and scratch arrays on the
// stack (up to 8 cases), so here we count heap allocations directly: a
// second run of the loop may allocate almost nothing.
#include <cstdlib>
#include <new>

#include "../chan/weft_test_util.hpp"

namespace {
weft::sys::atomic<std::uint64_t> g_allocations{0};
}

// Counting replacements of the global allocation functions (this test
// binary only). Sized and unsized deletes both forward to free().
#if defined(__GNUC__) && !defined(__clang__)
// g++ flags free() of memory from operator new; here both are ours.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  std::abort();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using weft::chan;

class GoSelect2 : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoSelect2);

void sender(chan<int> c, int n) {
  for (int i = 0; i < n; ++i) c.send(1);
}

void receiver(chan<int>& c, chan<int>& dummy, int n) {
  for (int i = 0; i < n; ++i)
    weft::select(weft::on_recv(c), weft::on_recv(dummy, [] { ADD_FAILURE() << "dummy"; }));
}

TEST_P(GoSelect2, SelectDoesNotAllocate) {
  run([] {
    constexpr int kN = 20000;
    chan<int> c(0), dummy(0);
    // Warm up.
    weft::go(sender, c, kN);
    receiver(c, dummy, kN);

    std::uint64_t before = g_allocations.load();
    weft::go(sender, c, kN);
    receiver(c, dummy, kN);
    std::uint64_t allocated = g_allocations.load() - before;
    // The spawn may allocate; per-select allocation would show as >= kN.
    EXPECT_LT(allocated, kN / 100u) << allocated << " allocations in " << kN << " selects";
  });
}

}  // namespace
