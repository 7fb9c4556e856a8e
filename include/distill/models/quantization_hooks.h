// How a model lets quantization-aware training in: it passes each layer's weight and each hidden
// activation through these hooks, which return the fake-quantized values (compression/ supplies
// the implementation; models only know the interface).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace distill::models {

class QuantizationHooks {
 public:
  virtual ~QuantizationHooks() = default;
  /// `layer`'s weight (out, in) as the forward pass should use it.
  virtual at::Tensor weight(const std::string& layer, const at::Tensor& weight) = 0;
  /// The hidden activation recorded under `tap` (after its ReLU) as the next layer should see it.
  virtual at::Tensor activation(const std::string& tap, const at::Tensor& activation) = 0;
};

}  // namespace distill::models
