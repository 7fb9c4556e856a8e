// libFuzzer target: the int8 text model decoder must turn any bytes into a model or a
// distill::Error, never a crash, a hang or an out-of-bounds read (ASan and UBSan watch).
#include <cstddef>
#include <cstdint>
#include <string>

#include "distill/core/error.h"
#include "distill/runtime/int8_text_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const distill::runtime::Int8TextModel model = distill::runtime::decode_int8_text_model(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
    // A model that decodes must also encode (it validated) and run from token ids.
    distill::runtime::encode_int8_text_model(model);
    distill::runtime::Int8TextRunner runner(model);
    const int64_t ids[4] = {2, 5, 6, 0};
    std::vector<float> logits(static_cast<size_t>(model.head.num_classes));
    runner.logits(ids, 1, 4, logits.data());
  } catch (const distill::Error&) {
  }
  return 0;
}
