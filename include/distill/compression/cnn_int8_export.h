// Post-training quantization of the CNN families (ResNet-style, MobileNet-style) into the
// runtime's Int8Model. Two steps, each checkable on its own:
//  1. fold: batch norm into each convolution's weights and bias, and the input normalisation
//     into the stem (its padding then takes the raw value of the mean, which is what the
//     normalised network's zero padding was) — a float network of plain convolutions that
//     gives the model's logits from raw inputs;
//  2. quantize: weights int8 per output channel; every convolution's output, the pooled features
//     and the input uint8 with ranges observed on calibration samples run through step 1.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

#include "distill/compression/observers.h"
#include "distill/data/dataset.h"
#include "distill/models/classifier.h"
#include "distill/runtime/int8_model.h"

namespace distill::compression {

/// One convolution of the folded network; `input` and `residual` index earlier convolutions as
/// in runtime::QuantizedConvLayer.
struct FoldedConv {
  std::string name;  // the model's module, e.g. "stage2_block1.depthwise"
  at::Tensor weight;  // (out, in/groups, k, k)
  at::Tensor bias;    // (out)
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t groups = 1;
  /// The raw value padding takes (the stem's: the normalisation mean; others: 0).
  float pad = 0;
  runtime::ConvActivation activation = runtime::ConvActivation::kRelu;
  int32_t input = -1;
  int32_t residual = -1;
};

struct FoldedCnn {
  std::vector<FoldedConv> convolutions;
  at::Tensor head_weight;  // (classes, channels)
  at::Tensor head_bias;    // (classes)
};

/// The float network of `model` (a resnet or mobilenet spec, in eval mode's batch-norm
/// statistics) with `normalization` folded in. Throws distill::Error for other architectures
/// and for normalisations with more than one distinct mean or std across channels.
FoldedCnn fold_cnn(models::Classifier& model, const data::Normalization& normalization);

/// Runs the folded network on raw inputs (B, C, H, W); returns the logits. `outputs`, when given,
/// receives each convolution's output (after its activation) under its name, and "pooled".
at::Tensor run_folded_cnn(const FoldedCnn& network, const at::Tensor& raw_inputs,
                          std::map<std::string, at::Tensor>* outputs = nullptr);

/// Static post-training quantization of a CNN: folds it, observes every activation on
/// `calibration_inputs` (N, C, H, W raw) with `observer`, and quantizes.
runtime::Int8Model quantize_cnn(models::Classifier& model, const data::Normalization& normalization,
                                const at::Tensor& calibration_inputs,
                                const ObserverOptions& observer);

/// Step 2 alone, on an already folded network of `spec`'s architecture.
runtime::Int8Model quantize_folded_cnn(const FoldedCnn& network, const models::ModelSpec& spec,
                                       const at::Tensor& calibration_inputs,
                                       const ObserverOptions& observer);

/// `model` (from quantize_folded_cnn) with the weights and biases of `network` quantized afresh
/// and every activation range kept: the export of quantization-aware training, whose network
/// trained against exactly those ranges. Throws distill::Error when the architectures differ.
runtime::Int8Model with_folded_weights(runtime::Int8Model model, const FoldedCnn& network);

/// The int8 arithmetic of a CNN Int8Model written with libtorch's fake-quantization and
/// convolution ops, independently of the runtime. inputs: (B, C, H, W) raw; returns (B, classes).
at::Tensor simulate_int8_cnn_logits(const runtime::Int8Model& model, const at::Tensor& inputs);

}  // namespace distill::compression
