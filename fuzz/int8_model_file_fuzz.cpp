// libFuzzer target: the int8 model file decoder must turn any bytes into a model or a
// distill::Error, never a crash, a hang or an out-of-bounds read (ASan and UBSan watch).
#include <cstddef>
#include <cstdint>
#include <string>

#include "distill/core/error.h"
#include "distill/runtime/int8_model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const distill::runtime::Int8Model model = distill::runtime::decode_int8_model(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
    // A model that decodes must also encode (it validated) — round trip as a consistency check.
    distill::runtime::encode_int8_model(model);
  } catch (const distill::Error&) {
  }
  return 0;
}
