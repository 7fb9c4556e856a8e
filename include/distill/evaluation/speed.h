// Inference speed of a model: latency at batch 1 and throughput at a large batch.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "distill/models/classifier.h"

namespace distill::evaluation {

struct SpeedOptions {
  /// Timed batch-1 calls (after warm-up): at least this many, and at least 0.1 s of them.
  int64_t latency_repetitions = 200;
  int64_t throughput_batch = 256;
  /// Timed large-batch calls (after warm-up): at least this many, and at least 0.2 s of them;
  /// the median call gives the throughput.
  int64_t throughput_repetitions = 50;
};

struct SpeedResult {
  double latency_us_median = 0;  // batch 1
  double latency_us_p90 = 0;     // batch 1
  double throughput_per_s = 0;   // samples per second at throughput_batch (median call)
  int64_t throughput_batch = 0;
};

/// Times `infer(batch)`, a call that runs inference on a prepared batch of that size: batch 1
/// for latency, options.throughput_batch for throughput (after warm-up calls). Works for any
/// engine (libtorch models, the int8 runtime).
SpeedResult measure_speed(const std::function<void(int64_t batch)>& infer,
                          const SpeedOptions& options);

/// Times the model in eval mode without gradients on random inputs of `sample_shape`.
SpeedResult measure_speed(models::Classifier& model, const std::vector<int64_t>& sample_shape,
                          const SpeedOptions& options);

}  // namespace distill::evaluation
