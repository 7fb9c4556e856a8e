// Batched inference over a whole feature tensor.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "distill/core/progress_bar.h"
#include "distill/models/classifier.h"

namespace distill::models {

// N = samples, K = classes.

/// Token ids a forward pass of inference takes at most: a batch of texts is run in chunks of
/// at most this many positions (rows × length). A sequence model's intermediates grow with the
/// positions (a Transformer's attention with rows × length²): kept under glibc's 32 MiB ceiling
/// for heap blocks, they are reused from one chunk to the next instead of being mapped and
/// faulted in afresh. 2×128 Transformer, 128 tokens, 2 cores: 64 rows per pass infers ~4× as
/// fast as 128 or 500 rows (docs/text.md).
inline constexpr int64_t kInferenceTokensPerPass = 8192;

/// Rows of `features` one forward pass of predict_logits takes: `batch_size`, or fewer for token
/// ids (int64, (N, L)) so that rows × L <= kInferenceTokensPerPass (at least one row).
int64_t inference_rows_per_pass(const at::Tensor& features, int64_t batch_size);

/// features: (N, ...) -> logits (N, K), computed in eval mode without gradients, in batches of
/// `batch_size` (each run in passes of inference_rows_per_pass rows). The model's train/eval
/// mode is restored afterwards. `progress`, when given, is advanced by one step per batch.
at::Tensor predict_logits(Classifier& model, const at::Tensor& features, int64_t batch_size,
                          ProgressBar* progress = nullptr);

}  // namespace distill::models
