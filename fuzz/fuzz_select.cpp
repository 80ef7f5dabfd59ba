// fuzz_select: the programs of fuzz_chan_ops with every send and receive
// done by select: four- and six-case static selects, dynamic select_sets of
// up to 13 cases, a select_set reused with disable(), send and receive cases
// mixed, nil channels, duplicate channels, default (chan_program.hpp).
#include <cstddef>
#include <cstdint>

#include "chan_program.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return weft_fuzz::run_input(data, size, weft_fuzz::flavour::select);
}
