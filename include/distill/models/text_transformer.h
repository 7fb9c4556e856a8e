// The text teacher: a pre-LN Transformer encoder over token ids with learned positions, a padding
// mask, [CLS] or mean pooling and a linear head — what nn.TransformerEncoder(norm_first=True,
// batch_first=True) computes, with the same parameter layout (tests hold it to PyTorch's values).
#pragma once

#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

#include "distill/models/classifier.h"

namespace distill::models {

/// One pre-LN encoder layer: x + Attention(LN(x)), then x + FF(LN(x)).
struct EncoderLayer {
  torch::nn::LayerNorm attention_norm{nullptr};
  torch::nn::Linear in_projection{nullptr};   // (3E, E): queries, keys, values stacked
  torch::nn::Linear out_projection{nullptr};  // (E, E)
  torch::nn::LayerNorm feed_forward_norm{nullptr};
  torch::nn::Linear feed_forward_in{nullptr};   // (F, E)
  torch::nn::Linear feed_forward_out{nullptr};  // (E, F)
};

/// inputs: (B, L) int64 token ids, 0 for padding -> logits (B, K).
/// Taps: "embedding" (B, L, E), per layer i "attention<i>" (B, heads, L, L: the attention
/// probabilities, before dropout) and "layer<i>" (B, L, E), "pooled" (B, E), "logits".
class TextTransformer : public Classifier {
 public:
  explicit TextTransformer(const ModelSpec& spec);
  std::vector<std::string> tap_names() const override;

  /// The encoder's output after the final norm: (B, L, E).
  at::Tensor encode(const at::Tensor& token_ids, FeatureTaps* taps = nullptr);
  /// Masked-token prediction logits (B, L, V), the output layer tied to the token embedding:
  /// what masked-token pretraining trains.
  at::Tensor token_logits(const at::Tensor& token_ids);
  /// The same logits at the positions where `chosen` (B, L) bool is set only: (M, V), in
  /// row-major order of those positions. What pretraining needs, without the cost of the
  /// output layer at every position.
  at::Tensor token_logits_at(const at::Tensor& token_ids, const at::Tensor& chosen);
  /// The token embedding table (V, E).
  const at::Tensor& token_embedding() const { return token_embedding_->weight; }

 protected:
  at::Tensor run(const at::Tensor& inputs, FeatureTaps* taps) override;

 private:
  /// Self-attention of one layer; records its probabilities as `tap` when `taps` is given.
  at::Tensor attention(const EncoderLayer& layer, const at::Tensor& x, const at::Tensor& key_mask,
                       const std::string& tap, FeatureTaps* taps) const;

  torch::nn::Embedding token_embedding_{nullptr};
  torch::nn::Embedding position_embedding_{nullptr};
  std::vector<EncoderLayer> layers_;
  torch::nn::LayerNorm final_norm_{nullptr};
  torch::nn::Linear head_{nullptr};
  at::Tensor token_bias_;  // (V): the masked-token output layer's bias
};

}  // namespace distill::models
