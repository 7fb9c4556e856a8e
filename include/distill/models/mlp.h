// A multi-layer perceptron classifier.
#pragma once

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>

#include <vector>

#include "distill/models/classifier.h"

namespace distill::models {

/// Linear layers of widths in_features -> hidden... -> num_classes, the activation and dropout
/// after each hidden layer. Taps: "hidden1", "hidden2", ... (after activation) and "logits".
class Mlp : public Classifier {
 public:
  explicit Mlp(const ModelSpec& spec);
  std::vector<std::string> tap_names() const override;

 protected:
  at::Tensor run(const at::Tensor& inputs, FeatureTaps* taps) override;

 private:
  std::vector<torch::nn::Linear> layers_;
};

}  // namespace distill::models
