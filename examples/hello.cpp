// hello.cpp: the README's first example. Three goroutines send greetings on
// a buffered channel; a fourth closes it once a wait_group says every sender
// is done; the main goroutine ranges over the channel until it is closed.
//
//   ./dev demo        (or: build/release/examples/example_hello)
#include <weft/weft.hpp>

#include <cstdio>
#include <string>

int main() {
  weft::exit_status status = weft::run([] {  // the main goroutine
    weft::chan<std::string> greetings(3);    // make(chan string, 3)
    weft::wait_group wg;

    for (int i = 0; i < 3; ++i) {
      wg.add(1);
      weft::go([greetings, &wg, i]() mutable {  // go func() { ... }()
        greetings.send("hello from goroutine " + std::to_string(i));
        wg.done();
      });
    }
    weft::go([greetings, &wg]() mutable {  // close once every sender is done
      wg.wait();
      greetings.close();
    });

    for (std::string msg : greetings) {  // for msg := range greetings
      std::printf("%s\n", msg.c_str());
    }
  });
  return static_cast<int>(status);  // exit_status::ok is 0
}
