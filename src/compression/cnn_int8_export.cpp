// CNN folding, post-training quantization, and its libtorch simulation.
//
// Batch norm after a convolution without bias, y = γ (conv(x) − μ) / √(σ² + ε) + β, folds to
//   W' = W · γ / √(σ² + ε)  (per output channel),  b' = β − μ γ / √(σ² + ε).
// The input normalisation x' = (x − m) / s before the stem folds to W'' = W' / s and
// b'' = b' − Σ W'' · m, exact when the padding takes the raw value m (x' = 0 there).
#include "distill/compression/cnn_int8_export.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cmath>

#include "conv_ops.h"
#include "distill/compression/fake_quantization.h"
#include "distill/core/error.h"
#include "distill/kernels/quantize.h"
#include "distill/models/model_spec.h"

namespace distill::compression {
namespace {

using runtime::ConvActivation;

/// torch::nn::BatchNorm2d's default, which models/conv_blocks.cpp keeps.
constexpr double kBatchNormEpsilon = 1e-5;
/// Calibration runs the float network on this many samples at a time, and keeps at most this
/// many values of each activation per chunk (evenly strided, plus the chunk's extremes).
constexpr int64_t kCalibrationChunk = 256;
constexpr int64_t kValuesPerChunk = int64_t{1} << 18;

/// Looks up the model's parameters and batch-norm buffers by name.
class NamedTensors {
 public:
  explicit NamedTensors(models::Classifier& model) {
    for (const auto& item : model.named_parameters()) tensors_[item.key()] = item.value();
    for (const auto& item : model.named_buffers()) tensors_[item.key()] = item.value();
  }
  at::Tensor get(const std::string& name) const {
    const auto found = tensors_.find(name);
    DISTILL_CHECK(found != tensors_.end(), "the model has no tensor '", name,
                  "'; CNN export expects the modules of models/staged_cnn.cpp");
    return found->second.detach().to(at::kFloat);
  }

