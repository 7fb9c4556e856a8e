// The data a distillation stage trains on: the prepared data, with Tang et al.'s augmented
// copies of the training texts added when distill.transfer_set asks for them.
#pragma once

#include <cstdint>

#include "distill/config/pipeline_config.h"
#include "distill/data/data_source.h"
#include "distill/models/classifier.h"

namespace distill::pipeline {

/// `data` itself when transfer_set.copies is 0; else `data` whose training split is the training
/// texts followed by their augmented copies (token ids; similar tokens from `teacher`'s token
/// embedding). Validation and test are unchanged. Deterministic for `seed`.
data::PreparedData with_transfer_set(const data::PreparedData& data,
                                     const data::TokenAugmentationOptions& transfer_set,
                                     models::Classifier& teacher, uint64_t seed,
                                     bool show_progress);

}  // namespace distill::pipeline
