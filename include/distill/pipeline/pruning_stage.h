// The pipeline's pruning stage: the distilled student pruned (magnitude: gradually, to a target
// sparsity; neurons: hidden units removed) and fine-tuned with distillation from its unpruned
// self.
#pragma once

#include <filesystem>

#include "distill/config/pipeline_config.h"
#include "distill/models/model_io.h"
#include "distill/pipeline/stages.h"

namespace distill::pipeline {

/// Prunes a copy of `unpruned` as `config.prune` says and fine-tunes it config.prune.epochs on
/// config.distill's objective with the unpruned model as teacher (its logits cached in
/// `cache_dir` when allowed). Magnitude pruning raises the sparsity on a cubic schedule over the
/// first two thirds of the epochs and keeps pruned weights at zero after every step. Saves the
/// model as run.model_path.
TrainedModel prune_with_distillation(const config::PipelineConfig& config,
                                     const models::SavedModel& unpruned,
                                     const data::PreparedData& data, const StageRun& run,
                                     const std::filesystem::path& cache_dir);

}  // namespace distill::pipeline
