// Stage implementations shared by `distill run` and the per-stage commands.
#include "distill/pipeline/stages.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "distill/compression/folded_cnn_inference.h"
#include "distill/compression/int8_export.h"
#include "distill/core/error.h"
#include "distill/core/run_recipe.h"
#include "distill/core/progress_bar.h"
#include "distill/data/batching.h"
#include "distill/distillation/ensemble_teacher.h"
#include "distill/distillation/feature_distillation.h"
#include "distill/distillation/folded_cnn_teacher.h"
#include "distill/distillation/int8_teacher.h"
#include "distill/core/atomic_file.h"
#include "distill/distillation/soft_label_cache.h"
#include "distill/distributed/sharded_rows.h"
#include "distill/evaluation/metrics.h"
#include "distill/evaluation/speed.h"
#include "distill/models/model_size.h"
#include "distill/models/module_state.h"
#include "distill/models/predict.h"
#include "distill/models/text_transformer.h"
#include "distill/pipeline/teacher_file.h"
#include "transfer_set.h"

namespace distill::pipeline {

distillation::TrainOptions stage_options(const distillation::TrainOptions& base,
                                         const std::string& role, const data::PreparedData& data,
                                         const StageRun& run) {
  distillation::TrainOptions o = base;
  o.label = role;
  o.seed = run.seed;
  o.recipe = run.recipe;
  o.checkpoint_path = run.checkpoint_path;
  o.resume = run.resume;
  o.show_progress = run.show_progress;
  o.communicator = run.communicator;
  o.augmentation_fill = data.background;
  return o;
}

namespace {

/// Training samples that calibrate an int8 teacher's activation ranges (the first ones).
constexpr int64_t kTeacherCalibrationSamples = 2000;

/// The teacher quantized (static activations, calibrated on the first training samples) and run
/// by the int8 runtime; its drift from the fp32 teacher measured on the validation split.
std::shared_ptr<distillation::TeacherLogitSource> int8_teacher_source(
    const config::DistillStageConfig& distill, const models::ClassifierPtr& teacher,
    const data::PreparedData& data, bool show_progress,
    std::optional<distillation::TeacherDrift>* drift) {
  const models::ModelSpec& spec = teacher->spec();
  DISTILL_CHECK_HINT(!data.train.has_token_ids() &&
                         (spec.kind == models::ModelKind::kMlp || models::is_cnn(spec.kind)),
                     "set distill.teacher_precision: fp32",
                     "distill.teacher_precision = int8: the teacher (",
                     models::describe_model_spec(spec),
                     ") has no int8 model in the runtime; MLP and CNN teachers do");
  const int64_t samples = std::min<int64_t>(kTeacherCalibrationSamples, data.train.size());
  runtime::Int8Model int8 = compression::quantize_classifier(
      *teacher, data.normalization,
      data.normalization.invert(data.train.features.narrow(0, 0, samples)),
      compression::Int8ExportOptions{});
  auto source = std::make_shared<distillation::Int8Teacher>(std::move(int8), data.normalization);
  if (data.validation.size() > 0) {
    distillation::LiveTeacher fp32(teacher);
    const distillation::TeacherDrift measured = distillation::measure_teacher_drift(
        fp32, *source, data.validation, distill.loss.temperature);
    if (show_progress)
      std::fprintf(stderr,
                   "int8 teacher: top-1 agreement with the fp32 teacher %.4f, mean KL at T=%g "
                   "%.5f nats (%lld validation samples)\n",
                   measured.top1_agreement, measured.temperature, measured.mean_kl,
                   static_cast<long long>(measured.samples));
    if (drift != nullptr) *drift = measured;
  }
  return source;
}

}  // namespace

std::shared_ptr<distillation::TeacherLogitSource> teacher_source(
    const config::DistillStageConfig& distill, const distillation::TrainOptions& train,
    const models::ClassifierPtr& teacher, const data::PreparedData& data,
    const std::filesystem::path& cache_dir, const StageRun& run,
    std::optional<distillation::TeacherDrift>* drift) {
  const bool show_progress = run.show_progress;
  if (distill.teacher_precision == config::TeacherPrecision::kInt8)
    return int8_teacher_source(distill, teacher, data, show_progress, drift);
  // Feature terms need the teacher's intermediate outputs, which only the live teacher has.
  const bool cached = distill.features.empty() &&
                      (distill.teacher_outputs == config::TeacherOutputs::kCached ||
                       (distill.teacher_outputs == config::TeacherOutputs::kAuto &&
                        !train.augmentation.enabled()));
  if (!cached) {
    // A CNN teacher whose intermediate outputs nobody reads runs as its folded inference network.
    if (distill.features.empty() && compression::runs_folded_on_onednn(*teacher)) {
      if (show_progress)
        std::fprintf(stderr, "teacher: live, fp32, batch norm folded, on oneDNN\n");
      return std::make_shared<distillation::FoldedCnnTeacher>(*teacher);
    }
    return std::make_shared<distillation::LiveTeacher>(teacher);
  }
  bool reused = false;
  auto cache = distillation::SoftLabelCache::load_or_compute(
      cache_dir, *teacher, data.train, 1000, &reused, show_progress, run.communicator.get());
  if (show_progress)
    std::fprintf(stderr, "soft labels: %s %s (%lld x %lld, float16)\n",
                 reused ? "reused" : "computed and cached in", cache_dir.c_str(),
                 static_cast<long long>(cache.logits().size(0)),
                 static_cast<long long>(cache.logits().size(1)));
  return std::make_shared<distillation::CachedTeacher>(std::move(cache));
}

models::ClassifierPtr build_model_for_data(const config::ModelStageConfig& stage,
                                           const data::PreparedData& data,
                                           const std::string& where, uint64_t seed) {
  models::ModelSpec spec = stage.model;
  config::resolve_model_shape(spec, data.train.sample_shape(), data.train.num_classes, where,
                              data.train.vocab_size);
  return models::build_classifier(spec, seed);
}

namespace {

/// A content hash of a model's parameters and buffers (its identity as a teacher).
std::string parameters_hash(models::Classifier& model) {
  std::string hashes;
  for (const at::Tensor& t : models::module_state(model)) {
    const at::Tensor c = t.contiguous();
    hashes += content_hash(c.data_ptr(), c.nbytes());
  }
  return content_hash(hashes.data(), hashes.size());
}

/// The error for a feature term naming a layer `model` does not have.
void check_has_tap(const std::string& tap, const models::Classifier& model,
                   const std::string& role, const std::string& where,
                   const std::string& term_where, const std::string& hint) {
  const std::vector<std::string> names = model.tap_names();
  if (std::find(names.begin(), names.end(), tap) != names.end()) return;
  std::string listed;
  for (const auto& name : names) listed += (listed.empty() ? "" : ", ") + name;
  DISTILL_FAIL_HINT(hint, term_where, ": the ", role, " (", models::describe_model_spec(model.spec()),
                    "; ", where, ") has no layer '", tap, "'; its layers are: ", listed);
}

TrainedModel finish(models::ClassifierPtr model, distillation::TrainingSummary training,
                    const std::string& role, const data::PreparedData& data, const StageRun& run) {
  TrainedModel out{{std::move(model), data.normalization, role, data.tokenizer_model},
                   std::move(training)};
  models::save_model(run.model_path, out.saved);
  return out;
}

/// A small batch of training inputs that sizes the hint adapters.
at::Tensor probe_inputs(const data::PreparedData& data) {
  return data.train.features.slice(0, 0, std::min<int64_t>(32, data.train.size()));
}

std::vector<distillation::FeatureTerm> terms_of_kind(
    const std::vector<distillation::FeatureTerm>& terms, bool hints) {
  std::vector<distillation::FeatureTerm> out;
  for (const auto& t : terms)
    if ((t.kind == distillation::FeatureLossKind::kHint) == hints) out.push_back(t);
  return out;
}

/// The objective of the distillation stage: vanilla KD, or KD plus the feature terms (without
/// the hints when a FitNets hint stage trained them first).
std::unique_ptr<distillation::TrainingObjective> distillation_objective(
    models::Classifier& student, const std::shared_ptr<distillation::TeacherLogitSource>& source,
    const config::DistillStageConfig& distill, const data::PreparedData& data,
    const StageRun& run) {
  const auto terms = distill.hint_stage_epochs > 0 ? terms_of_kind(distill.features, false)
                                                   : distill.features;
  if (terms.empty())
    return std::make_unique<distillation::DistillationObjective>(source, distill.loss,
                                                                 distill.mode);
  return std::make_unique<distillation::FeatureDistillationObjective>(
      source, distill.loss, distill.mode, terms, /*include_logit_loss=*/true, student,
      probe_inputs(data), run.seed);
}

/// FitNets' first stage: the student (up to its guided layers) learns the teacher's hinted
/// features through fresh adapters, with no logit loss and no validation-based selection.
void train_hint_stage(models::Classifier& student,
                      const std::shared_ptr<distillation::TeacherLogitSource>& source,
                      const config::DistillStageConfig& distill,
                      const config::ModelStageConfig& stage, const std::string& role,
                      const data::PreparedData& data, const StageRun& run) {
  distillation::FeatureDistillationObjective hints(
      source, distill.loss, distill.mode, terms_of_kind(distill.features, true),
      /*include_logit_loss=*/false, student, probe_inputs(data), run.seed);
  distillation::TrainOptions options = stage_options(stage.train, role + "-hints", data, run);
  options.epochs = distill.hint_stage_epochs;
  options.early_stopping_patience = 0;
  if (!run.checkpoint_path.empty())
    options.checkpoint_path = run.checkpoint_path.string() + ".hints";
  distillation::train_model(student, hints, data.train, data::Dataset{}, options);
  if (!options.checkpoint_path.empty()) remove_written_file(options.checkpoint_path);
}

}  // namespace

void check_feature_terms(const config::DistillStageConfig& distill,
                         const models::Classifier& student, const std::string& student_where,
                         const models::Classifier& teacher, const std::string& teacher_where) {
  const bool torchscript_teacher = teacher.spec().kind == models::ModelKind::kTorchScript;
  for (size_t i = 0; i < distill.features.size(); ++i) {
    const distillation::FeatureTerm& term = distill.features[i];
    const std::string term_where =
        "distill.features[" + std::to_string(i) + "] " + distillation::describe(term);
    check_has_tap(term.student_tap, student, "student", student_where, term_where,
                  "name one of the student's layers (`distill describe --role student` lists them)");
    check_has_tap(term.teacher_tap, teacher, "teacher", teacher_where, term_where,
                  torchscript_teacher
                      ? "export `taps(self, x) -> Dict[str, Tensor]` from the TorchScript module "
                        "to offer its layers (docs/methods.md)"
                      : "name one of the teacher's layers, or use a teacher that has this one "
                        "(`distill describe -m teacher.pt` lists a model's layers)");
  }
}

void check_teacher_matches_data(const models::Classifier& teacher, const data::PreparedData& data,
                                const std::string& where) {
  const auto& spec = teacher.spec();
  DISTILL_CHECK_HINT(spec.input_shape == data.train.sample_shape(),
                     "distill from a teacher trained on the same kind of data", where,
                     ": the teacher takes inputs of shape ", at::IntArrayRef(spec.input_shape),
                     " but the data's samples are ", at::IntArrayRef(data.train.sample_shape()));
  DISTILL_CHECK_HINT(spec.num_classes == data.train.num_classes,
                     "teacher and student must predict the same classes", where,
                     ": the teacher predicts ", spec.num_classes, " classes but the data has ",
                     data.train.num_classes);
}

TrainedModel train_on_labels(const config::ModelStageConfig& stage, const std::string& role,
                             const data::PreparedData& data, const StageRun& run) {
  models::ClassifierPtr model = build_model_for_data(stage, data, role + ".model", run.seed);
  // Masked-token pretraining first, unless a checkpoint of the label training continues (its
  // weights replace the pretrained ones anyway).
  const bool resuming = run.resume && !run.checkpoint_path.empty() &&
                        std::filesystem::exists(run.checkpoint_path);
  distillation::PretrainingSummary pretraining;
  if (stage.pretrain.epochs > 0 && !resuming) {
    auto* transformer = dynamic_cast<models::TextTransformer*>(model.get());
    DISTILL_CHECK_HINT(transformer != nullptr, "remove " + role + ".pretrain",
                       role, ".pretrain: masked-token pretraining takes a transformer; the model is ",
                       models::describe_model_spec(model->spec()));
    pretraining = distillation::pretrain_masked_tokens(*transformer, data.train, stage.pretrain,
                                                       run.seed, run.show_progress, role);
  }
  distillation::LabelObjective objective;
  auto training = distillation::train_model(*model, objective, data.train, data.validation,
                                            stage_options(stage.train, role, data, run));
  if (!pretraining.epoch_loss.empty()) {
    training.objective = fmt::format("masked-token pretraining ({} epochs, loss {:.3f}, accuracy "
                                     "{:.3f}), then {}",
                                     pretraining.epoch_loss.size(), pretraining.epoch_loss.back(),
                                     pretraining.epoch_accuracy.back(), training.objective);
    training.seconds += pretraining.seconds;
  }
  return finish(std::move(model), std::move(training), role, data, run);
}

TrainedModel distill_from_teacher(const config::ModelStageConfig& student,
                                  const config::DistillStageConfig& distill,
                                  const models::ClassifierPtr& teacher, const std::string& role,
                                  const data::PreparedData& prepared, const StageRun& run,
                                  const std::filesystem::path& cache_dir) {
  check_teacher_matches_data(*teacher, prepared, "teacher");
  // Text: the training texts and their augmented copies, all labelled by the teacher.
  const data::PreparedData data =
      with_transfer_set(prepared, distill.transfer_set, *teacher, run.seed, run.show_progress);
  if (!distill.features.empty())
    check_feature_terms(distill, *build_model_for_data(student, data, "student.model", run.seed),
                        "student.model", *teacher, "the teacher of " + role);
  // The teachers' weights are part of what the student's checkpoints must match.
  StageRun taught = run;
  taught.recipe.set("teacher.parameters", parameters_hash(*teacher));
  const auto labels_start = std::chrono::steady_clock::now();
  std::optional<distillation::TeacherDrift> drift;
  std::shared_ptr<distillation::TeacherLogitSource> source =
      teacher_source(distill, student.train, teacher, data, cache_dir, run, &drift);
  if (!distill.extra_teachers.empty()) {
    std::vector<std::shared_ptr<distillation::TeacherLogitSource>> all = {source};
    for (size_t i = 0; i < distill.extra_teachers.size(); ++i) {
      const std::string& path = distill.extra_teachers[i];
      const std::string where = "distill.extra_teachers[" + std::to_string(i) + "] '" + path + "'";
      const models::ClassifierPtr extra = load_extra_teacher(path, data, where);
      taught.recipe.set("distill.extra_teachers[" + std::to_string(i) + "].parameters",
                        parameters_hash(*extra));
      all.push_back(teacher_source(distill, student.train, extra, data, cache_dir, run));
    }
    source = std::make_shared<distillation::EnsembleTeacher>(
        std::move(all), distill.teacher_combination, distill.teacher_weights,
        distill.loss.temperature);
  }
  const double soft_label_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - labels_start).count();
  const std::string teacher_engine = source->engine();
  TrainedModel trained = distill_from_source(student, distill, std::move(source), role, data, taught);
  if (distill.transfer_set.copies > 0)
    trained.training.objective += " on a transfer set of the " +
                                  std::to_string(prepared.train.size()) + " training texts + " +
                                  std::to_string(distill.transfer_set.copies) +
                                  " augmented copies each";
  // A reused cache costs a file read; a live teacher runs inside the epochs.
  trained.training.soft_label_seconds = soft_label_seconds;
  trained.training.teacher_engine = teacher_engine;
  trained.training.teacher_drift = drift;
  return trained;
}

