// Quantization-aware training that simulates the int8 runtime exactly: weights fake-quantized per
// output channel (symmetric int8, scale max|w|/127 from the current weights, as export computes
// it) and hidden activations fake-quantized to uint8 with zero point 0 over scales fixed by
// calibration (the ones export writes). Gradients pass straight through libtorch's fake-quantize
// ops, so the weights learn to live on the int8 grid.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

#include "distill/compression/observers.h"
#include "distill/data/dataset.h"
#include "distill/models/classifier.h"
#include "distill/models/quantization_hooks.h"

namespace distill::compression {

/// uint8 scale of each hidden activation tap ("hidden1", ...).
using ActivationScales = std::map<std::string, float>;

/// Runs `model` (eval mode, no gradients) on `raw_calibration` (N, ...) raw samples and picks
/// each hidden tap's uint8 scale with `observer`.
ActivationScales calibrate_activation_scales(models::Classifier& model,
                                             const data::Normalization& normalization,
                                             const at::Tensor& raw_calibration,
                                             const ObserverOptions& observer);

class FakeQuantization : public models::QuantizationHooks {
 public:
  explicit FakeQuantization(ActivationScales scales);

  at::Tensor weight(const std::string& layer, const at::Tensor& weight) override;
  at::Tensor activation(const std::string& tap, const at::Tensor& activation) override;

  const ActivationScales& scales() const { return scales_; }

 private:
  ActivationScales scales_;
};

/// Per-row symmetric int8 scales of a weight (out, in): max|w_j| / 127, 1 for an all-zero row.
at::Tensor int8_weight_scales(const at::Tensor& weight);

/// `weight` (out, ...) fake-quantized to int8 per output channel with int8_weight_scales of its
/// rows (computed without gradient); gradients pass straight through.
at::Tensor fake_quantize_int8_weight(const at::Tensor& weight);

}  // namespace distill::compression
