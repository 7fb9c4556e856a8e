// SpeedQueue: the queued rows of a report get their speeds, in rows order, from calls timed
// together, each naming its engine; libtorch models keep their training mode; a row outside the
// report is refused.
#include "distill/pipeline/speed_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "distill/core/error.h"
#include "distill/models/model_spec.h"
#include "error_assertions.h"

namespace distill::pipeline {
namespace {

using ::distill::testing::thrown_error;

evaluation::SpeedOptions quick_options() {
  evaluation::SpeedOptions options;
  options.latency_repetitions = 1;
  options.throughput_repetitions = 1;
  options.throughput_batch = 4;
  options.rounds = 2;
  return options;
}

/// A call that sleeps `milliseconds` per call, whatever the batch.
evaluation::InferenceCall sleeping(int milliseconds) {
  return [milliseconds](int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  };
}

report::RunReport report_with_rows(size_t rows) {
  report::RunReport report;
  report.models.resize(rows);
  return report;
}

TEST(SpeedQueue, QueuedRowsGetTheirOwnCallsFiguresAndOthersNone) {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kMlp;
  spec.input_shape = {1, 4, 4};
  spec.num_classes = 3;
  spec.hidden = {5};
  const models::ClassifierPtr model = models::build_classifier(spec);
  model->train();

  report::RunReport report = report_with_rows(4);
  SpeedQueue queue;
  queue.add(3, sleeping(2), "sleeper");
  queue.add(0, model, at::randn({3, 1, 4, 4}));
  queue.add(1, sleeping(8), "slow sleeper");
  queue.measure_into(report, quick_options(), false);

  ASSERT_TRUE(report.models[0].speed && report.models[1].speed && report.models[3].speed);
  EXPECT_FALSE(report.models[2].speed);  // not queued
  // Each row has its own call's figures: 8 ms per call in row 1, 2 ms in row 3. Sleeps only
  // overshoot — on a loaded machine by milliseconds (a 10 ms bound on row 1 failed under a
  // parallel suite plus a training run) — so the bounds tell the two calls apart, no more.
  EXPECT_GE(report.models[1].speed->latency_us_median, 8000.0);
  EXPECT_GE(report.models[3].speed->latency_us_median, 2000.0);
  EXPECT_LT(report.models[3].speed->latency_us_median, 8000.0);
  EXPECT_EQ(report.models[0].speed->throughput_batch, 4);
  EXPECT_GT(report.models[0].speed->throughput_per_s, 0.0);
  EXPECT_TRUE(model->is_training());  // timed in eval mode, then given back as it was
  // Each row names what ran it: the call's engine, libtorch for an MLP.
  EXPECT_EQ(report.models[0].speed->engine, kLibtorchEngine);
  EXPECT_EQ(report.models[1].speed->engine, "slow sleeper");
  EXPECT_EQ(report.models[3].speed->engine, "sleeper");
}

TEST(SpeedQueue, RowOutsideTheReportIsRefused) {
  report::RunReport report = report_with_rows(2);
  SpeedQueue queue;
  queue.add(2, sleeping(0), "sleeper");
  const Error e = thrown_error([&] { queue.measure_into(report, quick_options(), false); });
  EXPECT_EQ(std::string(e.what()), "report row 2 to time, but the report has 2 rows");
}

}  // namespace
}  // namespace distill::pipeline
