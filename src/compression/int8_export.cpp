// MLP post-training quantization and its libtorch simulation.
//
// Folding the normalisation x' = (x − mean) / std into the first layer y = W x' + b:
//   W₁ = W / std (per input feature),  b₁ = b − W (mean / std).
#include "distill/compression/int8_export.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cmath>
#include <map>

#include "distill/compression/cnn_int8_export.h"
#include "distill/core/error.h"
#include "distill/kernels/int8_gemm.h"
#include "distill/models/model_spec.h"

namespace distill::compression {
namespace {

using runtime::ActivationQuantization;
using runtime::Int8Model;
using runtime::QuantizedLinearLayer;

/// Per-feature mean and std (F) from a per-channel or per-feature normalisation.
std::pair<at::Tensor, at::Tensor> per_feature(const data::Normalization& normalization,
                                              const std::vector<int64_t>& input_shape,
                                              int64_t features) {
  if (normalization.empty()) return {at::zeros({features}), at::ones({features})};
  at::Tensor mean = at::tensor(normalization.mean);
  at::Tensor stddev = at::tensor(normalization.stddev);
  if (mean.numel() == features) return {mean, stddev};
  DISTILL_CHECK(!input_shape.empty() && mean.numel() == input_shape[0],
                "the model's normalisation has ", mean.numel(),
                " values, matching neither the input channels nor the ", features, " features");
  const int64_t per_channel = features / input_shape[0];
  return {mean.repeat_interleave(per_channel), stddev.repeat_interleave(per_channel)};
}

/// Symmetric per-row int8 (the rounding FakeQuantization simulates in training).
void quantize_weights(const at::Tensor& weight, QuantizedLinearLayer& layer) {
  const at::Tensor w = weight.detach().to(at::kFloat).contiguous();
  const at::Tensor scales = int8_weight_scales(w);
  const at::Tensor q = at::clamp(at::round(w / scales.unsqueeze(1)), -127, 127).to(at::kChar);
  layer.weights.assign(q.data_ptr<int8_t>(), q.data_ptr<int8_t>() + q.numel());
  layer.weight_scales.assign(scales.data_ptr<float>(), scales.data_ptr<float>() + scales.numel());
}

std::string describe(const models::Classifier& model, const Int8ExportOptions& options) {
  std::string text = models::describe_model_spec(model.spec()) + ", int8 weights per channel, " +
                     runtime::to_string(options.activations) + " uint8 activations";
  if (options.activations == ActivationQuantization::kStatic)
    text += std::string(" (") + to_string(options.observer.kind) + " calibration)";
  return text;
}

}  // namespace

Int8Model quantize_mlp(models::Classifier& model, const data::Normalization& normalization,
                       const at::Tensor& calibration_inputs, const Int8ExportOptions& options,
                       const ActivationScales* activation_scales) {
  const models::ModelSpec& spec = model.spec();
  DISTILL_CHECK_HINT(spec.kind == models::ModelKind::kMlp && spec.activation == models::Activation::kRelu,
                     "int8 export supports MLP classifiers with ReLU activations",
                     "cannot quantize '", models::describe_model_spec(spec),
                     "': this build exports MLPs with ReLU only");
  DISTILL_CHECK(calibration_inputs.defined() && calibration_inputs.size(0) > 0,
                "quantization needs at least one calibration sample");
  at::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();

  Int8Model q;
  q.input_shape = spec.input_shape;
  q.num_classes = spec.num_classes;
  q.activations = options.activations;
  q.description = describe(model, options);
  const int64_t features = q.input_features();

  std::map<std::string, at::Tensor> parameters;
  for (const auto& item : model.named_parameters()) parameters[item.key()] = item.value();
  const size_t layer_count = spec.hidden.size() + 1;

  const at::Tensor raw = calibration_inputs.to(at::kFloat).reshape({calibration_inputs.size(0), -1});
  DISTILL_CHECK(raw.size(1) == features, "calibration samples have ", raw.size(1),
                " features, the model takes ", features);
  ActivationScales scales;
  if (options.activations == ActivationQuantization::kStatic) {
    scales = activation_scales ? *activation_scales
                               : calibrate_activation_scales(model, normalization,
                                                             calibration_inputs, options.observer);
  }

  // Inputs: the full observed range (pixels are exact on a [0, 1] grid of 255 steps).
  kernels::uint8_range_parameters(raw.min().item<float>(), raw.max().item<float>(),
                                  &q.input_scale, &q.input_zero_point);

  const auto [mean, stddev] = per_feature(normalization, spec.input_shape, features);
  for (size_t i = 0; i < layer_count; ++i) {
    const std::string name = "fc" + std::to_string(i + 1);
    at::Tensor weight = parameters.at(name + ".weight").detach().to(at::kFloat);
    at::Tensor bias = parameters.at(name + ".bias").detach().to(at::kFloat);
    if (i == 0) {
      bias = bias - at::mv(weight, mean / stddev);
      weight = weight / stddev.unsqueeze(0);
    }
    QuantizedLinearLayer layer;
    layer.in_features = weight.size(1);
    layer.out_features = weight.size(0);
    layer.relu = i + 1 < layer_count;
    quantize_weights(weight, layer);
    const at::Tensor b = bias.contiguous();
    layer.bias.assign(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
    if (layer.relu && options.activations == ActivationQuantization::kStatic) {
      const std::string tap = "hidden" + std::to_string(i + 1);
      DISTILL_CHECK(scales.count(tap), "no activation scale for '", tap, "'");
      layer.output_scale = scales.at(tap);
    }
    q.layers.push_back(std::move(layer));
  }
  if (was_training) model.train();
  runtime::validate(q, "quantized " + models::describe_model_spec(spec));
  return q;
}

Int8Model quantize_classifier(models::Classifier& model, const data::Normalization& normalization,
                              const at::Tensor& calibration_inputs,
                              const Int8ExportOptions& options,
                              const ActivationScales* activation_scales) {
  const models::ModelKind kind = model.spec().kind;
  if (!models::is_cnn(kind))
    return quantize_mlp(model, normalization, calibration_inputs, options, activation_scales);
  DISTILL_CHECK_HINT(options.activations == ActivationQuantization::kStatic,
                     "set quantize.activations: static",
                     "CNNs are quantized with static activations (their per-layer ranges come "
                     "from calibration); dynamic quantization covers MLPs");
  DISTILL_CHECK(activation_scales == nullptr,
                "activation scales from quantization-aware training hooks are an MLP's; a "
                "CNN's quantization-aware training exports through FakeQuantizedCnn::quantized");
  return quantize_cnn(model, normalization, calibration_inputs, options.observer);
}

at::Tensor simulate_int8_logits(const Int8Model& model, const at::Tensor& inputs) {
  at::NoGradGuard no_grad;
  if (model.is_cnn()) {
    std::vector<int64_t> shape = {inputs.size(0)};
    shape.insert(shape.end(), model.input_shape.begin(), model.input_shape.end());
    return simulate_int8_cnn_logits(model, inputs.reshape(shape));
  }
  at::Tensor x = inputs.to(at::kFloat).reshape({inputs.size(0), -1});
  float scale = model.input_scale;
  int32_t zero_point = model.input_zero_point;
  for (size_t i = 0; i < model.layers.size(); ++i) {
    const QuantizedLinearLayer& layer = model.layers[i];
    if (model.activations == ActivationQuantization::kDynamic) {
      kernels::uint8_range_parameters(x.min().item<float>(), x.max().item<float>(), &scale,
                                      &zero_point);
    }
    const at::Tensor x_q = at::fake_quantize_per_tensor_affine(x, scale, zero_point, 0, 255);
    const at::Tensor w = at::tensor(layer.weights).to(at::kFloat).reshape(
                             {layer.out_features, layer.in_features}) *
                         at::tensor(layer.weight_scales).unsqueeze(1);
    x = at::linear(x_q, w, at::tensor(layer.bias));
    if (!layer.relu) break;
    x = at::relu(x);
    if (model.activations == ActivationQuantization::kStatic) {
      scale = layer.output_scale;
      zero_point = 0;
    }
  }
  return x;
}

}  // namespace distill::compression
