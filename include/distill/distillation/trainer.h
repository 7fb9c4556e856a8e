// The training loop shared by every stage: teacher, baseline student, distilled student and
// fine-tuning. What is minimised is a TrainingObjective; everything else is TrainOptions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "distill/core/run_recipe.h"
#include "distill/data/augmentation.h"
#include "distill/data/dataset.h"
#include "distill/distillation/objective.h"
#include "distill/distillation/optimization.h"
#include "distill/models/classifier.h"

namespace distill::distributed {
class Communicator;
}

namespace distill::distillation {

struct TrainOptions {
  /// Names the run in progress lines and errors ("teacher", "student-distilled").
  std::string label = "train";
  int64_t epochs = 10;
  int64_t batch_size = 128;
  /// Rows per forward and backward pass (0: the whole batch at once). A batch larger than this
  /// runs in passes whose gradients add up to the batch's before the one optimizer step —
  /// gradient accumulation: the same batch_size and lr mean the same, while the activations
  /// held at once shrink to a pass's (a long-text Transformer's attention grows with batch ×
  /// length²). Equal to one pass up to float rounding when the loss is a mean over rows; batch
  /// norm's statistics, dropout's draws and loss terms that compare rows with each other
  /// (relational KD) see each pass alone.
  int64_t micro_batch_size = 0;
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  /// Stop after this many epochs without a better validation accuracy (0: never stop early).
  /// The weights of the best validation epoch are kept either way.
  int64_t early_stopping_patience = 0;
  /// Rescale the gradients when their global L2 norm exceeds this before each step (0: never).
  double max_gradient_norm = 0;
  data::AugmentationOptions augmentation;
  /// Per-channel value of pixels shifted in by augmentation (see PreparedData::background).
  std::vector<float> augmentation_fill;
  uint64_t seed = 0;
  /// What produced this training beyond these options — the caller's config, the data's and the
  /// teacher's identity. Checkpoints record it with every option above (training_recipe()); a
  /// checkpoint resumes only under an equal recipe. Without a "data.content" entry the trainer
  /// hashes the training set itself.
  RunRecipe recipe;
  /// Where to write the checkpoint after every epoch (empty: no checkpoints).
  std::filesystem::path checkpoint_path;
  /// Continue from checkpoint_path when it exists.
  bool resume = false;
  bool show_progress = true;
  /// Called at the start of every epoch (0-based; also the first epoch after a resume) and after
  /// every optimizer step; pruning updates and applies its masks through them. They must depend
  /// only on the epoch and the weights, so that a resumed run matches an uninterrupted one.
  std::function<void(int64_t epoch)> on_epoch_start;
  std::function<void()> after_step;
  /// Data-parallel training over several processes (null: this process alone). Every rank
  /// visits the same global batches and takes its shard of each (distributed::shard_of); the
  /// shards' gradients are summed so that a step is the single-process step on the whole batch:
  /// the same batch_size and lr mean the same. Dropout and augmentation draw per-rank streams;
  /// batch norm uses each shard's statistics. The checkpoint is written where the process writes
  /// files (rank 0: core/atomic_file.h); every rank resumes from it.
  std::shared_ptr<distributed::Communicator> communicator;
};

struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  double train_loss = 0;
  double train_accuracy = 0;
  double validation_accuracy = -1;  // -1 without a validation set
  double learning_rate = 0;
  double seconds = 0;
};

/// How far the soft labels a student learned from are from the fp32 teacher's, when they came
/// from an approximation of it (distill.teacher_precision: int8), on the validation split.
struct TeacherDrift {
  int64_t samples = 0;
  double temperature = 1;
  double mean_kl = 0;         // KL(fp32 soft labels ‖ approximation's), nats per sample
  double top1_agreement = 1;  // fraction of samples with the same top-1 class
};

struct TrainingSummary {
  std::string objective;
  std::vector<EpochRecord> history;
  int64_t best_epoch = 0;                 // the epoch whose weights were kept
  double best_validation_accuracy = -1;   // -1 without a validation set
  bool stopped_early = false;
  int64_t resumed_after_epoch = 0;        // 0 unless resumed from a checkpoint
  double seconds = 0;                     // training wall time, summed over all epochs
  /// Seconds spent on the teacher's soft labels before training: computing the soft-label
  /// cache (0 when it was reused, or the teacher ran live).
  double soft_label_seconds = 0;
  /// Set when the teacher ran as an approximation of itself (its int8 model).
  std::optional<TeacherDrift> teacher_drift;
  /// What computed the teacher's logits (a core/inference_engines.h name); "" without a teacher.
  std::string teacher_engine;
};

/// Trains `model` in place on `train`, selecting the weights of the best `validation` epoch.
/// A non-finite loss stops training with an error naming the epoch and batch; the checkpoint of
/// the last complete epoch stays on disk.
TrainingSummary train_model(models::Classifier& model, TrainingObjective& objective,
                            const data::Dataset& train, const data::Dataset& validation,
                            const TrainOptions& options);

/// Everything that determines a training's result: `options.recipe`, then the model's
/// architecture, the objective, every option (optimizer, schedule, augmentation, early stopping,
/// seed) and the training set's size, and its content hash unless the recipe has one. A
/// checkpoint stores it; resuming under another recipe is refused, naming the keys that differ.
RunRecipe training_recipe(const models::Classifier& model, const TrainingObjective& objective,
                          const data::Dataset& train, const TrainOptions& options);

/// A content hash of a dataset's features and labels (for recipes: "data.content").
std::string dataset_content_hash(const data::Dataset& dataset);

/// Throws distill::Error for an out-of-range option; `where` prefixes the message.
void validate_train_options(const TrainOptions& options, const std::string& where);

}  // namespace distill::distillation
