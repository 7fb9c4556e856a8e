// libFuzzer target: the tensor file decoder (model files, checkpoints, soft-label caches) must
// turn any bytes into a file or a distill::Error. The checksum is re-sealed over each input
// before decoding, so mutations reach the header and extent validation behind it instead of
// stopping at the CRC.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "distill/core/checksum.h"
#include "distill/core/error.h"
#include "distill/core/tensor_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.size() >= 16) {
    const uint32_t crc = distill::crc32_of(bytes.data() + 16, bytes.size() - 16);
    std::memcpy(bytes.data() + 12, &crc, sizeof(crc));
  }
  for (const char* kind : {"distill-model", "distill-checkpoint", "distill-soft-labels"}) {
    try {
      distill::decode_tensor_file(bytes, "fuzz input", kind);
    } catch (const distill::Error&) {
    }
  }
  return 0;
}