TrainedModel distill_from_source(const config::ModelStageConfig& student,
                                 const config::DistillStageConfig& distill,
                                 std::shared_ptr<distillation::TeacherLogitSource> source,
                                 const std::string& role, const data::PreparedData& data,
                                 const StageRun& run) {
  models::ClassifierPtr model = build_model_for_data(student, data, "student.model", run.seed);
  // A resumed run whose distillation stage already checkpointed is past the hint stage.
  const bool past_hint_stage = run.resume && !run.checkpoint_path.empty() &&
                               std::filesystem::exists(run.checkpoint_path);
  if (distill.hint_stage_epochs > 0 && !past_hint_stage)
    train_hint_stage(*model, source, distill, student, role, data, run);
  std::unique_ptr<distillation::TrainingObjective> objective =
      distillation_objective(*model, source, distill, data, run);
  auto training = distillation::train_model(*model, *objective, data.train, data.validation,
                                            stage_options(student.train, role, data, run));
  if (distill.hint_stage_epochs > 0) {
    std::string hints;
    for (const auto& term : terms_of_kind(distill.features, true))
      hints += (hints.empty() ? "" : " + ") + distillation::describe(term);
    training.objective = hints + " for " + std::to_string(distill.hint_stage_epochs) +
                         " epochs, then " + training.objective;
  }
  if (distill.finetune_epochs > 0) {
    distillation::TrainOptions finetune = stage_options(student.train, role + "-finetune", data, run);
    finetune.epochs = distill.finetune_epochs;
    finetune.optimizer.learning_rate = distill.finetune_lr;
    finetune.schedule.warmup_epochs = 0;
    if (!run.checkpoint_path.empty())
      finetune.checkpoint_path = run.checkpoint_path.string() + ".finetune";
    distillation::LabelObjective labels;
    auto tuned = distillation::train_model(*model, labels, data.train, data.validation, finetune);
    training.objective += " + finetune(" + std::to_string(distill.finetune_epochs) + " epochs)";
    training.history.insert(training.history.end(), tuned.history.begin(), tuned.history.end());
    training.seconds += tuned.seconds;
    if (!finetune.checkpoint_path.empty()) remove_written_file(finetune.checkpoint_path);
  }
  return finish(std::move(model), std::move(training), role, data, run);
}

