// pipeline.cpp: a three-stage pipeline connected by channels. Each stage
// ranges over its input and closes its output when the input is closed, so
// closing the first channel shuts the whole pipeline down in order.
//
//   generate 1..10 -> square -> sum
#include <cstdio>

#include <weft/weft.hpp>

int main() {
  return static_cast<int>(weft::run([] {
    weft::chan<int> numbers(0), squares(4);

    weft::go([numbers]() mutable {
      for (int i = 1; i <= 10; ++i) numbers.send(i);
      numbers.close();  // no more input: lets the next stage finish
    });
    weft::go([numbers, squares]() mutable {
      for (int n : numbers) squares.send(n * n);
      squares.close();
    });

    int sum = 0;
    for (int s : squares) {
      std::printf("square %d\n", s);
      sum += s;
    }
    std::printf("sum of squares 1..10 = %d\n", sum);  // 385
  }));
}
