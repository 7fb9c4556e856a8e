// A ResNet-style CNN classifier (basic blocks), the usual teacher for image data.
#pragma once

#include <torch/nn/modules/linear.h>

#include <vector>

#include "distill/models/classifier.h"
#include "distill/models/conv_blocks.h"

namespace distill::models {

/// stem conv3x3 -> stages of residual blocks (stage i > 0 halves the resolution) -> global
/// average pool -> linear. Taps: "stem", "stage1", ..., "pooled", "logits".
class ResNet : public Classifier {
 public:
  explicit ResNet(const ModelSpec& spec);
  std::vector<std::string> tap_names() const override;

 protected:
  at::Tensor run(const at::Tensor& inputs, FeatureTaps* taps) override;

 private:
  ConvBn stem_{nullptr};
  std::vector<std::vector<ResidualBlock>> stages_;
  torch::nn::Linear head_{nullptr};
};

}  // namespace distill::models
