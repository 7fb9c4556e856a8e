// The pipeline's stages as functions the `run` command chains and the per-stage commands call
// one at a time: train on labels, distill from a teacher, evaluate a model.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "distill/config/pipeline_config.h"
#include "distill/core/progress_bar.h"
#include "distill/core/run_recipe.h"
#include "distill/data/data_source.h"
#include "distill/distillation/objective.h"
#include "distill/distillation/trainer.h"
#include "distill/distributed/communicator.h"
#include "distill/evaluation/metrics.h"
#include "distill/models/model_io.h"
#include "distill/report/run_report.h"

namespace distill::pipeline {

/// Where a stage keeps its files and how it runs.
struct StageRun {
  std::filesystem::path model_path;       // the final model file
  std::filesystem::path checkpoint_path;  // the per-epoch checkpoint (empty: none)
  bool resume = false;
  bool show_progress = true;
  uint64_t seed = 0;
  /// What produced the stage beyond its training options (config, data, teacher): recorded in
  /// its checkpoints, which resume only under an equal recipe (TrainOptions::recipe).
  RunRecipe recipe;
  /// The data-parallel group the stage trains in (null: this process alone); TrainOptions.
  std::shared_ptr<distributed::Communicator> communicator;
};

struct TrainedModel {
  models::SavedModel saved;
  distillation::TrainingSummary training;
};

/// A stage's training options: `base` with the role as label and the run's seed, checkpoint,
/// resume and progress settings.
distillation::TrainOptions stage_options(const distillation::TrainOptions& base,
                                         const std::string& role, const data::PreparedData& data,
                                         const StageRun& run);

/// Where a distillation stage's teacher logits come from: the soft-label cache in `cache_dir`
/// (loaded, or computed and stored — spread over the run's ranks — ) when
/// distill.teacher_outputs allows, else the live teacher; with distill.teacher_precision int8 the
/// teacher's int8 model, live, whose drift from the fp32 teacher on the validation split is set
/// in `drift` when given (left empty otherwise: fp32, or no validation split).
std::shared_ptr<distillation::TeacherLogitSource> teacher_source(
    const config::DistillStageConfig& distill, const distillation::TrainOptions& train,
    const models::ClassifierPtr& teacher, const data::PreparedData& data,
    const std::filesystem::path& cache_dir, const StageRun& run,
    std::optional<distillation::TeacherDrift>* drift = nullptr);

/// Trains `stage.model` on labels (teacher or baseline student), saves it as `role`. The
/// checkpoint stays until the caller has recorded the result and removes it.
TrainedModel train_on_labels(const config::ModelStageConfig& stage, const std::string& role,
                             const data::PreparedData& data, const StageRun& run);

/// Trains `student.model` on `distill`'s objective with `teacher`'s outputs, then fine-tunes on
/// labels when asked; saves it as `role`. The teacher must agree with the data in input shape
/// and class count. Teacher logits come from the soft-label cache in `cache_dir` (computed on
/// first use) when distill.teacher_outputs allows, else from the live teacher.
TrainedModel distill_from_teacher(const config::ModelStageConfig& student,
                                  const config::DistillStageConfig& distill,
                                  const models::ClassifierPtr& teacher, const std::string& role,
                                  const data::PreparedData& data, const StageRun& run,
                                  const std::filesystem::path& cache_dir);

/// As distill_from_teacher, with the soft labels from `source` (an ensemble, a virtual
/// teacher, ...); feature terms need a source that records the teacher's features.
TrainedModel distill_from_source(const config::ModelStageConfig& student,
                                 const config::DistillStageConfig& distill,
                                 std::shared_ptr<distillation::TeacherLogitSource> source,
                                 const std::string& role, const data::PreparedData& data,
                                 const StageRun& run);

/// Test metrics, size and (when asked) speed of a model. `teacher_predictions` (N) int64 or
/// undefined gives the agreement column. `predictions`, when given, receives the model's own
/// top-1 predictions (N) int64, so a teacher's test pass serves its students' agreement too.
/// With a group the ranks predict a share each and every rank gets every metric.
report::ModelReport evaluate_model(const std::string& title, models::Classifier& model,
                                   const data::Dataset& test,
                                   const at::Tensor& teacher_predictions,
                                   const config::EvaluationConfig& evaluation, bool show_progress,
                                   at::Tensor* predictions = nullptr,
                                   distributed::Communicator* group = nullptr);

/// Test metrics of a model the caller runs: `predict(rows, bar)` returns the logits (rows, K)
/// float32 of test rows [rows.begin, rows.end) computed in batches of evaluation.batch_size,
/// advancing `bar` by one per batch. With a group the ranks predict a share each
/// (distributed/sharded_rows.h) and every rank gets every metric. Shows "evaluating TITLE" and
/// ends with the accuracy; `logits`, when given, receives all of them.
evaluation::ClassificationMetrics evaluate_test_logits(
    const std::string& title, const data::Dataset& test, const at::Tensor& teacher_predictions,
    const config::EvaluationConfig& evaluation, bool show_progress,
    distributed::Communicator* group,
    const std::function<at::Tensor(const distributed::Shard& rows, ProgressBar& bar)>& predict,
    at::Tensor* logits = nullptr);

/// The model `stage` describes, shaped for the data (input shape, class count), its weights
/// initialised from `seed`. `where` names the config section in errors ("student.model").
models::ClassifierPtr build_model_for_data(const config::ModelStageConfig& stage,
                                           const data::PreparedData& data,
                                           const std::string& where, uint64_t seed);

/// Checks that every feature term of `distill` names a layer the student and the teacher have,
/// so that a run fails before any training rather than at its distillation stage. Errors name
/// the term, the model (`student_where`, `teacher_where`: where it comes from), the missing
/// layer and the layers it has.
void check_feature_terms(const config::DistillStageConfig& distill,
                         const models::Classifier& student, const std::string& student_where,
                         const models::Classifier& teacher, const std::string& teacher_where);

/// Checks that a (loaded) teacher fits the data before any training starts.
void check_teacher_matches_data(const models::Classifier& teacher, const data::PreparedData& data,
                                const std::string& where);

}  // namespace distill::pipeline