 private:
  std::map<std::string, at::Tensor> tensors_;
};

/// A ConvBn module (`prefix`.conv, `prefix`.bn) as a folded convolution.
FoldedConv fold_conv_bn(const NamedTensors& tensors, const std::string& prefix, int64_t stride,
                        int64_t groups, ConvActivation activation, int32_t input) {
  const at::Tensor weight = tensors.get(prefix + ".conv.weight");
  const at::Tensor gamma = tensors.get(prefix + ".bn.weight");
  const at::Tensor beta = tensors.get(prefix + ".bn.bias");
  const at::Tensor mean = tensors.get(prefix + ".bn.running_mean");
  const at::Tensor variance = tensors.get(prefix + ".bn.running_var");
  const at::Tensor factor = gamma / at::sqrt(variance + kBatchNormEpsilon);
  FoldedConv conv;
  conv.name = prefix;
  conv.weight = (weight * factor.reshape({-1, 1, 1, 1})).contiguous();
  conv.bias = (beta - mean * factor).contiguous();
  conv.stride = stride;
  conv.padding = weight.size(2) / 2;
  conv.groups = groups;
  conv.activation = activation;
  conv.input = input;
  return conv;
}

/// The single mean and std of a normalisation (equal across channels), or (0, 1) for none.
std::pair<float, float> scalar_normalization(const data::Normalization& normalization) {
  if (normalization.empty()) return {0.0f, 1.0f};
  for (size_t i = 1; i < normalization.mean.size(); ++i)
    DISTILL_CHECK(normalization.mean[i] == normalization.mean[0] &&
                      normalization.stddev[i] == normalization.stddev[0],
                  "CNN int8 export folds one normalisation mean and std into the stem, but the "
                  "model's differ across its ", normalization.mean.size(), " channels or features");
  return {normalization.mean[0], normalization.stddev[0]};
}

/// Calibration values of one activation: a bounded, deterministic sample with the extremes.
at::Tensor calibration_sample(const at::Tensor& values) {
  const at::Tensor flat = values.reshape({-1});
  const int64_t stride = std::max<int64_t>(1, flat.numel() / kValuesPerChunk);
  return at::cat({flat.slice(0, 0, flat.numel(), stride), flat.min().reshape({1}),
                  flat.max().reshape({1})});
}

void quantize_per_output_channel(const at::Tensor& weight, std::vector<int8_t>& values,
                                 std::vector<float>& scales) {
  const at::Tensor rows = weight.reshape({weight.size(0), -1}).contiguous();
  const at::Tensor row_scales = int8_weight_scales(rows);
  const at::Tensor q =
      at::clamp(at::round(rows / row_scales.unsqueeze(1)), -127, 127).to(at::kChar).contiguous();
  values.assign(q.data_ptr<int8_t>(), q.data_ptr<int8_t>() + q.numel());
  scales.assign(row_scales.data_ptr<float>(), row_scales.data_ptr<float>() + row_scales.numel());
}

at::Tensor dequantized_weights(const std::vector<int8_t>& values, const std::vector<float>& scales,
                               at::IntArrayRef shape) {
  const at::Tensor q = at::tensor(at::ArrayRef<int8_t>(values)).to(at::kFloat).reshape(shape);
  std::vector<int64_t> scale_shape(shape.size(), 1);
  scale_shape[0] = shape[0];
  return q * at::tensor(scales).reshape(scale_shape);
}

}  // namespace

FoldedCnn fold_cnn(models::Classifier& model, const data::Normalization& normalization) {
  const models::ModelSpec& spec = model.spec();
  DISTILL_CHECK_HINT(models::is_cnn(spec.kind), "CNN export takes the resnet and mobilenet families",
                     "cannot fold '", models::describe_model_spec(spec), "' as a CNN");
  const NamedTensors tensors(model);
  const bool resnet = spec.kind == models::ModelKind::kResNet;
  const ConvActivation block_activation = resnet ? ConvActivation::kRelu : ConvActivation::kRelu6;
  FoldedCnn network;
  auto add = [&](FoldedConv conv) {
    network.convolutions.push_back(std::move(conv));
    return static_cast<int32_t>(network.convolutions.size() - 1);
  };

  FoldedConv stem = fold_conv_bn(tensors, "stem", 1, 1, block_activation, -1);
  const auto [mean, stddev] = scalar_normalization(normalization);
  stem.weight = stem.weight / stddev;
  stem.bias = stem.bias - stem.weight.sum({1, 2, 3}) * mean;
  stem.pad = mean;
  int32_t current = add(std::move(stem));
  int64_t width = spec.channels[0];
  for (size_t s = 0; s < spec.channels.size(); ++s) {
    for (int64_t b = 0; b < spec.blocks_per_stage; ++b) {
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
      const std::string block = "stage" + std::to_string(s + 1) + "_block" + std::to_string(b + 1);
      if (resnet) {
        const int32_t first =
            add(fold_conv_bn(tensors, block + ".conv1", stride, 1, ConvActivation::kRelu, current));
        int32_t shortcut = current;
        if (stride != 1 || width != spec.channels[s])
          shortcut = add(fold_conv_bn(tensors, block + ".shortcut", stride, 1,
                                      ConvActivation::kNone, current));
        FoldedConv second =
            fold_conv_bn(tensors, block + ".conv2", 1, 1, ConvActivation::kRelu, first);
        second.residual = shortcut;
        current = add(std::move(second));
      } else {
        const int32_t depthwise = add(fold_conv_bn(tensors, block + ".depthwise", stride, width,
                                                   ConvActivation::kRelu6, current));
        current = add(fold_conv_bn(tensors, block + ".pointwise", 1, 1, ConvActivation::kRelu6,
                                   depthwise));
      }
      width = spec.channels[s];
    }
  }
  network.head_weight = tensors.get("head.weight").contiguous();
  network.head_bias = tensors.get("head.bias").contiguous();
  return network;
}

at::Tensor run_folded_cnn(const FoldedCnn& network, const at::Tensor& raw_inputs,
                          std::map<std::string, at::Tensor>* outputs) {
  at::NoGradGuard no_grad;
  const at::Tensor x = raw_inputs.to(at::kFloat);
  std::vector<at::Tensor> values;
  for (const FoldedConv& conv : network.convolutions) {
    const at::Tensor& in = conv.input < 0 ? x : values[conv.input];
    at::Tensor y =
        convolve(in, conv.weight, conv.bias, conv.stride, conv.padding, conv.groups, conv.pad);
    if (conv.residual >= 0) y = y + values[conv.residual];
    values.push_back(activate(y, conv.activation));
    if (outputs) (*outputs)[conv.name] = values.back();
  }
  const at::Tensor pooled = values.back().mean({2, 3});
  if (outputs) (*outputs)["pooled"] = pooled;
  return at::linear(pooled, network.head_weight, network.head_bias);
}

runtime::Int8Model quantize_cnn(models::Classifier& model, const data::Normalization& normalization,
                                const at::Tensor& calibration_inputs,
                                const ObserverOptions& observer) {
  at::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  const FoldedCnn network = fold_cnn(model, normalization);
  if (was_training) model.train();
  return quantize_folded_cnn(network, model.spec(), calibration_inputs, observer);
}

runtime::Int8Model quantize_folded_cnn(const FoldedCnn& network, const models::ModelSpec& spec,
                                       const at::Tensor& calibration_inputs,
                                       const ObserverOptions& observer) {
  DISTILL_CHECK(calibration_inputs.defined() && calibration_inputs.dim() == 4 &&
                    calibration_inputs.size(0) > 0,
                "CNN quantization needs calibration images (N, C, H, W), got ",
                calibration_inputs.defined() ? calibration_inputs.sizes().vec()
                                             : std::vector<int64_t>{});
  at::NoGradGuard no_grad;
  // Every activation of the float network on the calibration samples.
  const at::Tensor raw = calibration_inputs.to(at::kFloat);
  std::map<std::string, std::vector<at::Tensor>> samples;
  for (int64_t begin = 0; begin < raw.size(0); begin += kCalibrationChunk) {
    std::map<std::string, at::Tensor> outputs;
    run_folded_cnn(network, raw.narrow(0, begin, std::min(kCalibrationChunk, raw.size(0) - begin)),
                   &outputs);
    for (const auto& [name, value] : outputs) samples[name].push_back(calibration_sample(value));
  }
  auto range_of = [&](const std::string& name, float* scale, int32_t* zero_point) {
    const auto [lo, hi] = observe_range(at::cat(samples.at(name)), observer);
    kernels::uint8_range_parameters(lo, hi, scale, zero_point);
  };

  runtime::Int8Model q;
  q.input_shape = spec.input_shape;
  q.num_classes = spec.num_classes;
  q.activations = runtime::ActivationQuantization::kStatic;
  q.description = models::describe_model_spec(spec) +
                  ", batch norm folded, int8 weights per channel, static uint8 activations (" +
                  to_string(observer.kind) + " calibration)";
  // Inputs: their full observed range (pixels are exact on a [0, 1] grid of 255 steps).
  kernels::uint8_range_parameters(raw.min().item<float>(), raw.max().item<float>(), &q.input_scale,
                                  &q.input_zero_point);
  for (const FoldedConv& folded : network.convolutions) {
    runtime::QuantizedConvLayer conv;
    copy_conv_geometry(folded, conv);
    conv.activation = folded.activation;
    if (folded.input < 0) {
      const float code =
          std::nearbyint(folded.pad / q.input_scale) + static_cast<float>(q.input_zero_point);
      conv.pad_value = static_cast<int32_t>(std::clamp(code, 0.0f, 255.0f));
    } else {
      conv.pad_value = q.convolutions[folded.input].output_zero_point;
    }
    range_of(folded.name, &conv.output_scale, &conv.output_zero_point);
    q.convolutions.push_back(std::move(conv));
  }
  int32_t pooled_zero_point = 0;
  range_of("pooled", &q.pooled_scale, &pooled_zero_point);
  runtime::QuantizedLinearLayer head;
  head.in_features = network.head_weight.size(1);
  head.out_features = network.head_weight.size(0);
  head.relu = false;
  q.layers.push_back(std::move(head));
  return with_folded_weights(std::move(q), network);
}

runtime::Int8Model with_folded_weights(runtime::Int8Model model, const FoldedCnn& network) {
  DISTILL_CHECK(model.is_cnn() && model.convolutions.size() == network.convolutions.size() &&
                    model.layers.size() == 1,
                "with_folded_weights: the int8 model (", model.convolutions.size(),
                " convolutions, ", model.layers.size(), " linear layers) is not the folded "
                "network's architecture (", network.convolutions.size(), " convolutions, a head)");
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < network.convolutions.size(); ++i) {
    const FoldedConv& folded = network.convolutions[i];
    runtime::QuantizedConvLayer& conv = model.convolutions[i];
    quantize_per_output_channel(folded.weight.detach(), conv.weights, conv.weight_scales);
    conv.bias = float_values(folded.bias.detach());
  }
  runtime::QuantizedLinearLayer& head = model.layers[0];
  quantize_per_output_channel(network.head_weight.detach(), head.weights, head.weight_scales);
  head.bias = float_values(network.head_bias.detach());
  runtime::validate(model, "quantized " + model.description);
  return model;
}

