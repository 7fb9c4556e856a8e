// Shared pieces of the sequence models over token ids.
#include "token_sequences.h"

#include <ATen/ATen.h>

#include "distill/core/error.h"
#include "distill/text/tokenizer_options.h"

namespace distill::models {

torch::nn::Embedding make_token_embedding(const ModelSpec& spec) {
  return torch::nn::Embedding(
      torch::nn::EmbeddingOptions(spec.vocab_size, spec.embedding_dim).padding_idx(text::kPadTokenId));
}

void check_token_batch(const ModelSpec& spec, const at::Tensor& ids, int64_t least_length) {
  DISTILL_CHECK(ids.dim() == 2 && ids.scalar_type() == at::kLong, describe_model_spec(spec),
                ": expected (B, L) int64 token ids, got ", ids.sizes(), " ", ids.scalar_type());
  DISTILL_CHECK_HINT(ids.size(1) >= least_length, "raise data.text.max_tokens",
                     describe_model_spec(spec), ": needs at least ", least_length,
                     " token positions per text, got ", ids.size(1));
}

void check_spec_range(const std::string& where, const std::string& field, int64_t value, int64_t lo,
                      int64_t hi) {
  DISTILL_CHECK(value >= lo && value <= hi, where, ".", field, " = ", value,
                ": expected a value in [", lo, ", ", hi, "]");
}

at::Tensor token_lengths(const at::Tensor& ids) {
  return (ids != text::kPadTokenId).sum(1).clamp_min(1);
}

}  // namespace distill::models
