// sieve1_test.cpp: a port of Go's test/chan/sieve1.go ("the classic prime
// sieve"), written fresh. Go's goroutines loop forever and are abandoned
// when main returns; here the generator stops after a bound and closes its
// channel, and each filter closes its output when its input closes, so the
// whole pipeline winds down before the test ends.
#include <array>

#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;

class GoSieve1 : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoSieve1);

// Sends 2, 3, 4, ... up to `limit` to `ch`, then closes it.
void generate(chan<int> ch, int limit) {
  for (int i = 2; i <= limit; ++i) ch.send(i);
  ch.close();
}

// Copies the values from `in` to `out`, removing those divisible by `prime`.
void filter(chan<int> in, chan<int> out, int prime) {
  for (int i : in)
    if (i % prime != 0) out.send(i);
  out.close();
}

// The prime sieve: daisy-chain filter processes together.
void sieve(chan<int> primes, int limit) {
  chan<int> ch(0);
  weft::go(generate, ch, limit);
  for (;;) {
    auto prime = ch.recv();
    if (!prime) break;
    primes.send(*prime);
    chan<int> ch1(0);
    weft::go(filter, ch, ch1, *prime);
    ch = ch1;
  }
  primes.close();
}

TEST_P(GoSieve1, FirstPrimes) {
  run([] {
    chan<int> primes(0);
    weft::go(sieve, primes, 100);
    constexpr std::array<int, 25> a = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37, 41,
                                       43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97};
    std::size_t i = 0;
    for (int x : primes) {
      ASSERT_LT(i, a.size());
      EXPECT_EQ(x, a[i]) << "prime " << i;
      ++i;
    }
    EXPECT_EQ(i, a.size());
  });
}

}  // namespace
