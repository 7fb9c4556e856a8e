// What the single-stage commands (`train`, `distill`) share: where the stage writes, and how
// it ends (evaluation on the test set, a summary, the checkpoint removed).
#pragma once

#include <filesystem>
#include <string>

#include "commands.h"
#include "distill/pipeline/stages.h"

namespace distill::cli {

/// Writes the model to `output` and checkpoints to `output`.ckpt; trains in `group` (null:
/// alone), showing progress on its rank 0 only.
pipeline::StageRun single_stage_run(const std::string& output, bool resume,
                                    const ConfigArguments& arguments, uint64_t seed,
                                    std::shared_ptr<distributed::Communicator> group);

/// Evaluates the trained model, writes its training record, prints its summary line and removes
/// the stage's checkpoint.
/// `teacher_predictions` (N) int64, or undefined, gives the agreement figure.
void finish_stage_command(const std::string& title, const pipeline::TrainedModel& trained,
                          const pipeline::StageRun& run, const data::PreparedData& data,
                          const at::Tensor& teacher_predictions, const LoadedConfig& loaded);

}  // namespace distill::cli
