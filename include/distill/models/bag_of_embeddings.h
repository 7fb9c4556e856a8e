// The text student users already know from fastText: the mean of a text's token embeddings and
// of its hashed adjacent-token bigrams' embeddings, then one linear layer.
#pragma once

#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include <vector>

#include "distill/models/classifier.h"

namespace distill::models {

/// The rows of a batch's bag: per text, its counted tokens (text::bag_counts_token) and then the
/// vocab_size + bucket rows of its bigrams, concatenated, with each text's start offset — what
/// at::embedding_bag and the int8 runtime read.
struct BagRows {
  std::vector<int64_t> rows;
  std::vector<int64_t> offsets;  // (B)
};
BagRows bag_rows(const at::Tensor& token_ids, int64_t vocab_size, int64_t bigram_buckets);

/// inputs: (B, L) int64 token ids -> logits (B, K). Taps: "pooled" (B, E), "logits".
class BagOfEmbeddings : public Classifier {
 public:
  explicit BagOfEmbeddings(const ModelSpec& spec);
  std::vector<std::string> tap_names() const override;

  /// The table (vocab_size + bigram_buckets, E) and the head.
  const at::Tensor& embeddings() const { return embeddings_; }
  const torch::nn::Linear& head() const { return head_; }

 protected:
  at::Tensor run(const at::Tensor& inputs, FeatureTaps* taps) override;

 private:
  at::Tensor embeddings_;
  torch::nn::Linear head_{nullptr};
};

}  // namespace distill::models
