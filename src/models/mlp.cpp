// The MLP classifier.
#include "distill/models/mlp.h"

#include <ATen/ATen.h>

#include <numeric>
#include <sstream>

#include "activation.h"
#include "distill/core/error.h"
#include "distill/models/model_family.h"
#include "distill/ops/dropout.h"
#include "distill/ops/linear.h"

namespace distill::models {

Mlp::Mlp(const ModelSpec& spec) : Classifier(spec) {
  int64_t width = std::accumulate(spec.input_shape.begin(), spec.input_shape.end(), int64_t{1},
                                  std::multiplies<>());
  std::vector<int64_t> widths = spec.hidden;
  widths.push_back(spec.num_classes);
  for (size_t i = 0; i < widths.size(); ++i) {
    layers_.push_back(register_module("fc" + std::to_string(i + 1),
                                      torch::nn::Linear(width, widths[i])));
    width = widths[i];
  }
}

std::vector<std::string> Mlp::tap_names() const {
  std::vector<std::string> names;
  for (size_t i = 1; i < layers_.size(); ++i) names.push_back("hidden" + std::to_string(i));
  names.push_back("logits");
  return names;
}

at::Tensor Mlp::run(const at::Tensor& inputs, FeatureTaps* taps) {
  QuantizationHooks* hooks = quantization_hooks();
  auto weight_of = [&](size_t i) {
    const at::Tensor& w = layers_[i]->weight;
    return hooks ? hooks->weight("fc" + std::to_string(i + 1), w) : w;
  };
  at::Tensor x = inputs.flatten(1);
  const size_t last = layers_.size() - 1;
  for (size_t i = 0; i < last; ++i) {
    const std::string tap = "hidden" + std::to_string(i + 1);
    x = activate(spec().activation, ops::linear(x, weight_of(i), layers_[i]->bias));
    if (hooks) x = hooks->activation(tap, x);
    if (spec().dropout > 0) x = ops::dropout(x, spec().dropout, is_training());
    if (taps) taps->record(tap, x);
  }
  x = ops::linear(x, weight_of(last), layers_[last]->bias);
  if (taps) taps->record("logits", x);
  return x;
}

}  // namespace distill::models

namespace distill::models {
namespace {

double mlp_parameters(const ModelSpec& spec) {
  double width = std::accumulate(spec.input_shape.begin(), spec.input_shape.end(), 1.0,
                                 std::multiplies<>());
  double total = 0;
  for (int64_t h : spec.hidden) {
    total += (width + 1) * static_cast<double>(h);
    width = static_cast<double>(h);
  }
  return total + (width + 1) * static_cast<double>(spec.num_classes);
}

void validate_mlp(const ModelSpec& spec, const std::string& where) {
  DISTILL_CHECK(spec.hidden.size() <= kMaxModelLayers, where, ": ", spec.hidden.size(),
                " hidden layers, expected at most ", kMaxModelLayers);
  for (size_t i = 0; i < spec.hidden.size(); ++i) {
    const int64_t h = spec.hidden[i];
    DISTILL_CHECK(h > 0, where, ".hidden[", i, "] = ", h, ": expected a layer width > 0");
    DISTILL_CHECK(h <= kMaxModelDimension, where, ".hidden[", i, "] = ", h, ": expected at most ",
                  kMaxModelDimension);
  }
}

std::string describe_mlp(const ModelSpec& spec) {
  std::string out = std::to_string(std::accumulate(
      spec.input_shape.begin(), spec.input_shape.end(), int64_t{1}, std::multiplies<>()));
  for (int64_t h : spec.hidden) out += '-' + std::to_string(h);
  out += '-' + std::to_string(spec.num_classes) + ' ' + to_string(spec.activation);
  if (spec.dropout > 0) {
    std::ostringstream dropout;
    dropout << " dropout " << spec.dropout;
    out += dropout.str();
  }
  return out;
}

}  // namespace

ModelFamily mlp_family() {
  ModelFamily family;
  family.kind = ModelKind::kMlp;
  family.input = ModelInput::kFeatures;
  family.validate = validate_mlp;
  family.parameter_bound = mlp_parameters;
  family.minimum_parameters = mlp_parameters;  // exact
  family.describe = describe_mlp;
  family.build = [](const ModelSpec& spec) -> ClassifierPtr { return std::make_shared<Mlp>(spec); };
  return family;
}

}  // namespace distill::models
