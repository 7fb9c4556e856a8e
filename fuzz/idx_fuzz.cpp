// libFuzzer target: the IDX parser (plain and gzipped) must turn any bytes into an array or a
// distill::Error, never a crash or an out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "distill/core/error.h"
#include "distill/data/idx_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    distill::data::parse_idx_bytes(std::vector<uint8_t>(data, data + size), "fuzz input");
  } catch (const distill::Error&) {
  }
  return 0;
}
