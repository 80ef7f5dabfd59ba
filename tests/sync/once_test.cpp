// once_test.cpp: weft::once (Go's sync.Once): f runs exactly once, every
// caller returns after it finished, and a panicking f still counts as done.
#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;

class Once : public weft_test::Procs {};
WEFT_PROCS_SUITE(Once);

TEST_P(Once, RunsOnce) {
  run([] {
    weft::once o;
    int n = 0;
    EXPECT_FALSE(o.done());
    o.call([&] { ++n; });
    o.call([&] { ++n; });
    EXPECT_EQ(n, 1);
    EXPECT_TRUE(o.done());
  });
}

TEST_P(Once, ConcurrentCallersWaitForTheOneRun) {
  run([] {
    constexpr int kG = 16;
    weft::once o;
    int value = 0;  // written by f only; read by every caller after call()
    weft::sys::atomic<int> runs{0};
    chan<int> seen(kG);
    for (int g = 0; g < kG; ++g)
      weft::go([&, seen]() mutable {
        o.call([&] {
          runs.fetch_add(1, std::memory_order_relaxed);
          for (int i = 0; i < 10; ++i) weft::yield();  // others pile up meanwhile
          value = 42;
        });
        seen.send(value);
      });
    for (int g = 0; g < kG; ++g) EXPECT_EQ(seen.recv(), 42);
    EXPECT_EQ(runs.load(), 1);
  });
}

TEST_P(Once, FromPlainThreads) {
  run([] {
    weft::once o;
    weft::sys::atomic<int> runs{0};
    weft_test::plain_thread a([&] { o.call([&] { runs.fetch_add(1); }); });
    weft_test::plain_thread b([&] { o.call([&] { runs.fetch_add(1); }); });
    o.call([&] { runs.fetch_add(1); });
    a.join();
    b.join();
    EXPECT_EQ(runs.load(), 1);
  });
}

#if defined(__cpp_exceptions)
TEST_P(Once, PanickingFunctionStillCountsAsDone) {
  run([] {
    weft::once o;
    EXPECT_THROW(o.call([] { throw weft::panic_error("boom"); }), weft::panic_error);
    bool ran = false;
    o.call([&] { ran = true; });
    EXPECT_FALSE(ran);  // Go: "if f panics, Do considers it to have returned"
  });
}
#endif

}  // namespace
