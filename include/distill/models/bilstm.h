// A recurrent text student (Tang et al. 2019, "Distilling Task-Specific Knowledge from BERT into
// Simple Neural Networks"): token embeddings, a bidirectional LSTM (stacked `layers` deep), the
// forward direction's state after a text's last token joined with the backward direction's after
// its first, and a linear head — nn.LSTM(bidirectional=True) over a packed batch, with the same
// parameter layout per direction (tests hold it to PyTorch's values).
#pragma once

#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>

#include <vector>

#include "distill/models/classifier.h"

namespace distill::models {

/// inputs: (B, L) int64 token ids, 0 for padding -> logits (B, K). Each direction reads only the
/// text's own tokens (the backward one runs over the text reversed within its length), so
/// padding never changes a text's logits. Units per direction: spec().hidden[0].
/// Taps: "embedding" (B, L, E), "layer1" ... "layerN" (B, L, 2H), "pooled" (B, 2H), "logits".
class BiLstm : public Classifier {
 public:
  explicit BiLstm(const ModelSpec& spec);
  std::vector<std::string> tap_names() const override;

  const torch::nn::Embedding& token_embedding() const { return token_embedding_; }
  /// Per layer, one single-layer LSTM per direction (weight_ih_l0, weight_hh_l0, bias_ih_l0,
  /// bias_hh_l0: PyTorch's gate order i, f, g, o).
  const std::vector<torch::nn::LSTM>& forward_layers() const { return forward_; }
  const std::vector<torch::nn::LSTM>& backward_layers() const { return backward_; }
  const torch::nn::Linear& head() const { return head_; }

 protected:
  at::Tensor run(const at::Tensor& inputs, FeatureTaps* taps) override;

 private:
  torch::nn::Embedding token_embedding_{nullptr};
  std::vector<torch::nn::LSTM> forward_;
  std::vector<torch::nn::LSTM> backward_;
  torch::nn::Linear head_{nullptr};
};

/// (B, L) int64: position t of row b reads position (t < length_b ? length_b − 1 − t : t) — the
/// text reversed within its length, padding left in place. Its own inverse.
at::Tensor reversal_within_lengths(const at::Tensor& lengths, int64_t positions);

}  // namespace distill::models
