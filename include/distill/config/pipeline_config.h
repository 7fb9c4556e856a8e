// The whole configuration of a distill run, filled from YAML. Every field has a default; the
// YAML only overrides. docs/config.md documents every key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "distill/compression/int8_export.h"
#include "distill/data/data_source.h"
#include "distill/distillation/ensemble_teacher.h"
#include "distill/distillation/feature_distillation.h"
#include "distill/distillation/kd_loss.h"
#include "distill/distillation/objective.h"
#include "distill/distillation/trainer.h"
#include "distill/evaluation/speed.h"
#include "distill/data/token_augmentation.h"
#include "distill/distillation/masked_token_pretraining.h"
#include "distill/kernels/compute_path.h"
#include "distill/models/model_spec.h"

namespace distill::config {

/// One model and how to train it (the teacher, or the student used for baseline and distillation).
struct ModelStageConfig {
  models::ModelSpec model;
  distillation::TrainOptions train;
  /// Student only: how the baseline (the student on labels alone) trains — `train` with the keys
  /// of the `baseline_train` section on top, so a label-trained student can get the recipe
  /// chosen for it on validation rather than the distilled student's.
  distillation::TrainOptions baseline_train;
  /// Teacher only: a saved model file used instead of training one.
  std::string load;
  /// Text Transformers: masked-token pretraining on the training texts before training on
  /// labels (epochs 0: none).
  distillation::MaskedTokenOptions pretrain;
};

/// Where the distilled student's teacher logits come from.
enum class TeacherOutputs {
  kAuto,    // cached when the student's training has no random augmentation, else live
  kLive,    // the teacher runs on every batch
  kCached,  // computed once per (teacher, data) and looked up (needs no augmentation)
};

/// What runs the teacher when it runs live.
enum class TeacherPrecision {
  kFp32,  // the teacher model itself
  kInt8,  // its int8 model in the runtime (MLP and CNN teachers), quantized at the start
};

struct DistillStageConfig {
  distillation::KdLossOptions loss;
  distillation::DistillationMode mode = distillation::DistillationMode::kSoft;
  /// Optional fine-tuning of the distilled student on labels alone.
  int64_t finetune_epochs = 0;
  double finetune_lr = 0.005;
  TeacherOutputs teacher_outputs = TeacherOutputs::kAuto;
  /// kInt8: the teacher runs live from its int8 model on every batch (no soft-label cache), and
  /// the drift of its soft labels from the fp32 teacher's is measured on the validation split.
  TeacherPrecision teacher_precision = TeacherPrecision::kFp32;
  /// Directory of the soft-label cache files ("": a soft-label-cache folder beside the models).
  std::string cache_dir;
  /// Intermediate-layer terms added to the logit loss (hints, attention, relational KD); they
  /// need the live teacher.
  std::vector<distillation::FeatureTerm> features;
  /// FitNets' first stage: epochs training on the hint terms alone before distillation.
  int64_t hint_stage_epochs = 0;
  /// Multi-teacher distillation: more teacher files (distill or TorchScript) whose soft labels
  /// are combined with the run's teacher's.
  std::vector<std::string> extra_teachers;
  distillation::TeacherCombination teacher_combination = distillation::TeacherCombination::kAverage;
  /// kWeights: one weight per teacher, the run's teacher first.
  std::vector<double> teacher_weights;
  /// Text: Tang et al.'s augmented transfer set, labelled by the teacher (copies 0: none).
  data::TokenAugmentationOptions transfer_set;
};

/// Post-training int8 quantization of the distilled student (for the int8 runtime).
struct QuantizeStageConfig {
  bool enabled = true;
  compression::Int8ExportOptions options;
  /// Training samples (the first ones of the training split) used to calibrate static ranges.
  int64_t calibration_samples = 2000;
  /// Distill-while-quantizing: epochs of quantization-aware training from the run's teacher
  /// after post-training quantization (0: skip), and their learning rate.
  int64_t qat_epochs = 2;
  double qat_lr = 0.005;
  /// The loss of that training, its own temperature and label weight rather than distill's:
  /// the teacher's unsoftened probabilities with the labels weighted equally end above the fp32
  /// student where a softened objective does not (docs/int8.md has the measurements).
  distillation::KdLossOptions qat_loss{1.0, 0.5};
};

enum class PruneKind { kNone, kMagnitude, kNeurons };

/// Pruning of the distilled student, fine-tuned with distillation from its unpruned self.
struct PruneStageConfig {
  PruneKind kind = PruneKind::kNone;
  /// kMagnitude: the fraction of weights set to zero at the end (global, gradual).
  double target_sparsity = 0.8;
  /// kNeurons: the fraction of each hidden layer's units kept.
  double keep_fraction = 0.5;
  int64_t epochs = 6;
  double lr = 0.01;
};

/// Self-distillation, reported beside the other students.
struct SelfDistillConfig {
  /// Born-again networks: students of the teacher's architecture and training recipe, generation
  /// 1 distilled from the teacher, each next one from the previous (0: off).
  int64_t generations = 0;
  /// Teacher-free KD: the config's student distilled from a virtual teacher that puts
  /// `virtual_confidence` on the true class and spreads the rest uniformly.
  bool teacher_free = false;
  double virtual_confidence = 0.9;
};

struct EvaluationConfig {
  int64_t batch_size = 1000;
  bool measure_speed = true;
  evaluation::SpeedOptions speed;
};

struct PipelineConfig {
  uint64_t seed = 0;
  /// libtorch intra-op threads; 0 uses every core.
  int64_t threads = 0;
  /// The layers' implementation: the fast path (oneDNN, fused kernels) or plain libtorch.
  kernels::ComputePath compute = kernels::ComputePath::kFast;
  std::string output_dir = "runs/latest";
  data::DataOptions data;
  ModelStageConfig teacher;
  ModelStageConfig student;
  DistillStageConfig distill;
  QuantizeStageConfig quantize;
  PruneStageConfig prune;
  SelfDistillConfig self_distill;
  EvaluationConfig evaluation;
};

/// Parses and validates a config. `overrides` are "key.path=value" strings applied on top
/// (value in YAML syntax: "teacher.train.epochs=3", "student.model.hidden=[64]"). Throws
/// distill::Error naming `source_name`, the key, the value and what is allowed.
PipelineConfig parse_pipeline_config(const std::string& yaml_text, const std::string& source_name,
                                     const std::vector<std::string>& overrides = {});

/// The YAML text after applying `overrides` (what a run records as its effective config).
std::string apply_config_overrides(const std::string& yaml_text, const std::string& source_name,
                                   const std::vector<std::string>& overrides);

/// The student as the baseline trains it: `config.student` with `baseline_train` as its training
/// options (what `distill run`'s baseline stage and `distill train --role student` train).
ModelStageConfig baseline_student(const PipelineConfig& config);

/// The built-in default pipeline (examples/default.yaml, compiled in).
const std::string& default_config_yaml();

/// Fills a model's input shape and class count from the data and checks they agree when given.
void resolve_model_shape(models::ModelSpec& spec, const std::vector<int64_t>& sample_shape,
                         int64_t num_classes, const std::string& where,
                         int64_t vocab_size = 0);

}  // namespace distill::config
