// An in-memory labelled dataset, and the operations every data source shares: validation,
// subsetting, train/validation split and input normalisation.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace distill::data {

// N = samples, K = classes; a sample is (C, H, W) for images, (F) for tabular data or (L) token
// ids for text.

/// A labelled dataset held in memory as two contiguous tensors.
struct Dataset {
  at::Tensor features;  // (N, C, H, W) or (N, F) float32, or (N, L) int64 token ids (text)
  at::Tensor labels;    // (N), int64, each in [0, num_classes)
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // empty, or one name per class
  /// Token-id data: every id is < vocab_size (the tokenizer's); 0 for float features.
  int64_t vocab_size = 0;

  int64_t size() const;
  /// The shape of one sample: {C, H, W}, {F} or {L}.
  std::vector<int64_t> sample_shape() const;
  bool has_token_ids() const { return vocab_size > 0; }
  /// The samples at `indices` (int64, (M)), copied into new contiguous tensors.
  Dataset select(const at::Tensor& indices) const;
  /// The first `count` samples (all when count <= 0 or count >= size()).
  Dataset head(int64_t count) const;
};

/// Checks shapes, dtypes and label range; `name` appears in the error ("training set ...").
void validate_dataset(const Dataset& dataset, const std::string& name);

/// A dataset split into the part trained on and the part used for model selection.
struct TrainValidationSplit {
  Dataset train;
  Dataset validation;
};

/// Holds out `validation_size` samples chosen by a seeded shuffle (0 gives an empty validation set).
TrainValidationSplit split_train_validation(const Dataset& dataset, int64_t validation_size,
                                            uint64_t seed);

/// Input standardisation x' = (x - mean) / stddev, per channel for images (C, H, W) and per
/// feature for tabular data (F). Fitted on the training set, applied to every split, and stored
/// with the model so evaluation sees the same inputs.
struct Normalization {
  std::vector<float> mean;    // (C) or (F)
  std::vector<float> stddev;  // (C) or (F), each > 0

  bool empty() const { return mean.empty(); }
  static Normalization fit(const at::Tensor& features);
  /// Returns the normalised copy of `features` (N, C, H, W) or (N, F).
  at::Tensor apply(const at::Tensor& features) const;
  /// The raw features back from normalised ones: x·std + mean.
  at::Tensor invert(const at::Tensor& normalized) const;

 private:
  /// mean and std shaped to broadcast over `features` (N, C, ...) or (N, F).
  std::pair<at::Tensor, at::Tensor> broadcastable(const at::Tensor& features) const;
};

}  // namespace distill::data
