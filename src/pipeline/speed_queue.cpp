// Timing a report's models together.
#include "distill/pipeline/speed_queue.h"

#include <cstdio>
#include <utility>

#include "distill/core/error.h"

namespace distill::pipeline {

void SpeedQueue::add(size_t row, models::ClassifierPtr model, at::Tensor samples) {
  DISTILL_CHECK(model != nullptr, "report row ", row, ": no model to time");
  fp32_.push_back({row, std::move(model), std::move(samples)});
}

void SpeedQueue::add(size_t row, evaluation::InferenceCall call, std::string engine) {
  calls_.push_back({row, std::move(call), std::move(engine)});
}

void SpeedQueue::measure_into(report::RunReport& report, const evaluation::SpeedOptions& options,
                              bool show_progress) {
  std::vector<size_t> rows;
  std::vector<evaluation::InferenceCall> calls;
  std::vector<std::string> engines;
  std::vector<bool> was_training;
  // The calls of libtorch models are made now, when every stage is done with the models.
  for (const Fp32Model& m : fp32_) {
    was_training.push_back(m.model->is_training());
    rows.push_back(m.row);
    engines.push_back(evaluation::inference_engine(*m.model));
    calls.push_back(
        evaluation::model_inference_call(*m.model, m.samples, options.throughput_batch));
  }
  for (const Call& c : calls_) {
    rows.push_back(c.row);
    calls.push_back(c.call);
    engines.push_back(c.engine);
  }
  for (size_t row : rows)
    DISTILL_CHECK(row < report.models.size(), "report row ", row, " to time, but the report has ",
                  report.models.size(), " rows");
  if (show_progress && !calls.empty())
    std::fprintf(stderr, "timing %zu models in %lld interleaved rounds ...\n", calls.size(),
                 static_cast<long long>(options.rounds));
  const std::vector<evaluation::SpeedResult> speeds = evaluation::measure_speeds(calls, options);
  for (size_t i = 0; i < rows.size(); ++i) {
    report.models[rows[i]].speed = speeds[i];
    report.models[rows[i]].speed->engine = engines[i];
  }
  for (size_t i = 0; i < fp32_.size(); ++i) fp32_[i].model->train(was_training[i]);
  fp32_.clear();
  calls_.clear();
}

}  // namespace distill::pipeline
