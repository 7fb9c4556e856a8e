// The CNN families: a stem convolution, stages of blocks (each stage after the first halves the
// resolution), global average pooling and a linear head. The block decides the family:
// residual basic blocks make the ResNet-style teacher, depthwise-separable blocks the
// MobileNet-style student.
#pragma once

#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/linear.h>

#include <vector>

#include "distill/models/classifier.h"
#include "distill/models/conv_blocks.h"

namespace distill::models {

/// A resnet or mobilenet ModelSpec as a network. Taps: "stem", "stage1", ..., "pooled", "logits".
class StagedCnn : public Classifier {
 public:
  explicit StagedCnn(const ModelSpec& spec);
  std::vector<std::string> tap_names() const override;

 protected:
  at::Tensor run(const at::Tensor& inputs, FeatureTaps* taps) override;

 private:
  ConvBn stem_{nullptr};
  std::vector<std::vector<torch::nn::AnyModule>> stages_;
  torch::nn::Linear head_{nullptr};
};

}  // namespace distill::models
