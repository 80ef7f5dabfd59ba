// nonblock_test.cpp: a port of Go's test/chan/nonblock.go ("Test channel
// operations using non-blocking syntax"), written fresh: for buffer sizes 0,
// 1, 10 and 100, a select with a default must not block on an empty (or,
// for sends, full) channel, and must eventually succeed once a partner is
// there. Go's test tries a bounded number of times with Gosched in between;
// so does this one (weft::yield), with a generous bound.
#include <string>

#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;
using weft::on_default;
using weft::on_recv;
using weft::on_send;

class GoNonblock : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoNonblock);

constexpr int kMaxTries = 100000;

// Retries a non-blocking select until it succeeds.
template <class Try>
void eventually(Try&& attempt, const char* what) {
  for (int i = 0; i < kMaxTries; ++i) {
    if (attempt()) return;
    weft::yield();
  }
  ADD_FAILURE() << what << " never became ready";
}

template <class T>
void check_type(T value, std::size_t buffer) {
  chan<T> c(buffer);
  chan<bool> sync(0);

  // Empty channel: a non-blocking receive takes the default.
  EXPECT_EQ(weft::select(on_recv(c, [](std::optional<T>) { ADD_FAILURE(); }), on_default()), 1);
  auto r = c.try_recv();
  EXPECT_EQ(r.status, weft::chan_status::not_ready);

  // A receiver goroutine: our non-blocking send eventually gets through.
  weft::go([c, sync, value]() mutable {
    EXPECT_EQ(c.recv(), value);
    sync.send(true);
  });
  eventually([&] { return weft::select(on_send(c, value), on_default()) == 0; }, "send");
  sync.recv();

  // A sender goroutine: our non-blocking receive eventually gets the value.
  weft::go([c, sync, value]() mutable {
    c.send(value);
    sync.send(true);
  });
  eventually(
      [&] {
        bool ok = false;
        weft::select(on_recv(c,
                             [&](std::optional<T> v) {
                               EXPECT_EQ(v, value);
                               ok = true;
                             }),
                     on_default());
        return ok;
      },
      "recv");
  sync.recv();

  // Fill the buffer; then a non-blocking send takes the default.
  for (std::size_t i = 0; i < buffer; ++i)
    EXPECT_EQ(weft::select(on_send(c, value), on_default()), 0);
  EXPECT_EQ(weft::select(on_send(c, value), on_default()), 1);
}

TEST_P(GoNonblock, AllTypesAndBufferSizes) {
  run([] {
    for (std::size_t buffer : {0u, 1u, 10u, 100u}) {
      check_type<std::int32_t>(123, buffer);
      check_type<std::int64_t>(123456, buffer);
      check_type<bool>(true, buffer);
      check_type<std::string>("hello", buffer);
    }
  });
}

}  // namespace
