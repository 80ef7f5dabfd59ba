// panic_test.cpp: Go's channel panics, with Go's words.
#include "weft_test_util.hpp"

namespace {

using weft::chan;

class Panics : public weft_test::Procs {};
WEFT_PROCS_SUITE(Panics);

TEST_P(Panics, SendOnClosedChannel) {
  run([] {
    chan<int> a(0), b(3);
    a.close();
    b.close();
    WEFT_EXPECT_PANIC(a.send(1), "send on closed channel");
    WEFT_EXPECT_PANIC(b.send(1), "send on closed channel");
  });
}

TEST_P(Panics, CloseOfClosedChannel) {
  run([] {
    chan<int> a(0);
    a.close();
    WEFT_EXPECT_PANIC(a.close(), "close of closed channel");
  });
}

TEST_P(Panics, CloseOfNilChannel) {
  run([] {
    chan<int> a;
    WEFT_EXPECT_PANIC(a.close(), "close of nil channel");
  });
}

TEST_P(Panics, SelectSendOnClosedChannel) {
  run([] {
    chan<int> a(1);
    a.close();
    WEFT_EXPECT_PANIC(weft::select(weft::on_send(a, 1, [] {}), weft::on_default([] {})),
                      "send on closed channel");
  });
}

#if defined(__cpp_exceptions)
TEST_P(Panics, PanicErrorIsALogicError) {
  run([] {
    chan<int> a(0);
    a.close();
    try {
      a.close();
      ADD_FAILURE();
    } catch (const std::logic_error& e) {
      EXPECT_STREQ(e.what(), "close of closed channel");
    }
    // The channel still works after a panic was caught.
    EXPECT_EQ(a.recv(), std::nullopt);
  });
}
#endif

}  // namespace
