// Speed measurement: rounds interleave the calls, each figure is the median over rounds, and
// options out of range are refused. The calls sleep for set times, so the expected figures are
// known; the bounds leave room for sleeps that overshoot. A model's timing names its engine: the
// CNN families run folded on oneDNN, the rest on libtorch.
#include "distill/evaluation/speed.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "distill/core/error.h"
#include "distill/kernels/compute_path.h"
#include "distill/models/classifier.h"
#include "error_assertions.h"

namespace distill::evaluation {
namespace {

using ::distill::testing::thrown_error;

SpeedOptions quick_options() {
  SpeedOptions options;
  options.latency_repetitions = 1;
  options.throughput_repetitions = 1;
  options.throughput_batch = 8;
  options.rounds = 3;
  return options;
}

TEST(Speed, RoundsInterleaveTheCallsAndEachRoundTimesBothBatchSizes) {
  // Which call ran, in order; a new segment starts whenever the other call takes over.
  std::vector<std::pair<int, int64_t>> log;
  const auto call = [&log](int id) {
    return [&log, id](int64_t batch) {
      log.emplace_back(id, batch);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    };
  };
  const std::vector<SpeedResult> results = measure_speeds({call(0), call(1)}, quick_options());
  ASSERT_EQ(results.size(), 2u);
  std::vector<std::vector<int64_t>> segments;  // the batches of each uninterrupted run of a call
  std::vector<int> owners;
  for (const auto& [id, batch] : log) {
    if (owners.empty() || owners.back() != id) {
      owners.push_back(id);
      segments.emplace_back();
    }
    segments.back().push_back(batch);
  }
  EXPECT_EQ(owners, (std::vector<int>{0, 1, 0, 1, 0, 1}));
  for (const std::vector<int64_t>& batches : segments) {
    EXPECT_EQ(batches.front(), 1);  // latency first, then the large batch
    EXPECT_EQ(batches.back(), 8);
  }
  for (const SpeedResult& r : results) EXPECT_EQ(r.throughput_batch, 8);
}

TEST(Speed, EachFigureIsTheMedianOverRounds) {
  // The call takes 12, 4, then 2 ms per call in its three rounds: the median round is 4 ms, so
  // latency >= 4 ms and throughput <= 8 / 4 ms; a sleep that overshoots only adds time, and the
  // bounds leave 1.9 ms for it. The mean (6 ms), the first, the last, the fastest or the
  // slowest round would each fall outside.
  int round = -1;
  const int milliseconds[] = {12, 4, 2};
  bool in_round = false;
  const InferenceCall call = [&](int64_t batch) {
    if (batch == 1 && !in_round) {  // the first batch-1 call of a round
      ++round;
      in_round = true;
    }
    if (batch != 1) in_round = false;
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds[round]));
  };
  const SpeedResult result = measure_speed(call, quick_options());
  EXPECT_EQ(round, 2);
  EXPECT_GE(result.latency_us_median, 4000.0);
  EXPECT_LT(result.latency_us_median, 5900.0);
  EXPECT_LE(result.throughput_per_s, 8 / 0.004);
  EXPECT_GT(result.throughput_per_s, 8 / 0.0059);
}

TEST(Speed, OptionsOutOfRangeAreRefusedWithTheValues) {
  SpeedOptions options = quick_options();
  options.rounds = 0;
  const Error e = thrown_error([&] { measure_speed([](int64_t) {}, options); });
  EXPECT_NE(std::string(e.what()).find("0 rounds"), std::string::npos) << e.what();
}

TEST(Speed, CnnsRunFoldedOnOneDnnAndOtherModelsOnLibtorch) {
  models::ModelSpec cnn;
  cnn.kind = models::ModelKind::kMobileNet;
  cnn.input_shape = {1, 8, 8};
  cnn.num_classes = 3;
  cnn.channels = {8};
  cnn.blocks_per_stage = 1;
  models::ModelSpec mlp = cnn;
  mlp.kind = models::ModelKind::kMlp;
  mlp.hidden = {4};
  const models::ClassifierPtr cnn_model = models::build_classifier(cnn);
  const models::ClassifierPtr mlp_model = models::build_classifier(mlp);
  EXPECT_EQ(std::string(inference_engine(*cnn_model)), kFoldedCnnEngine);
  EXPECT_EQ(std::string(inference_engine(*mlp_model)), kLibtorchEngine);
  {
    kernels::ScopedComputePath reference(kernels::ComputePath::kReference);
    EXPECT_EQ(std::string(inference_engine(*cnn_model)), kLibtorchEngine);
  }

  cnn_model->train();
  const SpeedResult timed = measure_speed(*cnn_model, at::randn({3, 1, 8, 8}), quick_options());
  EXPECT_EQ(timed.engine, kFoldedCnnEngine);
  EXPECT_GT(timed.throughput_per_s, 0.0);
  EXPECT_EQ(timed.throughput_batch, 8);
  EXPECT_TRUE(cnn_model->is_training());  // given back as it was
}

}  // namespace
}  // namespace distill::evaluation
