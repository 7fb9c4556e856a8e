// The int8 runtime on the default student's shape (MLP 784-100-10, static activations): whole
// forward passes at batch 1 and 256 with the oneDNN and reference kernels, and the input
// quantization alone. Links only the runtime (no libtorch), like a deployment would.
#include <benchmark/benchmark.h>

#include <vector>

#include "distill/kernels/int8_gemm.h"
#include "distill/runtime/int8_classifier.h"
#include "runtime_test_models.h"

namespace {

using distill::runtime::Int8Classifier;
using distill::runtime::Int8Kernels;
using distill::runtime::Int8Model;

Int8Model student_shaped_model() {
  Int8Model model = distill::runtime::testing::random_model(
      {784, 100, 10}, distill::runtime::ActivationQuantization::kStatic);
  model.input_shape = {1, 28, 28};
  return model;
}

std::vector<float> pixels(int64_t count) { return distill::runtime::testing::random_pixels(count); }

// Arguments: batch, kernels (0 reference, 1 oneDNN).
void BM_Int8StudentForward(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const auto kernels = state.range(1) ? Int8Kernels::kOneDnn : Int8Kernels::kReference;
  state.SetLabel(distill::runtime::to_string(kernels));
  Int8Classifier classifier(student_shaped_model(), kernels);
  const std::vector<float> x = pixels(batch * 784);
  std::vector<float> logits(static_cast<size_t>(batch * 10));
  for (auto _ : state) classifier.logits(x.data(), batch, logits.data());
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_Int8StudentForward)
    ->ArgsProduct({{1, 256}, {0, 1}})
    ->ArgNames({"batch", "onednn"})
    ->Unit(benchmark::kMicrosecond);

// The same forward pass from uint8 pixels (the model's input encoding), no quantization pass.
void BM_Int8StudentForwardFromPixels(benchmark::State& state) {
  const int64_t batch = state.range(0);
  Int8Classifier classifier(student_shaped_model(), Int8Kernels::kOneDnn);
  std::vector<uint8_t> x(static_cast<size_t>(batch * 784));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i * 37 % 256);
  std::vector<float> logits(static_cast<size_t>(batch * 10));
  for (auto _ : state) classifier.logits_from_quantized(x.data(), batch, logits.data());
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_Int8StudentForwardFromPixels)->Arg(1)->Arg(256)->Unit(benchmark::kMicrosecond);

void BM_QuantizeInputs(benchmark::State& state) {
  const std::vector<float> x = pixels(state.range(0));
  std::vector<uint8_t> q(x.size());
  for (auto _ : state)
    distill::kernels::quantize_to_uint8(x.data(), state.range(0), 1.0f / 255, 0, q.data());
  state.SetBytesProcessed(state.iterations() * state.range(0) * 4);
}
BENCHMARK(BM_QuantizeInputs)->Arg(784)->Arg(256 * 784)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
