// Masked-token pretraining of a text Transformer on the corpus's own (training) texts, BERT's
// recipe: 15 % of the text positions chosen, 80 % of those replaced by <mask>, 10 % by a random
// piece, 10 % kept; the model predicts the original pieces there (its output layer tied to the
// token embedding). No pretrained checkpoint exists offline, so this is how a "pretrained"
// teacher is made before it is fine-tuned on the labels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "distill/data/dataset.h"
#include "distill/distillation/optimization.h"
#include "distill/models/text_transformer.h"

namespace distill::distillation {

struct MaskedTokenOptions {
  int64_t epochs = 0;  // 0: no pretraining
  int64_t batch_size = 64;
  double mask_probability = 0.15;
  OptimizerOptions optimizer{OptimizerKind::kAdamW, 0.001, 0.9, false, 0.01};
  double max_gradient_norm = 1.0;
};

void validate_masked_token_options(const MaskedTokenOptions& options, const std::string& where);

struct PretrainingSummary {
  std::vector<double> epoch_loss;      // mean cross-entropy over the masked positions
  std::vector<double> epoch_accuracy;  // share of masked positions predicted right
  double seconds = 0;
};

/// One masking of a batch of token ids (B, L): the corrupted ids and the targets (the original
/// id at chosen positions, -100 elsewhere, which cross-entropy ignores). Padding and <cls> are
/// never chosen. Deterministic for `seed`.
struct MaskedBatch {
  at::Tensor inputs;
  at::Tensor targets;
};
MaskedBatch mask_tokens(const at::Tensor& ids, int64_t vocab_size, double mask_probability,
                        uint64_t seed);

/// Pretrains `model` in place on `texts` (token ids; labels unused); linear warm-up over the
/// first epoch's first tenth, then cosine decay. Deterministic for `seed`.
PretrainingSummary pretrain_masked_tokens(models::TextTransformer& model, const data::Dataset& texts,
                                          const MaskedTokenOptions& options, uint64_t seed,
                                          bool show_progress, const std::string& label);

}  // namespace distill::distillation
