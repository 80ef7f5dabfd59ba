// doubleselect_test.cpp: a port of Go's test/chan/doubleselect.go, written
// fresh. Go issue 3489: two cases of one select could both run. A sender
// selects over four channels; four muxers forward what they get into one
// channel; the receiver must never see a value twice (and, here, must see
// every value once).
#include <vector>

#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;
using weft::on_send;

class GoDoubleSelect : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoDoubleSelect);

TEST_P(GoDoubleSelect, NoValueIsDeliveredTwice) {
  run([] {
    constexpr int kIterations = 20000;
    chan<int> c1(0), c2(0), c3(0), c4(0);
    chan<int> cmux(0);
    chan<bool> done(0);
    weft::go([=]() mutable {
      for (int i = 0; i < kIterations; ++i)
        weft::select(on_send(c1, i), on_send(c2, i), on_send(c3, i), on_send(c4, i));
      c1.close();
      c2.close();
      c3.close();
      c4.close();
    });
    for (chan<int> in : {c1, c2, c3, c4})
      weft::go([in, cmux, done]() mutable {
        for (int v : in) cmux.send(v);
        done.send(true);
      });
    weft::go([done, cmux]() mutable {
      for (int i = 0; i < 4; ++i) done.recv();
      cmux.close();
    });
    std::vector<bool> seen(kIterations, false);
    int n = 0;
    for (int v : cmux) {
      ASSERT_FALSE(seen[static_cast<std::size_t>(v)]) << "got duplicate value: " << v;
      seen[static_cast<std::size_t>(v)] = true;
      ++n;
    }
    EXPECT_EQ(n, kIterations);
  });
}

}  // namespace
