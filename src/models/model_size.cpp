// Parameter and byte counts.
#include "distill/models/model_size.h"

#include <ATen/ATen.h>

namespace distill::models {

ModelSize measure_model_size(const torch::nn::Module& model) {
  ModelSize size;
  for (const auto& p : model.parameters()) {
    size.parameters += p.numel();
    size.bytes += p.numel() * static_cast<int64_t>(p.element_size());
  }
  for (const auto& b : model.buffers()) size.bytes += b.numel() * static_cast<int64_t>(b.element_size());
  return size;
}

}  // namespace distill::models
