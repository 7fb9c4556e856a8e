// Pruning with distillation from the unpruned model.
#include "distill/pipeline/pruning_stage.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <memory>

#include "distill/compression/pruning.h"
#include "distill/core/error.h"
#include "distill/models/module_state.h"

namespace distill::pipeline {
namespace {

models::ClassifierPtr copy_of(models::Classifier& model) {
  models::ClassifierPtr copy = models::build_classifier(model.spec(), 0);
  torch::NoGradGuard no_grad;
  const auto from = models::module_state(model);
  const auto to = models::module_state(*copy);
  for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  return copy;
}

}  // namespace

TrainedModel prune_with_distillation(const config::PipelineConfig& config,
                                     const models::SavedModel& unpruned,
                                     const data::PreparedData& data, const StageRun& run,
                                     const std::filesystem::path& cache_dir) {
  const config::PruneStageConfig& prune = config.prune;
  DISTILL_CHECK(prune.kind != config::PruneKind::kNone, "pruning stage run without prune.kind");
  const bool magnitude = prune.kind == config::PruneKind::kMagnitude;
  models::ClassifierPtr model = magnitude
                                    ? copy_of(*unpruned.model)
                                    : compression::prune_mlp_neurons(*unpruned.model,
                                                                     prune.keep_fraction);

  distillation::TrainOptions options =
      stage_options(config.student.train, "student-pruned", data, run);
  options.epochs = prune.epochs;
  options.optimizer.learning_rate = prune.lr;
  options.schedule.warmup_epochs = 0;
  options.early_stopping_patience = 0;
  std::unique_ptr<compression::MagnitudePruner> pruner;
  if (magnitude) {
    pruner = std::make_unique<compression::MagnitudePruner>(*model);
    const int64_t ramp_end = prune.epochs - 1 - prune.epochs / 3;
    options.on_epoch_start = [&, ramp_end](int64_t epoch) {
      pruner->set_sparsity(
          compression::gradual_sparsity(prune.target_sparsity, 0, ramp_end, epoch));
    };
    options.after_step = [&] { pruner->apply(); };
  }
  const std::shared_ptr<distillation::TeacherLogitSource> teacher =
      teacher_source(config.distill, config.student.train, unpruned.model, data, cache_dir, run);
  distillation::DistillationObjective objective(teacher, config.distill.loss, config.distill.mode);
  // No validation-based choice of epoch: an earlier epoch would be less sparse than asked.
  distillation::TrainingSummary training =
      distillation::train_model(*model, objective, data.train, data::Dataset{}, options);
  training.teacher_engine = teacher->engine();
  training.objective += magnitude
                            ? fmt::format(" + magnitude pruning to {:.1f}% sparsity",
                                          100 * pruner->measured_sparsity())
                            : fmt::format(" + neuron pruning to {} hidden units",
                                          models::describe_model_spec(model->spec()));
  TrainedModel out{{std::move(model), data.normalization, "student-pruned", data.tokenizer_model},
                   std::move(training)};
  models::save_model(run.model_path, out.saved);
  return out;
}

}  // namespace distill::pipeline
