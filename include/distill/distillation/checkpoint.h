// Training checkpoints: everything needed to continue a run exactly where its last complete
// epoch ended (weights, optimizer state, best weights so far, history).
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/optim/optimizer.h>

#include <filesystem>
#include <string>
#include <vector>

#include "distill/distillation/trainer.h"
#include "distill/models/classifier.h"

namespace distill::distillation {

/// The loop state a checkpoint carries besides the tensors.
struct TrainingProgress {
  int64_t completed_epochs = 0;
  int64_t epochs_without_improvement = 0;
  TrainingSummary summary;
  /// Identifies the run (model, objective, options): resuming a different run is refused.
  std::string fingerprint;
};

inline constexpr int64_t kCheckpointVersion = 1;

/// Writes the checkpoint atomically. `objective_state` (may be null): parameters the objective
/// trains beside the model (TrainingObjective::trainable()).
void save_checkpoint(const std::filesystem::path& path, models::Classifier& model,
                     torch::optim::Optimizer& optimizer, const std::vector<at::Tensor>& best_state,
                     const TrainingProgress& progress,
                     torch::nn::Module* objective_state = nullptr);

/// Restores a checkpoint into `model`, `optimizer` and `best_state` (resized to fit). Throws
/// distill::Error when the file is unreadable, of another version, or from another run
/// (fingerprint differs from `expected_fingerprint`).
TrainingProgress load_checkpoint(const std::filesystem::path& path, models::Classifier& model,
                                 torch::optim::Optimizer& optimizer,
                                 std::vector<at::Tensor>& best_state,
                                 const std::string& expected_fingerprint,
                                 torch::nn::Module* objective_state = nullptr);

/// The recipe a checkpoint was written under (its fingerprint), read without restoring
/// anything: what a resumed pipeline compares before it starts. Throws like load_checkpoint.
std::string read_checkpoint_fingerprint(const std::filesystem::path& path);

}  // namespace distill::distillation
