// The ResNet-style and MobileNet-style classifiers.
#include "distill/models/staged_cnn.h"

#include <ATen/ATen.h>

#include "distill/core/error.h"
#include "distill/models/model_family.h"
#include "distill/ops/linear.h"

namespace distill::models {
namespace {

torch::nn::AnyModule make_block(ModelKind kind, int64_t in, int64_t out, int64_t stride) {
  if (kind == ModelKind::kResNet) return torch::nn::AnyModule(ResidualBlock(in, out, stride));
  return torch::nn::AnyModule(DepthwiseSeparableBlock(in, out, stride));
}

}  // namespace

StagedCnn::StagedCnn(const ModelSpec& spec) : Classifier(spec) {
  const auto& channels = spec.channels;
  stem_ = register_module("stem", ConvBn(spec.input_shape[0], channels[0], 3, 1, 1));
  int64_t width = channels[0];
  for (size_t s = 0; s < channels.size(); ++s) {
    std::vector<torch::nn::AnyModule> blocks;
    for (int64_t b = 0; b < spec.blocks_per_stage; ++b) {
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
      blocks.push_back(make_block(spec.kind, width, channels[s], stride));
      register_module("stage" + std::to_string(s + 1) + "_block" + std::to_string(b + 1),
                      blocks.back().ptr());
      width = channels[s];
    }
    stages_.push_back(std::move(blocks));
  }
  head_ = register_module("head", torch::nn::Linear(width, spec.num_classes));
}

std::vector<std::string> StagedCnn::tap_names() const {
  std::vector<std::string> names = {"stem"};
  for (size_t s = 1; s <= stages_.size(); ++s) names.push_back("stage" + std::to_string(s));
  names.push_back("pooled");
  names.push_back("logits");
  return names;
}

at::Tensor StagedCnn::run(const at::Tensor& inputs, FeatureTaps* taps) {
  at::Tensor x = stem_->forward(
      inputs, spec().kind == ModelKind::kResNet ? ConvActivation::kRelu : ConvActivation::kRelu6);
  if (taps) taps->record("stem", x);
  for (size_t s = 0; s < stages_.size(); ++s) {
    for (auto& block : stages_[s]) x = block.forward(x);
    if (taps) taps->record("stage" + std::to_string(s + 1), x);
  }
  x = x.mean({2, 3});
  if (taps) taps->record("pooled", x);
  x = ops::linear(x, head_->weight, head_->bias);
  if (taps) taps->record("logits", x);
  return x;
}

}  // namespace distill::models

namespace distill::models {
namespace {

/// An upper bound on the parameter count of a spec whose sizes are each <= kMaxModelDimension,
/// so the products cannot overflow (at most 2^24 * 2^24 * 9 * 3 per layer, 256 layers).
double cnn_parameter_bound(const ModelSpec& spec) {
  double total = 0;
  double previous = static_cast<double>(spec.input_shape[0]);
  for (int64_t c : spec.channels) {
    const double channels = static_cast<double>(c);
    total += static_cast<double>(spec.blocks_per_stage) *
             (9 * (previous + channels) * channels + previous * channels + 4 * channels);
    previous = channels;
  }
  return total + (previous + 1) * static_cast<double>(spec.num_classes);
}

/// The stem's 3x3 convolution, one (pointwise or full) convolution per block, the head.
double cnn_minimum_parameters(const ModelSpec& spec) {
  double width = static_cast<double>(spec.channels.at(0));
  double total = 9 * static_cast<double>(spec.input_shape.at(0)) * width;
  for (int64_t c : spec.channels) {
    total += static_cast<double>(spec.blocks_per_stage) * width * static_cast<double>(c);
    width = static_cast<double>(c);
  }
  return total + (width + 1) * static_cast<double>(spec.num_classes);
}

void validate_cnn(const ModelSpec& spec, const std::string& where) {
  DISTILL_CHECK(!spec.channels.empty(), where, ".channels: expected at least one stage");
  DISTILL_CHECK(spec.channels.size() <= kMaxModelLayers, where, ": ", spec.channels.size(),
                " stages, expected at most ", kMaxModelLayers);
  for (size_t i = 0; i < spec.channels.size(); ++i) {
    const int64_t c = spec.channels[i];
    DISTILL_CHECK(c > 0 && c <= kMaxModelDimension, where, ".channels[", i, "] = ", c,
                  ": expected a value in [1, ", kMaxModelDimension, "]");
  }
  const auto max_blocks = static_cast<int64_t>(kMaxModelLayers);
  DISTILL_CHECK(spec.blocks_per_stage >= 1 && spec.blocks_per_stage <= max_blocks, where,
                ".blocks_per_stage = ", spec.blocks_per_stage, ": expected 1 to ", max_blocks);
  const size_t halvings = spec.channels.size() - 1;  // < kMaxModelLayers, so the shift is defined
  const int64_t downsampling = halvings < 62 ? int64_t{1} << halvings : INT64_MAX;
  DISTILL_CHECK(spec.input_shape[1] >= downsampling && spec.input_shape[2] >= downsampling, where,
                ": ", spec.channels.size(), " stages halve ", spec.input_shape[1], "x",
                spec.input_shape[2], " images ", spec.channels.size() - 1,
                " times; use fewer stages");
}

std::string describe_cnn(const ModelSpec& spec) {
  std::string out = "channels ";
  for (size_t i = 0; i < spec.channels.size(); ++i)
    out += (i ? "-" : "") + std::to_string(spec.channels[i]);
  return out + " x" + std::to_string(spec.blocks_per_stage) + " blocks, " +
         std::to_string(spec.num_classes) + " classes";
}

ModelFamily cnn_family(ModelKind kind) {
  ModelFamily family;
  family.kind = kind;
  family.input = ModelInput::kImages;
  family.validate = validate_cnn;
  family.parameter_bound = cnn_parameter_bound;
  family.minimum_parameters = cnn_minimum_parameters;
  family.describe = describe_cnn;
  family.build = [](const ModelSpec& spec) -> ClassifierPtr {
    return std::make_shared<StagedCnn>(spec);
  };
  return family;
}

}  // namespace

ModelFamily resnet_family() { return cnn_family(ModelKind::kResNet); }
ModelFamily mobilenet_family() { return cnn_family(ModelKind::kMobileNet); }

}  // namespace distill::models
