// Latency and throughput timing.
#include "distill/evaluation/speed.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "distill/compression/folded_cnn_inference.h"
#include "distill/core/error.h"

namespace distill::evaluation {
namespace {

/// `batch` rows of `samples`, repeated from the first when there are fewer.
at::Tensor input_rows(const at::Tensor& samples, int64_t batch) {
  DISTILL_CHECK(samples.defined() && samples.dim() >= 2 && samples.size(0) > 0,
                "timing a model needs at least one sample, got ",
                samples.defined() ? samples.sizes() : at::IntArrayRef{});
  const at::Tensor rows = at::arange(batch, at::kLong).remainder(samples.size(0));
  return samples.index_select(0, rows).contiguous();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Every call's seconds, sorted: at least `repetitions` calls and at least `min_seconds` of them
/// (at most kMaxCalls). Fast models make thousands of calls, so one descheduling of a thread for
/// a few milliseconds moves a handful of samples, not the median (50 calls of a 36 µs forward
/// pass last under 2 ms, which one time slice given to another process could cover).
std::vector<double> timed_calls(const std::function<void()>& call, int64_t repetitions,
                                double min_seconds) {
  constexpr int64_t kMaxCalls = 20000;
  std::vector<double> seconds;
  const auto begin = std::chrono::steady_clock::now();
  while (static_cast<int64_t>(seconds.size()) < repetitions ||
         (seconds_since(begin) < min_seconds && static_cast<int64_t>(seconds.size()) < kMaxCalls)) {
    const auto start = std::chrono::steady_clock::now();
    call();
    seconds.push_back(seconds_since(start));
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds;
}

/// Warm-up: a few calls, and a few milliseconds' worth (threads started, primitives built).
void warm_up(const std::function<void()>& call, int min_calls) {
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < min_calls || (seconds_since(begin) < 0.02 && i < 1000); ++i) call();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/// One round of one call: warm-up, then the batch-1 and the large-batch windows.
SpeedResult measure_round(const InferenceCall& call, const SpeedOptions& options) {
  SpeedResult result;
  const auto single = [&] { call(1); };
  warm_up(single, 10);
  const std::vector<double> latencies = timed_calls(single, options.latency_repetitions, 0.1);
  result.latency_us_median = 1e6 * latencies[latencies.size() / 2];
  const size_t p90 = std::min(latencies.size() - 1, latencies.size() * 9 / 10);
  result.latency_us_p90 = 1e6 * latencies[p90];

  // Throughput from the median call: a large-batch call of a small model takes ~0.03 ms, so a
  // single timer interrupt or thread wake-up would skew a mean over a few calls.
  const auto large = [&] { call(options.throughput_batch); };
  warm_up(large, 3);
  const std::vector<double> seconds = timed_calls(large, options.throughput_repetitions, 0.2);
  result.throughput_per_s =
      static_cast<double>(options.throughput_batch) / seconds[seconds.size() / 2];
  result.throughput_batch = options.throughput_batch;
  return result;
}

}  // namespace

std::vector<SpeedResult> measure_speeds(const std::vector<InferenceCall>& calls,
                                        const SpeedOptions& options) {
  DISTILL_CHECK(options.latency_repetitions >= 1 && options.throughput_repetitions >= 1 &&
                    options.throughput_batch >= 1 && options.rounds >= 1,
                "speed measurement needs at least one repetition and round and a batch >= 1, got ",
                options.latency_repetitions, " latency and ", options.throughput_repetitions,
                " throughput repetitions, ", options.rounds, " rounds, batch ",
                options.throughput_batch);
  // rounds[c][r]: call c's figures in round r. Interleaving the calls within each round puts a
  // slow spell of the machine (another tenant, a frequency change) on several calls' rounds
  // instead of every round of one call, and the median over rounds sets it aside.
  std::vector<std::vector<SpeedResult>> rounds(calls.size());
  for (int64_t r = 0; r < options.rounds; ++r)
    for (size_t c = 0; c < calls.size(); ++c) rounds[c].push_back(measure_round(calls[c], options));
  std::vector<SpeedResult> results;
  for (const std::vector<SpeedResult>& figures : rounds) {
    std::vector<double> latency, p90, throughput;
    for (const SpeedResult& f : figures) {
      latency.push_back(f.latency_us_median);
      p90.push_back(f.latency_us_p90);
      throughput.push_back(f.throughput_per_s);
    }
    SpeedResult result;
    result.latency_us_median = median(latency);
    result.latency_us_p90 = median(p90);
    result.throughput_per_s = median(throughput);
    result.throughput_batch = options.throughput_batch;
    results.push_back(result);
  }
  return results;
}

SpeedResult measure_speed(const InferenceCall& call, const SpeedOptions& options) {
  return measure_speeds({call}, options).front();
}

const char* inference_engine(const models::Classifier& model) {
  return compression::runs_folded_on_onednn(model) ? kFoldedCnnEngine : kLibtorchEngine;
}

InferenceCall model_inference_call(models::Classifier& model, const at::Tensor& samples,
                                   int64_t throughput_batch) {
  model.eval();
  const at::Tensor single = input_rows(samples, 1);
  const at::Tensor large = input_rows(samples, throughput_batch);
  if (compression::runs_folded_on_onednn(model)) {
    std::shared_ptr<compression::FoldedCnnInference> folded =
        compression::folded_cnn_inference(model);
    auto logits = std::make_shared<std::vector<float>>(
        static_cast<size_t>(throughput_batch * folded->num_classes()));
    const at::Tensor single_float = single.to(at::kFloat).contiguous();
    const at::Tensor large_float = large.to(at::kFloat).contiguous();
    return [folded, logits, single_float, large_float](int64_t batch) {
      folded->logits((batch == 1 ? single_float : large_float).data_ptr<float>(), batch,
                     logits->data());
    };
  }
  return [&model, single, large](int64_t batch) {
    torch::NoGradGuard no_grad;
    model.forward(batch == 1 ? single : large);
  };
}

SpeedResult measure_speed(models::Classifier& model, const at::Tensor& samples,
                          const SpeedOptions& options) {
  const bool was_training = model.is_training();
  SpeedResult result =
      measure_speed(model_inference_call(model, samples, options.throughput_batch), options);
  result.engine = inference_engine(model);
  model.train(was_training);
  return result;
}

}  // namespace distill::evaluation
