// What the sequence models over token ids share: checking a batch of ids, embedding it, and each
// text's length. Texts are <cls> (when the data adds it), their pieces, then padding (id 0) to the
// row's end; padding never comes before a piece.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/embedding.h>

#include <string>

#include "distill/models/model_spec.h"

namespace distill::models {

/// A token embedding whose padding row is zero and stays zero (padding_idx), initialised N(0, 1)
/// like nn.Embedding's.
torch::nn::Embedding make_token_embedding(const ModelSpec& spec);

/// Throws distill::Error naming the model unless `ids` is (B, L) int64 with L >= `least_length`.
void check_token_batch(const ModelSpec& spec, const at::Tensor& ids, int64_t least_length = 1);

/// Throws distill::Error "<where>.<field> = <value>: expected a value in [lo, hi]" when out of range.
void check_spec_range(const std::string& where, const std::string& field, int64_t value, int64_t lo,
                      int64_t hi);

/// (B) int64: each text's tokens before its padding, at least 1 (an all-padding row counts its
/// first position, so every text has a last position to read).
at::Tensor token_lengths(const at::Tensor& ids);

}  // namespace distill::models
