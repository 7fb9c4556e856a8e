// The teacher-labelled augmented transfer set of Tang et al. 2019 ("Distilling Task-Specific
// Knowledge from BERT into Simple Neural Networks", §3.3), on token ids: every training text is
// copied with tokens masked or replaced by similar tokens, and some copies cut to a random n-gram.
// The teacher labels the copies, so the student learns the teacher's function on more of the
// input space than the training texts cover. Deterministic for a seed.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "distill/data/dataset.h"

namespace distill::data {

struct TokenAugmentationOptions {
  /// Augmented copies of each training text (0: no transfer set, the training texts alone).
  int64_t copies = 0;
  /// Per token, one draw: <mask> with mask_probability, else a similar token (one of the
  /// `neighbours` nearest in the teacher's embedding space) with replace_probability.
  double mask_probability = 0.1;
  double replace_probability = 0.1;
  int64_t neighbours = 8;
  /// Per copy: with this probability keep only a window of 1 to ngram_max_tokens tokens.
  double ngram_probability = 0.25;
  int64_t ngram_max_tokens = 16;
};

/// Throws distill::Error naming `where`'s field for an out-of-range option.
void validate_token_augmentation(const TokenAugmentationOptions& options, const std::string& where);

/// The `k` nearest token ids of every token by cosine similarity of `embedding` rows (V, E),
/// itself and the special ids (below text::kFirstPieceId) excluded: (V, k) int64.
at::Tensor nearest_tokens(const at::Tensor& embedding, int64_t k);

/// `options.copies` augmented copies of every sample of `train` (token ids (N, L), <cls> first
/// when train has it), in sample order and copy order: (N·copies, L), each with its original's
/// label. `neighbours` (V, k) from nearest_tokens, or undefined when replace_probability is 0.
Dataset augment_token_dataset(const Dataset& train, const TokenAugmentationOptions& options,
                              const at::Tensor& neighbours, uint64_t seed);

}  // namespace distill::data
