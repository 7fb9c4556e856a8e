// Fake quantization for quantization-aware training, and activation calibration.
#include "distill/compression/fake_quantization.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "distill/core/error.h"
#include "distill/kernels/int8_gemm.h"

namespace distill::compression {

at::Tensor int8_weight_scales(const at::Tensor& weight) {
  const at::Tensor max_abs = std::get<0>(weight.detach().to(at::kFloat).abs().max(1));
  return at::where(max_abs > 0, max_abs / 127.0, at::ones_like(max_abs)).contiguous();
}

at::Tensor fake_quantize_int8_weight(const at::Tensor& weight) {
  const at::Tensor scales = int8_weight_scales(weight.reshape({weight.size(0), -1}));
  const at::Tensor zero_points = at::zeros({weight.size(0)}, at::kInt);
  return at::fake_quantize_per_channel_affine(weight, scales, zero_points, 0, -127, 127);
}

ActivationScales calibrate_activation_scales(models::Classifier& model,
                                             const data::Normalization& normalization,
                                             const at::Tensor& raw_calibration,
                                             const ObserverOptions& observer) {
  DISTILL_CHECK(raw_calibration.defined() && raw_calibration.size(0) > 0,
                "quantization needs at least one calibration sample");
  at::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  std::vector<std::string> hidden;
  for (const std::string& name : model.tap_names())
    if (name.rfind("hidden", 0) == 0) hidden.push_back(name);
  models::FeatureTaps taps(hidden);
  const at::Tensor inputs = raw_calibration.to(at::kFloat);
  model.forward(normalization.empty() ? inputs : normalization.apply(inputs), taps);
  model.train(was_training);
  ActivationScales scales;
  for (const std::string& name : hidden) {
    const auto [lo, hi] = observe_range(taps.get(name), observer);
    int32_t zero_point;
    kernels::uint8_range_parameters(lo, hi, &scales[name], &zero_point);
  }
  return scales;
}

FakeQuantization::FakeQuantization(ActivationScales scales) : scales_(std::move(scales)) {
  for (const auto& [tap, scale] : scales_)
    DISTILL_CHECK(std::isfinite(scale) && scale > 0, "activation scale of '", tap,
                  "' must be finite and > 0, got ", scale);
}

at::Tensor FakeQuantization::weight(const std::string&, const at::Tensor& weight) {
  return fake_quantize_int8_weight(weight);
}

at::Tensor FakeQuantization::activation(const std::string& tap, const at::Tensor& activation) {
  const auto found = scales_.find(tap);
  DISTILL_CHECK(found != scales_.end(), "no calibrated activation scale for '", tap, "'");
  return at::fake_quantize_per_tensor_affine(activation, found->second, 0, 0, 255);
}

}  // namespace distill::compression
