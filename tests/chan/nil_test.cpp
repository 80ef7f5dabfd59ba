// nil_test.cpp: the nil channel (a default-constructed chan<T>). Blocking
// operations on it block forever (see deadlock_test.cpp for the report);
// non-blocking ones are never ready; select cases on it never fire.
#include "weft_test_util.hpp"

namespace {

using weft::chan;
using weft::chan_status;

class Nil : public weft_test::Procs {};
WEFT_PROCS_SUITE(Nil);

TEST_P(Nil, SizesAndEquality) {
  run([] {
    chan<int> a, b;
    EXPECT_EQ(a.size(), 0u);
    EXPECT_EQ(a.capacity(), 0u);
    EXPECT_TRUE(a == b);
    EXPECT_FALSE(static_cast<bool>(a));
    EXPECT_TRUE(static_cast<bool>(chan<int>(0)));
    EXPECT_FALSE(a == chan<int>(0));
  });
}

TEST_P(Nil, TryOpsAreNeverReady) {
  run([] {
    chan<int> a;
    int v = 3;
    EXPECT_EQ(a.try_send(std::move(v)), chan_status::not_ready);
    EXPECT_EQ(a.try_recv().status, chan_status::not_ready);
  });
}

TEST_P(Nil, CloseOfNilChannelPanics) {
  run([] {
    chan<int> a;
    WEFT_EXPECT_PANIC(a.close(), "close of nil channel");
  });
}

TEST_P(Nil, SelectCasesNeverFire) {
  run([] {
    chan<int> a;
    int fired = -1;
    int i =
        weft::select(weft::on_recv(a, [&](std::optional<int>) { fired = 0; }),
                     weft::on_send(a, 1, [&] { fired = 1; }), weft::on_default([&] { fired = 2; }));
    EXPECT_EQ(i, 2);
    EXPECT_EQ(fired, 2);
  });
}

TEST_P(Nil, SelectSkipsNilAndTakesTheReadyCase) {
  run([] {
    chan<int> nil;
    chan<int> ready(1);
    ready.send(5);
    for (int k = 0; k < 100; ++k) {
      if (k > 0) ready.send(5);
      int got = 0;
      int i = weft::select(weft::on_recv(nil, [&](std::optional<int>) { got = -1; }),
                           weft::on_recv(ready, [&](std::optional<int> v) { got = *v; }));
      EXPECT_EQ(i, 1);
      EXPECT_EQ(got, 5);
    }
  });
}

}  // namespace
