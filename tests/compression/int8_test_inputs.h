// Shared by the int8 export tests: raw images on the pixel grid, and a model's logits as the
// int8 runtime computes them from raw inputs.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "distill/runtime/int8_classifier.h"

namespace distill::compression::testing {

/// n raw images of `shape` (C, H, W) with values k / 255, k uniform in 0..255.
inline at::Tensor pixel_images(int64_t n, std::vector<int64_t> shape, uint64_t seed) {
  at::manual_seed(seed);
  shape.insert(shape.begin(), n);
  return at::randint(0, 256, shape).to(at::kFloat) / 255;
}

/// Logits (B, classes) of `model` run by the runtime with `kernels` on raw (B, ...) inputs.
inline at::Tensor runtime_logits(const runtime::Int8Model& model, const at::Tensor& raw,
                                 runtime::Int8Kernels kernels) {
  runtime::Int8Classifier classifier(model, kernels);
  const at::Tensor x = raw.reshape({raw.size(0), -1}).contiguous();
  at::Tensor logits = at::empty({raw.size(0), model.num_classes});
  classifier.logits(x.data_ptr<float>(), raw.size(0), logits.data_ptr<float>());
  return logits;
}

}  // namespace distill::compression::testing
