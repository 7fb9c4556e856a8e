// A convolutional text student (Kim 2014): token embeddings, 1-D convolutions of several widths
// with ReLU, each filter's maximum over the text's windows, and a linear head — what a PyTorch
// user writes with nn.Embedding(padding_idx=0), nn.Conv1d and a max over time (tests hold it to
// PyTorch's values).
#pragma once

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include <vector>

#include "distill/models/classifier.h"

namespace distill::models {

/// inputs: (B, L) int64 token ids, 0 for padding -> logits (B, K). A text's windows are those
/// that start at positions 0 .. max(0, length − width), so padding after a text never changes
/// its logits (a text shorter than a width has one window, padded).
/// Taps: "embedding" (B, L, E), "pooled" (B, widths·filters), "logits".
class TextCnn : public Classifier {
 public:
  explicit TextCnn(const ModelSpec& spec);
  std::vector<std::string> tap_names() const override;

  const torch::nn::Embedding& token_embedding() const { return token_embedding_; }
  /// One per entry of spec().kernel_widths: weight (filters, E, width), bias (filters).
  const std::vector<torch::nn::Conv1d>& convolutions() const { return convolutions_; }
  const torch::nn::Linear& head() const { return head_; }

 protected:
  at::Tensor run(const at::Tensor& inputs, FeatureTaps* taps) override;

 private:
  torch::nn::Embedding token_embedding_{nullptr};
  std::vector<torch::nn::Conv1d> convolutions_;
  torch::nn::Linear head_{nullptr};
};

}  // namespace distill::models
