// fuzz_chan_ops: channel operation sequences across goroutines on the real
// runtime (procs = 2): blocking and non-blocking sends and receives, range
// loops, close, a few selects, Go's panics. The input decodes into a program
// that cannot deadlock (chan_program.hpp says how and what is checked).
//
// Input: [nchan] [cap+close mode] x nchan [nroles+main] then per goroutine
// [kind] [channel mask] [nops] [op] x nops; zeros past the end.
#include <cstddef>
#include <cstdint>

#include "chan_program.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return weft_fuzz::run_input(data, size, weft_fuzz::flavour::chan_ops);
}
