// Quantization and int8 evaluation stage.
#include "distill/pipeline/int8_stage.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>

#include "distill/compression/int8_export.h"
#include "distill/core/atomic_file.h"
#include "distill/core/progress_bar.h"
#include "distill/data/batching.h"
#include "distill/evaluation/metrics.h"
#include "distill/evaluation/speed.h"
#include "distill/runtime/int8_classifier.h"
#include "distill/runtime/int8_model_file.h"

namespace distill::pipeline {

runtime::Int8Model quantize_student(const models::SavedModel& student, const data::Dataset& train,
                                    const config::QuantizeStageConfig& quantize,
                                    const std::filesystem::path& path) {
  const int64_t samples = std::min(quantize.calibration_samples, train.size());
  const at::Tensor calibration =
      student.normalization.invert(train.features.narrow(0, 0, samples));
  runtime::Int8Model model =
      compression::quantize_mlp(*student.model, student.normalization, calibration, quantize.options);
  write_file_atomically(path, runtime::encode_int8_model(model));
  return model;
}

report::ModelReport evaluate_int8_model(const std::string& title, const runtime::Int8Model& model,
                                        const data::Dataset& test,
                                        const data::Normalization& normalization,
                                        const at::Tensor& teacher_predictions,
                                        const config::EvaluationConfig& evaluation,
                                        const std::filesystem::path& file, bool show_progress) {
  report::ModelReport out;
  out.title = title;
  out.architecture = model.description;
  out.file = file.string();
  for (const auto& layer : model.layers)
    out.size.parameters += layer.in_features * layer.out_features + layer.out_features;
  out.size.bytes = static_cast<int64_t>(std::filesystem::file_size(file));

  runtime::Int8Classifier classifier(model, runtime::Int8Kernels::kOneDnn);
  const at::Tensor raw = normalization.invert(test.features).reshape({test.size(), -1}).contiguous();
  at::Tensor logits = at::empty({test.size(), model.num_classes});
  const int64_t batches = data::batch_count(test.size(), evaluation.batch_size);
  ProgressBar bar("evaluating " + title, batches, show_progress);
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t begin = b * evaluation.batch_size;
    const int64_t count = std::min(evaluation.batch_size, test.size() - begin);
    classifier.logits(raw.data_ptr<float>() + begin * raw.size(1), count,
                      logits.data_ptr<float>() + begin * model.num_classes);
    bar.update(b + 1);
  }
  out.test = evaluation::compute_metrics(logits, test.labels, test.num_classes, teacher_predictions);
  if (evaluation.measure_speed) {
    // Real test samples (repeated when the test set is smaller than the batch).
    const at::Tensor rows = at::arange(evaluation.speed.throughput_batch, at::kLong) % test.size();
    const at::Tensor large = raw.index_select(0, rows).contiguous();
    std::vector<float> scores(static_cast<size_t>(large.size(0) * model.num_classes));
    out.speed = evaluation::measure_speed(
        [&](int64_t batch) { classifier.logits(large.data_ptr<float>(), batch, scores.data()); },
        evaluation.speed);
  }
  bar.finish(fmt::format("evaluated {}: test accuracy {:.4f} on {} samples", title,
                         out.test.accuracy, out.test.samples));
  return out;
}

}  // namespace distill::pipeline