at::Tensor simulate_int8_cnn_logits(const runtime::Int8Model& model, const at::Tensor& inputs) {
  at::NoGradGuard no_grad;
  DISTILL_CHECK(model.is_cnn(), "simulate_int8_cnn_logits takes CNN models");
  const at::Tensor x = at::fake_quantize_per_tensor_affine(
      inputs.to(at::kFloat), model.input_scale, model.input_zero_point, 0, 255);
  std::vector<at::Tensor> values;
  for (const runtime::QuantizedConvLayer& conv : model.convolutions) {
    const bool first = conv.input < 0;
    const double pad = runtime::conv_input_encoding(model, conv).value(conv.pad_value);
    const at::Tensor weight = dequantized_weights(
        conv.weights, conv.weight_scales,
        {conv.out_channels, conv.in_channels / conv.groups, conv.kernel, conv.kernel});
    at::Tensor y = convolve(first ? x : values[conv.input], weight, at::tensor(conv.bias),
                            conv.stride, conv.padding, conv.groups, pad);
    if (conv.residual >= 0) y = y + values[conv.residual];
    y = activate(y, conv.activation);
    values.push_back(
        at::fake_quantize_per_tensor_affine(y, conv.output_scale, conv.output_zero_point, 0, 255));
  }
  at::Tensor features =
      at::fake_quantize_per_tensor_affine(values.back().mean({2, 3}), model.pooled_scale, 0, 0, 255);
  for (const runtime::QuantizedLinearLayer& layer : model.layers) {
    const at::Tensor weight = dequantized_weights(layer.weights, layer.weight_scales,
                                                  {layer.out_features, layer.in_features});
    features = at::linear(features, weight, at::tensor(layer.bias));
    if (!layer.relu) break;
    features = at::fake_quantize_per_tensor_affine(at::relu(features), layer.output_scale, 0, 0, 255);
  }
  return features;
}

}  // namespace distill::compression
