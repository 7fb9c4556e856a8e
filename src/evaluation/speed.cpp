// Latency and throughput timing.
#include "distill/evaluation/speed.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <chrono>

#include "distill/core/error.h"

namespace distill::evaluation {
namespace {

at::Tensor random_inputs(int64_t batch, const std::vector<int64_t>& sample_shape) {
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  return at::randn(shape);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

SpeedResult measure_speed(const std::function<void(int64_t batch)>& infer,
                          const SpeedOptions& options) {
  DISTILL_CHECK(options.latency_repetitions >= 1 && options.throughput_repetitions >= 1 &&
                    options.throughput_batch >= 1,
                "speed measurement needs at least one repetition and a batch >= 1");
  SpeedResult result;
  for (int i = 0; i < 10; ++i) infer(1);
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(options.latency_repetitions));
  for (int64_t i = 0; i < options.latency_repetitions; ++i) {
    const auto start = std::chrono::steady_clock::now();
    infer(1);
    latencies.push_back(seconds_since(start) * 1e6);
  }
  std::sort(latencies.begin(), latencies.end());
  result.latency_us_median = latencies[latencies.size() / 2];
  result.latency_us_p90 = latencies[std::min(latencies.size() - 1, latencies.size() * 9 / 10)];

  // Throughput from the median call: a large-batch call of a small model takes ~0.1 ms, so a
  // single timer interrupt or thread wake-up would skew a mean over a few calls.
  for (int i = 0; i < 3; ++i) infer(options.throughput_batch);
  std::vector<double> seconds;
  seconds.reserve(static_cast<size_t>(options.throughput_repetitions));
  for (int64_t i = 0; i < options.throughput_repetitions; ++i) {
    const auto start = std::chrono::steady_clock::now();
    infer(options.throughput_batch);
    seconds.push_back(seconds_since(start));
  }
  std::sort(seconds.begin(), seconds.end());
  result.throughput_per_s =
      static_cast<double>(options.throughput_batch) / seconds[seconds.size() / 2];
  result.throughput_batch = options.throughput_batch;
  return result;
}

SpeedResult measure_speed(models::Classifier& model, const std::vector<int64_t>& sample_shape,
                          const SpeedOptions& options) {
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  const at::Tensor single = random_inputs(1, sample_shape);
  const at::Tensor large = random_inputs(options.throughput_batch, sample_shape);
  const SpeedResult result = measure_speed(
      [&](int64_t batch) { model.forward(batch == 1 ? single : large); }, options);
  model.train(was_training);
  return result;
}

}  // namespace distill::evaluation
