// types_test.cpp: element types: move-only, not default-constructible,
// large, over-aligned, empty; values are moved, never default-constructed.
#include <array>
#include <memory>
#include <string>

#include "weft_test_util.hpp"

namespace {

using weft::chan;

class Types : public weft_test::Procs {};
WEFT_PROCS_SUITE(Types);

struct no_default {
  explicit no_default(int x) : v(x) {}
  no_default() = delete;
  int v;
};

struct alignas(64) over_aligned {
  int v = 0;
};

struct large {
  std::array<std::uint64_t, 512> words;  // 4 KiB
};

TEST_P(Types, MoveOnly) {
  run([] {
    for (std::size_t cap : {0u, 1u, 4u}) {
      chan<std::unique_ptr<std::string>> ch(cap);
      weft::go([ch]() mutable {
        for (int i = 0; i < 20; ++i) ch.send(std::make_unique<std::string>(std::to_string(i)));
        ch.close();
      });
      int i = 0;
      while (auto p = ch.recv()) EXPECT_EQ(**p, std::to_string(i++));
      EXPECT_EQ(i, 20);
    }
  });
}

TEST_P(Types, NotDefaultConstructible) {
  run([] {
    for (std::size_t cap : {0u, 2u}) {
      chan<no_default> ch(cap);
      weft::go([ch]() mutable {
        ch.send(no_default(1));
        ch.send(no_default(2));
      });
      EXPECT_EQ(ch.recv()->v, 1);
      auto r =
          weft::select(weft::on_recv(ch, [](std::optional<no_default> v) { EXPECT_EQ(v->v, 2); }));
      EXPECT_EQ(r, 0);
    }
  });
}

TEST_P(Types, Large) {
  run([] {
    for (std::size_t cap : {0u, 3u}) {
      chan<large> ch(cap);
      weft::go([ch]() mutable {
        for (std::uint64_t k = 0; k < 8; ++k) {
          large l;
          l.words.fill(k);
          ch.send(l);
        }
      });
      for (std::uint64_t k = 0; k < 8; ++k) {
        auto l = ch.recv();
        ASSERT_TRUE(l.has_value());
        EXPECT_EQ(l->words.front(), k);
        EXPECT_EQ(l->words.back(), k);
      }
    }
  });
}

TEST_P(Types, OverAligned) {
  run([] {
    chan<over_aligned> ch(5);
    for (int i = 0; i < 5; ++i) ch.send(over_aligned{i});
    for (int i = 0; i < 5; ++i) {
      auto v = ch.try_recv();
      ASSERT_TRUE(v);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&*v.value) % 64, 0u);
      EXPECT_EQ(v.value->v, i);
    }
  });
}

// Go's chan struct{}: a signal channel.
TEST_P(Types, Empty) {
  run([] {
    struct unit {};
    chan<unit> done(0);
    weft::go([done]() mutable { done.close(); });
    EXPECT_EQ(done.recv().has_value(), false);
    chan<unit> sem(2);
    sem.send(unit{});
    sem.send(unit{});
    EXPECT_EQ(sem.try_send(unit{}), weft::chan_status::not_ready);
  });
}

TEST_P(Types, ChanOfChan) {
  run([] {
    chan<chan<int>> requests(0);
    weft::go([requests]() mutable {
      for (auto reply : requests) reply.send(42);
    });
    for (int i = 0; i < 10; ++i) {
      chan<int> reply(0);
      requests.send(reply);
      EXPECT_EQ(reply.recv(), 42);
    }
    requests.close();
  });
}

}  // namespace
