// The ResNet-style classifier.
#include "distill/models/resnet.h"

#include <ATen/ATen.h>

#include "distill/models/cnn_taps.h"
#include "distill/models/linear_forward.h"

namespace distill::models {

ResNet::ResNet(const ModelSpec& spec) : Classifier(spec) {
  const auto& channels = spec.channels;
  stem_ = register_module("stem", ConvBn(spec.input_shape[0], channels[0], 3, 1, 1));
  int64_t width = channels[0];
  for (size_t s = 0; s < channels.size(); ++s) {
    std::vector<ResidualBlock> blocks;
    for (int64_t b = 0; b < spec.blocks_per_stage; ++b) {
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
      blocks.push_back(register_module(
          "stage" + std::to_string(s + 1) + "_block" + std::to_string(b + 1),
          ResidualBlock(width, channels[s], stride)));
      width = channels[s];
    }
    stages_.push_back(std::move(blocks));
  }
  head_ = register_module("head", torch::nn::Linear(width, spec.num_classes));
}

std::vector<std::string> ResNet::tap_names() const { return cnn_tap_names(stages_.size()); }

at::Tensor ResNet::run(const at::Tensor& inputs, FeatureTaps* taps) {
  at::Tensor x = at::relu(stem_->forward(inputs));
  if (taps) taps->record("stem", x);
  for (size_t s = 0; s < stages_.size(); ++s) {
    for (auto& block : stages_[s]) x = block->forward(x);
    if (taps) taps->record("stage" + std::to_string(s + 1), x);
  }
  x = x.mean({2, 3});
  if (taps) taps->record("pooled", x);
  x = linear_forward(head_, x);
  if (taps) taps->record("logits", x);
  return x;
}

}  // namespace distill::models