evaluation::ClassificationMetrics evaluate_test_logits(
    const std::string& title, const data::Dataset& test, const at::Tensor& teacher_predictions,
    const config::EvaluationConfig& evaluation, bool show_progress,
    distributed::Communicator* group,
    const std::function<at::Tensor(const distributed::Shard& rows, ProgressBar& bar)>& predict,
    at::Tensor* logits) {
  const int64_t batch = evaluation.batch_size;
  ProgressBar bar("evaluating " + title,
                  data::batch_count(distributed::batch_shard(group, test.size(), batch).size(), batch),
                  show_progress);
  const at::Tensor all = distributed::compute_sharded_rows(
      group, test.size(), batch, test.num_classes,
      [&](const distributed::Shard& rows) { return predict(rows, bar); });
  evaluation::ClassificationMetrics metrics =
      evaluation::compute_metrics(all, test.labels, test.num_classes, teacher_predictions);
  bar.finish(fmt::format("evaluated {}: test accuracy {:.4f} on {} samples", title,
                         metrics.accuracy, metrics.samples));
  if (logits != nullptr) *logits = all;
  return metrics;
}

report::ModelReport evaluate_model(const std::string& title, models::Classifier& model,
                                   const data::Dataset& test,
                                   const at::Tensor& teacher_predictions,
                                   const config::EvaluationConfig& evaluation, bool show_progress,
                                   at::Tensor* predictions, distributed::Communicator* group) {
  report::ModelReport out;
  out.title = title;
  out.architecture = models::describe_model_spec(model.spec());
  out.size = models::measure_model_size(model);
  at::Tensor logits;
  out.test = evaluate_test_logits(
      title, test, teacher_predictions, evaluation, show_progress, group,
      [&](const distributed::Shard& rows, ProgressBar& bar) {
        return models::predict_logits(model, test.features.narrow(0, rows.begin, rows.size()),
                                      evaluation.batch_size, &bar);
      },
      &logits);
  if (predictions != nullptr) *predictions = logits.argmax(1);
  if (evaluation.measure_speed)
    out.speed = evaluation::measure_speed(model, test.features, evaluation.speed);
  return out;
}

}  // namespace distill::pipeline
