// libFuzzer target: distill model files (.pt: architecture, normalisation, weights) must load or
// give a distill::Error; a model that loads must run a forward pass of its declared shape.
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>

#include "distill/core/error.h"
#include "distill/models/model_io.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = distill::fuzz::write_fuzz_input(data, size, "model.pt");
  try {
    const distill::models::SavedModel saved = distill::models::load_model(path);
    std::vector<int64_t> shape = {2};
    int64_t elements = 2;  // each dimension <= 2^20 (validated), so at most 2^61: no overflow
    for (int64_t d : saved.model->spec().input_shape) {
      shape.push_back(d);
      elements *= d;
    }
    if (elements <= (int64_t{1} << 16)) saved.model->forward(at::ones(shape));
  } catch (const distill::Error&) {
  }
  return 0;
}
