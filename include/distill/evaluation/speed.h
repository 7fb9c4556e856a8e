// Inference speed of a model: latency at batch 1 and throughput at a large batch, measured in
// rounds; several models' rounds interleave, so that a slow spell of the machine falls on all
// of them rather than on whichever was being timed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "distill/core/inference_engines.h"
#include "distill/models/classifier.h"

namespace distill::evaluation {

struct SpeedOptions {
  /// Timed batch-1 calls (after warm-up): at least this many, and at least 0.1 s of them.
  int64_t latency_repetitions = 200;
  int64_t throughput_batch = 256;
  /// Timed large-batch calls (after warm-up): at least this many, and at least 0.2 s of them;
  /// the median call gives the throughput.
  int64_t throughput_repetitions = 50;
  /// Rounds of the above; each figure is the median over rounds of that round's figure.
  int64_t rounds = 3;
};

struct SpeedResult {
  double latency_us_median = 0;  // batch 1
  double latency_us_p90 = 0;     // batch 1
  double throughput_per_s = 0;   // samples per second at throughput_batch (median call)
  int64_t throughput_batch = 0;
  /// What ran the model: one of the k*Engine names of core/inference_engines.h.
  std::string engine;
};

/// Runs inference on a prepared batch of the given size: 1 (latency) or the options'
/// throughput_batch. Any engine: a libtorch model, the int8 runtime.
using InferenceCall = std::function<void(int64_t batch)>;

/// Times every call, round by round: each round times each call in turn (warm-up calls, then the
/// batch-1 and the large-batch windows). Throws distill::Error for options out of range.
std::vector<SpeedResult> measure_speeds(const std::vector<InferenceCall>& calls,
                                        const SpeedOptions& options);

/// measure_speeds of one call.
SpeedResult measure_speed(const InferenceCall& call, const SpeedOptions& options);

/// The engine model_inference_call runs `model` on: on the fast compute path (config `compute`),
/// the CNN families (resnet, mobilenet) as their folded network on oneDNN
/// (compression/folded_cnn_inference.h), the same engine as their int8 runtime, so that fp32 and
/// int8 rows compare kernels rather than frameworks; anything else, and everything on the
/// reference path, with libtorch's forward pass.
const char* inference_engine(const models::Classifier& model);

/// The model's inference in eval mode without gradients, on real inputs: the first of
/// `samples` (N, ...) for batch 1, and samples repeated to `throughput_batch` rows for the large
/// batch (float images or features, or token ids), on the engine inference_engine names (a CNN
/// is folded once, now: later changes to its weights are not seen). Puts the model in eval mode;
/// the model must outlive the call.
InferenceCall model_inference_call(models::Classifier& model, const at::Tensor& samples,
                                   int64_t throughput_batch);

/// Times the model in eval mode without gradients on `samples` as model_inference_call does;
/// leaves its training mode as it was. The result names the engine.
SpeedResult measure_speed(models::Classifier& model, const at::Tensor& samples,
                          const SpeedOptions& options);

}  // namespace distill::evaluation
