// sieve.cpp: the concurrent prime sieve (Go's classic, after McIlroy and
// Hoare): a generator feeds 2, 3, 4, ... into a daisy chain of filters, one
// goroutine per prime found so far, each removing multiples of its prime.
#include <cstdio>

#include <weft/weft.hpp>

namespace {
void generate(weft::chan<int> out) {
  for (int i = 2;; ++i) out.send(i);
}

void filter(weft::chan<int> in, weft::chan<int> out, int prime) {
  for (;;) {
    int i = *in.recv();
    if (i % prime != 0) out.send(i);
  }
}
}  // namespace

int main() {
  return static_cast<int>(weft::run([] {
    weft::chan<int> ch(0);
    weft::go(generate, ch);
    for (int i = 0; i < 30; ++i) {
      int prime = *ch.recv();
      std::printf("%d%s", prime, i + 1 < 30 ? " " : "\n");
      weft::chan<int> next(0);
      weft::go(filter, ch, next, prime);
      ch = next;
    }
    // Returning from main abandons the filters, as when Go's main returns.
  }));
}
