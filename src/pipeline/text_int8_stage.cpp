// Quantizing, evaluating and timing the int8 text student.
#include "distill/pipeline/text_int8_stage.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "distill/compression/text_int8_export.h"
#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/core/progress_bar.h"
#include "distill/data/batching.h"
#include "distill/evaluation/metrics.h"
#include "distill/pipeline/stages.h"

namespace distill::pipeline {

runtime::Int8TextModel quantize_text_student(const models::SavedModel& student,
                                             const data::PreparedData& data,
                                             const data::TextEncodingOptions& encoding,
                                             const config::QuantizeStageConfig& quantize,
                                             const std::filesystem::path& path) {
  const int64_t samples = std::min(quantize.calibration_samples, data.train.size());
  runtime::Int8TextModel model = compression::quantize_text_classifier(
      *student.model, {student.tokenizer_model, encoding, data.train.class_names},
      data.train.features.narrow(0, 0, samples), quantize.options);
  write_file_atomically(path, runtime::encode_int8_text_model(model));
  return model;
}

report::ModelReport evaluate_int8_text_model(const std::string& title,
                                             const runtime::Int8TextModel& model,
                                             const data::Dataset& test,
                                             const at::Tensor& teacher_predictions,
                                             const config::EvaluationConfig& evaluation,
                                             const std::filesystem::path& file,
                                             bool show_progress,
                                             distributed::Communicator* group) {
  report::ModelReport out;
  out.title = title;
  out.architecture = model.description;
  out.file = file.string();
  out.size.parameters = model.parameter_count();
  // The file's bytes, from the encoding it was written from (a data-parallel worker other than
  // rank 0 wrote no file).
  out.size.bytes = static_cast<int64_t>(runtime::encode_int8_text_model(model).size());

  runtime::Int8TextRunner runner(model, /*threads: OpenMP's, the run's*/ 0);
  const at::Tensor ids = test.features.contiguous();
  const int64_t length = ids.size(1), classes = model.head.num_classes;
  const int64_t batch = evaluation.batch_size;
  out.test = evaluate_test_logits(
      title, test, teacher_predictions, evaluation, show_progress, group,
      [&](const distributed::Shard& rows, ProgressBar& bar) {
        at::Tensor logits = at::empty({rows.size(), classes});
        for (int64_t begin = 0, b = 0; begin < rows.size(); begin += batch) {
          const int64_t count = std::min(batch, rows.size() - begin);
          runner.logits(ids.data_ptr<int64_t>() + (rows.begin + begin) * length, count, length,
                        logits.data_ptr<float>() + begin * classes);
          bar.update(++b);
        }
        return logits;
      });
  if (evaluation.measure_speed) {
    out.speed = evaluation::measure_speed(
        int8_text_inference_call(model, test, evaluation.speed.throughput_batch), evaluation.speed);
    out.speed->engine = kInt8RuntimeEngine;
  }
  return out;
}

evaluation::InferenceCall int8_text_inference_call(const runtime::Int8TextModel& model,
                                                   const data::Dataset& test,
                                                   int64_t throughput_batch) {
  DISTILL_CHECK(test.size() > 0, "timing an int8 text model needs at least one test text");
  struct State {
    runtime::Int8TextModel model;
    std::unique_ptr<runtime::Int8TextRunner> runner;
    at::Tensor rows;
    std::vector<float> scores;
  };
  auto state = std::make_shared<State>();
  state->model = model;
  // The run's threads (OpenMP's count, which -j sets), as the fp32 models are timed with.
  state->runner = std::make_unique<runtime::Int8TextRunner>(state->model, /*threads=*/0);
  state->rows = test.features.index_select(0, at::arange(throughput_batch, at::kLong) % test.size())
                    .contiguous();
  state->scores.resize(static_cast<size_t>(throughput_batch * model.head.num_classes));
  return [state](int64_t batch) {
    state->runner->logits(state->rows.data_ptr<int64_t>(), batch, state->rows.size(1),
                          state->scores.data());
  };
}

}  // namespace distill::pipeline
