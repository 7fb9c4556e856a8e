// The ResNet-style and MobileNet-style classifiers.
#include "distill/models/staged_cnn.h"

#include <ATen/ATen.h>

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
  at::Tensor x = stem_->forward(inputs);
  x = spec().kind == ModelKind::kResNet ? at::relu(x) : at::hardtanh(x, 0.0, 6.0);  // relu6
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
