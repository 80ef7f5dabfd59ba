// select4_test.cpp: a port of Go's test/chan/select4.go ("Test that a select
// statement proceeds when a value is ready"), written fresh. Go's version
// also checks that the left-hand side of a case that does not fire is not
// evaluated; weft's handlers run only for the chosen case.
#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;

class GoSelect4 : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoSelect4);

TEST_P(GoSelect4, ProceedsWhenAValueIsReady) {
  run([] {
    chan<int> c(1), c1(0);
    c.send(42);
    int x = 0;
    int i = weft::select(
        weft::on_recv(c1, [](std::optional<int>) { ADD_FAILURE() << "BUG: c1 case ran"; }),
        weft::on_recv(c, [&](std::optional<int> v) { x = *v; }));
    EXPECT_EQ(i, 1);
    EXPECT_EQ(x, 42);
  });
}

}  // namespace
