// Quantization-aware training of the CNN families, on their folded network: batch norm frozen
// into the convolutions, as post-training quantization folds it (the usual last phase of QAT).
// The folded weights and biases are the parameters; the forward pass computes what the int8
// runtime computes — the input, every weight (int8 per output channel, from the current weights)
// and every activation (uint8, at the ranges calibrated for post-training quantization, kept
// fixed) fake-quantized — and gradients pass straight through the rounding.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "distill/compression/cnn_int8_export.h"
#include "distill/data/dataset.h"
#include "distill/models/classifier.h"
#include "distill/runtime/int8_model.h"

namespace distill::compression {

class FakeQuantizedCnn : public models::Classifier {
 public:
  /// `network`: fold_cnn of a model of `spec`; `calibrated`: quantize_folded_cnn of it, whose
  /// activation ranges the training keeps; `normalization`: the one the trainer's inputs carry
  /// (the folded network takes raw inputs). Throws distill::Error when they do not match.
  FakeQuantizedCnn(const models::ModelSpec& spec, const FoldedCnn& network,
                   runtime::Int8Model calibrated, data::Normalization normalization);

  /// No intermediate outputs: QAT distils from the teacher's logits.
  std::vector<std::string> tap_names() const override { return {}; }

  /// The trained network quantized with the calibrated ranges: what the runtime will run.
  runtime::Int8Model quantized() const;

 protected:
  /// inputs: normalised (B, C, H, W) -> logits (B, K) of the fake-quantized network.
  at::Tensor run(const at::Tensor& inputs, models::FeatureTaps* taps) override;

 private:
  FoldedCnn network_;  // weights and biases registered as this module's parameters
  runtime::Int8Model calibrated_;
  data::Normalization normalization_;
};

}  // namespace distill::compression
