// main.cpp: the program every consumer project builds (tests/install.cmake):
// find_package, add_subdirectory and pkg-config must all give a weft that
// compiles, links and runs this. It spawns a goroutine that sets a value and
// waits for it on a wait_group; exit 0 only if the value arrived.
#include <weft/weft.hpp>

#include <cstdio>

int main() {
  int value = 0;
  weft::exit_status status = weft::run([&] {
    weft::wait_group wg;
    wg.add(1);
    weft::go([&] {
      value = 42;
      wg.done();
    });
    wg.wait();
  });
  if (status != weft::exit_status::ok || value != 42) {
    std::fprintf(stderr, "consumer: status %d, value %d (want 0, 42)\n", static_cast<int>(status),
                 value);
    return 1;
  }
  std::puts("consumer: ok");
  return 0;
}
