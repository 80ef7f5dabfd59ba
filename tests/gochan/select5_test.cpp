// select5_test.cpp: a port of Go's test/chan/select5.go, written fresh. Go's
// select5 generates a program of many small selects in which exactly one
// operation can proceed, phrased in every combination of send/receive,
// dummy cases (nil channels and never-ready channels) before and after it,
// and with or without a default; each must perform the one real operation
// exactly once, with the right value, and evaluate nothing else. Here the
// combinations are enumerated at run time through weft::select_set, and a
// few are spelled out with the variadic select.
#include <string>
#include <vector>

#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;
using weft::on_default;
using weft::on_recv;
using weft::on_send;

class GoSelect5 : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoSelect5);

enum dummy_kind { nil_recv, nil_send, idle_recv, idle_send, kDummyKinds };

TEST_P(GoSelect5, EveryCombinationPerformsTheOneReadyOperation) {
  run([] {
    chan<int> nilch;
    chan<int> idle(0);  // nobody ever sends or receives on it
    int combos = 0;
    for (int is_send = 0; is_send < 2; ++is_send)
      for (unsigned dummies = 0; dummies < (1u << kDummyKinds); ++dummies)
        for (int with_default = 0; with_default < 2; ++with_default) {
          std::vector<int> kinds;
          for (int k = 0; k < kDummyKinds; ++k)
            if (dummies & (1u << k)) kinds.push_back(k);
          for (std::size_t pos = 0; pos <= kinds.size(); ++pos) {
            chan<int> c(1);  // the real channel: always ready
            if (!is_send) c.send(100 + combos);
            int real_runs = 0, other_runs = 0, evaluated = 0;
            weft::select_set s;
            std::size_t next = 0;
            int real_index = -1;
            for (std::size_t slot = 0; slot <= kinds.size(); ++slot) {
              if (slot == pos) {
                if (is_send)
                  real_index = s.add(on_send(c, (++evaluated, 100 + combos), [&] { ++real_runs; }));
                else
                  real_index = s.add(on_recv(c, [&, combos](std::optional<int> v) {
                    EXPECT_EQ(v, 100 + combos);
                    ++real_runs;
                  }));
                continue;
              }
              switch (kinds[next++]) {
                case nil_recv:
                  s.add(on_recv(nilch, [&] { ++other_runs; }));
                  break;
                case nil_send:
                  s.add(on_send(nilch, (++evaluated, -1), [&] { ++other_runs; }));
                  break;
                case idle_recv:
                  s.add(on_recv(idle, [&] { ++other_runs; }));
                  break;
                case idle_send:
                  s.add(on_send(idle, (++evaluated, -2), [&] { ++other_runs; }));
                  break;
              }
            }
            if (with_default) s.add(on_default([&] { ++other_runs; }));
            EXPECT_EQ(s.select(), real_index);
            EXPECT_EQ(real_runs, 1);
            EXPECT_EQ(other_runs, 0);
            // Each case's value is evaluated once, when the case is built.
            int sends =
                (is_send ? 1 : 0) + ((dummies >> nil_send) & 1) + ((dummies >> idle_send) & 1);
            EXPECT_EQ(evaluated, sends);
            if (is_send) {
              EXPECT_EQ(c.recv(), 100 + combos);
            }
            EXPECT_EQ(c.size(), 0u);
            ++combos;
          }
        }
    EXPECT_EQ(combos, 2 * (2 * (1 + 4 * 2 + 6 * 3 + 4 * 4 + 5)));
  });
}

TEST_P(GoSelect5, SpelledOut) {
  run([] {
    chan<int> nilch, idle(0), c(1);
    c.send(1);
    EXPECT_EQ(weft::select(on_recv(nilch), on_send(idle, 0), on_recv(c), on_default()), 2);
    EXPECT_EQ(weft::select(on_send(c, 2), on_recv(idle), on_send(nilch, 0)), 0);
    EXPECT_EQ(weft::select(on_default(), on_recv(c, [](std::optional<int> v) { EXPECT_EQ(v, 2); })),
              1);
    EXPECT_EQ(weft::select(on_recv(idle), on_default(), on_send(nilch, 0)), 1);
  });
}

}  // namespace
