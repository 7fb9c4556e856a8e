// Quantization and int8 evaluation stage.
#include "distill/pipeline/int8_stage.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "distill/compression/cnn_int8_export.h"
#include "distill/compression/cnn_qat.h"
#include "distill/compression/fake_quantization.h"
#include "distill/compression/int8_export.h"
#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/core/progress_bar.h"
#include "distill/data/batching.h"
#include "distill/evaluation/metrics.h"
#include "distill/evaluation/speed.h"
#include "distill/runtime/int8_classifier.h"
#include "distill/runtime/int8_model_file.h"

namespace distill::pipeline {

namespace {

/// Logits of `classifier` on every sample of `dataset` (normalised features; the runtime takes
/// raw ones), in batches of `batch_size`; `bar`, when given, advances once per batch.
at::Tensor int8_logits(runtime::Int8Classifier& classifier, const at::Tensor& raw,
                       int64_t batch_size, ProgressBar* bar) {
  const int64_t samples = raw.size(0);
  const int64_t classes = classifier.model().num_classes;
  at::Tensor logits = at::empty({samples, classes});
  for (int64_t b = 0; b < data::batch_count(samples, batch_size); ++b) {
    const int64_t begin = b * batch_size;
    const int64_t count = std::min(batch_size, samples - begin);
    classifier.logits(raw.data_ptr<float>() + begin * raw.size(1), count,
                      logits.data_ptr<float>() + begin * classes);
    if (bar) bar->update(b + 1);
  }
  return logits;
}

/// `dataset`'s features as the runtime takes them: raw, one row per sample.
at::Tensor raw_rows(const data::Dataset& dataset, const data::Normalization& normalization) {
  return normalization.invert(dataset.features).reshape({dataset.size(), -1}).contiguous();
}

/// The first calibration_samples training samples, raw (as the runtime will see them).
at::Tensor calibration_samples(const data::Dataset& train, const data::Normalization& normalization,
                               const config::QuantizeStageConfig& quantize) {
  const int64_t samples = std::min(quantize.calibration_samples, train.size());
  return normalization.invert(train.features.narrow(0, 0, samples));
}

}  // namespace

runtime::Int8Model quantize_student(const models::SavedModel& student, const data::Dataset& train,
                                    const config::QuantizeStageConfig& quantize,
                                    const std::filesystem::path& path) {
  const at::Tensor calibration = calibration_samples(train, student.normalization, quantize);
  runtime::Int8Model model =
      compression::quantize_classifier(*student.model, student.normalization, calibration,
                                       quantize.options);
  write_file_atomically(path, runtime::encode_int8_model(model));
  return model;
}

runtime::Int8Model distill_while_quantizing(const std::filesystem::path& student_file,
                                            const models::ClassifierPtr& teacher,
                                            const config::PipelineConfig& config,
                                            const data::PreparedData& data, const StageRun& run,
                                            const std::filesystem::path& cache_dir,
                                            const std::filesystem::path& path,
                                            distillation::TrainingSummary* training) {
  const config::QuantizeStageConfig& quantize = config.quantize;
  DISTILL_CHECK(quantize.options.activations == runtime::ActivationQuantization::kStatic,
                "quantization-aware training needs static activations (quantize.activations = "
                "static): dynamic ranges are not known until inference");
  models::SavedModel student = models::load_model(student_file);
  const at::Tensor calibration = calibration_samples(data.train, student.normalization, quantize);
  const bool cnn = models::is_cnn(student.model->spec().kind);

  // The model that trains: the MLP itself with fake-quantization hooks, or a CNN's folded
  // network (batch norm frozen into its convolutions) fake-quantized as the runtime computes it.
  compression::ActivationScales scales;
  std::shared_ptr<compression::FakeQuantizedCnn> folded;
  models::Classifier* trained = student.model.get();
  if (cnn) {
    student.model->eval();
    const compression::FoldedCnn network =
        compression::fold_cnn(*student.model, student.normalization);
    runtime::Int8Model calibrated = compression::quantize_folded_cnn(
        network, student.model->spec(), calibration, quantize.options.observer);
    folded = std::make_shared<compression::FakeQuantizedCnn>(
        student.model->spec(), network, std::move(calibrated), student.normalization);
    trained = folded.get();
  } else {
    scales = compression::calibrate_activation_scales(*student.model, student.normalization,
                                                      calibration, quantize.options.observer);
    student.model->set_quantization_hooks(
        std::make_shared<compression::FakeQuantization>(scales));
  }

  distillation::TrainOptions options =
      stage_options(config.student.train, "student-int8-qat", data, run);
  options.epochs = quantize.qat_epochs;
  options.optimizer.learning_rate = quantize.qat_lr;
  options.schedule.kind = distillation::ScheduleKind::kCosine;
  options.schedule.warmup_epochs = 0;
  options.early_stopping_patience = 0;
  const std::shared_ptr<distillation::TeacherLogitSource> source =
      teacher_source(config.distill, config.student.train, teacher, data, cache_dir, run);
  distillation::DistillationObjective objective(source, quantize.qat_loss, config.distill.mode);
  distillation::TrainingSummary summary =
      distillation::train_model(*trained, objective, data.train, data.validation, options);
  summary.teacher_engine = source->engine();
  if (training) *training = summary;

  runtime::Int8Model model;
  if (cnn) {
    model = folded->quantized();
  } else {
    student.model->set_quantization_hooks(nullptr);
    model = compression::quantize_mlp(*student.model, student.normalization, calibration,
                                      quantize.options, &scales);
  }
  model.description += ", distilled while quantizing (" + std::to_string(quantize.qat_epochs) +
                       " epochs)";
  write_file_atomically(path, runtime::encode_int8_model(model));
  return model;
}

report::ModelReport evaluate_int8_model(const std::string& title, const runtime::Int8Model& model,
                                        const data::Dataset& test,
                                        const data::Normalization& normalization,
                                        const at::Tensor& teacher_predictions,
                                        const config::EvaluationConfig& evaluation,
                                        const std::filesystem::path& file, bool show_progress,
                                        distributed::Communicator* group) {
  report::ModelReport out;
  out.title = title;
  out.architecture = model.description;
  out.file = file.string();
  out.size.parameters = runtime::parameter_count(model);
  // The file's bytes, from the encoding it was written from (a data-parallel worker other than
  // rank 0 wrote no file).
  out.size.bytes = static_cast<int64_t>(runtime::encode_int8_model(model).size());

  runtime::Int8Classifier classifier(model, runtime::Int8Kernels::kOneDnn);
  const at::Tensor raw = raw_rows(test, normalization);
  out.test = evaluate_test_logits(
      title, test, teacher_predictions, evaluation, show_progress, group,
      [&](const distributed::Shard& rows, ProgressBar& bar) {
        return int8_logits(classifier, raw.narrow(0, rows.begin, rows.size()),
                           evaluation.batch_size, &bar);
      });
  if (evaluation.measure_speed) {
    out.speed = evaluation::measure_speed(
        int8_inference_call(model, test, normalization, evaluation.speed.throughput_batch),
        evaluation.speed);
    out.speed->engine = kInt8RuntimeEngine;
  }
  return out;
}

evaluation::InferenceCall int8_inference_call(const runtime::Int8Model& model,
                                              const data::Dataset& test,
                                              const data::Normalization& normalization,
                                              int64_t throughput_batch) {
  DISTILL_CHECK(test.size() > 0, "timing an int8 model needs at least one test sample");
  struct State {
    runtime::Int8Classifier classifier;
    at::Tensor rows;
    std::vector<float> scores;
  };
  const at::Tensor picked = at::arange(throughput_batch, at::kLong) % test.size();
  auto state = std::make_shared<State>(State{
      runtime::Int8Classifier(model, runtime::Int8Kernels::kOneDnn),
      raw_rows(test, normalization).index_select(0, picked).contiguous(),
      std::vector<float>(static_cast<size_t>(throughput_batch * model.num_classes))});
  return [state](int64_t batch) {
    state->classifier.logits(state->rows.data_ptr<float>(), batch, state->scores.data());
  };
}

double int8_accuracy(const runtime::Int8Model& model, const data::Dataset& dataset,
                     const data::Normalization& normalization, int64_t batch_size) {
  DISTILL_CHECK(dataset.size() > 0, "int8_accuracy needs at least one sample");
  runtime::Int8Classifier classifier(model, runtime::Int8Kernels::kOneDnn);
  const at::Tensor logits =
      int8_logits(classifier, raw_rows(dataset, normalization), batch_size, nullptr);
  return logits.argmax(1).eq(dataset.labels).to(at::kDouble).mean().item<double>();
}

}  // namespace distill::pipeline
