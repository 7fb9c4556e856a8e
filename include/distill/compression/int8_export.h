// Post-training quantization of a trained MLP classifier into the runtime's Int8Model: the input
// normalisation folded into the first layer, weights int8 per output channel (symmetric),
// activations uint8 with ranges from calibration samples (static) or from each batch (dynamic).
#pragma once

#include <ATen/core/Tensor.h>

#include "distill/compression/fake_quantization.h"
#include "distill/compression/observers.h"
#include "distill/data/dataset.h"
#include "distill/models/classifier.h"
#include "distill/runtime/int8_model.h"

namespace distill::compression {

struct Int8ExportOptions {
  runtime::ActivationQuantization activations = runtime::ActivationQuantization::kStatic;
  /// How activation ranges are chosen from the calibration samples (static mode).
  ObserverOptions observer;
};

/// model: an MLP with ReLU hidden layers (anything else is refused, naming the architecture);
/// normalization: the one stored with the model; calibration_inputs: (N, ...) raw samples, as the
/// dataset gives them before normalisation (unused in dynamic mode but for the input range).
/// `activation_scales`, when given (from quantization-aware training), replaces calibration.
runtime::Int8Model quantize_mlp(models::Classifier& model, const data::Normalization& normalization,
                                const at::Tensor& calibration_inputs,
                                const Int8ExportOptions& options,
                                const ActivationScales* activation_scales = nullptr);

/// The exporter for the model's architecture: quantize_mlp for MLPs, quantize_cnn
/// (cnn_int8_export.h; static activations only) for the ResNet and MobileNet families. Same
/// arguments as quantize_mlp; calibration_inputs (N, C, H, W) for CNNs.
runtime::Int8Model quantize_classifier(models::Classifier& model,
                                       const data::Normalization& normalization,
                                       const at::Tensor& calibration_inputs,
                                       const Int8ExportOptions& options,
                                       const ActivationScales* activation_scales = nullptr);

/// The same int8 arithmetic written with libtorch's fake-quantization ops, independently of the
/// runtime: the value tests hold the runtime to. inputs: (B, ...) raw; returns (B, classes).
/// CNN models go to simulate_int8_cnn_logits.
at::Tensor simulate_int8_logits(const runtime::Int8Model& model, const at::Tensor& inputs);

}  // namespace distill::compression
