// Batched inference over a whole feature tensor.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "distill/core/progress_bar.h"
#include "distill/models/classifier.h"

namespace distill::models {

// N = samples, K = classes.

/// features: (N, ...) -> logits (N, K), computed in eval mode without gradients, in batches of
/// `batch_size`. The model's train/eval mode is restored afterwards. `progress`, when given, is
/// advanced by one step per batch (see predict_batch_count).
at::Tensor predict_logits(Classifier& model, const at::Tensor& features, int64_t batch_size,
                          ProgressBar* progress = nullptr);

}  // namespace distill::models
