// zerosize_test.cpp: a port of Go's test/chan/zerosize.go ("Test making
// channels of a zero-sized type"), written fresh. C++ has no zero-sized
// objects, so the nearest analogues are used: an empty struct, an empty
// std::array, std::monostate; unbuffered and buffered; through select too.
#include <array>
#include <variant>

#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;

class GoZeroSize : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoZeroSize);

struct empty {};

template <class T>
void exercise() {
  chan<T> unbuf(0), buf(16);
  weft::go([unbuf]() mutable {
    for (int i = 0; i < 100; ++i) unbuf.send(T{});
    unbuf.close();
  });
  int n = 0;
  for (auto&& v : unbuf) {
    (void)v;
    ++n;
  }
  EXPECT_EQ(n, 100);
  for (int i = 0; i < 16; ++i) buf.send(T{});
  EXPECT_EQ(buf.size(), 16u);
  EXPECT_EQ(weft::select(weft::on_send(buf, T{}), weft::on_default()), 1);  // full
  EXPECT_EQ(weft::select(weft::on_recv(buf), weft::on_default()), 0);
  EXPECT_EQ(buf.size(), 15u);
}

TEST_P(GoZeroSize, EmptyTypes) {
  run([] {
    exercise<empty>();
    exercise<std::array<int, 0>>();
    exercise<std::monostate>();
  });
}

}  // namespace
