// The int8 runtime on the default student's shape (MLP 784-100-10, static activations) and on
// the CNN student's (ResNet-style 16-32-64 on 28x28 images): whole forward passes at batch 1 and
// 256 with the oneDNN and reference kernels, and the input quantization alone. Links only the
// runtime (no libtorch), like a deployment would.
#include <benchmark/benchmark.h>

#include <random>
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

/// Times whole forward passes of `model` on random pixels; arguments: batch, kernels.
void time_forward(benchmark::State& state, const Int8Model& model) {
  const int64_t batch = state.range(0);
  const auto kernels = state.range(1) ? Int8Kernels::kOneDnn : Int8Kernels::kReference;
  state.SetLabel(distill::runtime::to_string(kernels));
  Int8Classifier classifier(model, kernels);
  const std::vector<float> x = pixels(batch * model.input_features());
  std::vector<float> logits(static_cast<size_t>(batch * model.num_classes));
  for (auto _ : state) classifier.logits(x.data(), batch, logits.data());
  state.SetItemsProcessed(state.iterations() * batch);
}

// Arguments: batch, kernels (0 reference, 1 oneDNN).
void BM_Int8StudentForward(benchmark::State& state) { time_forward(state, student_shaped_model()); }
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

/// A ResNet-style CNN as the exporter writes it for channels 16-32-64 (one block per stage) on
/// (1, 28, 28) images, with random int8 weights: stem, then per stage conv1, an optional 1x1
/// projection shortcut, and conv2 with the residual.
Int8Model resnet_shaped_model() {
  using distill::runtime::ConvActivation;
  using distill::runtime::testing::add_random_conv;
  std::mt19937 engine(1);
  Int8Model model;
  model.input_shape = {1, 28, 28};
  model.num_classes = 10;
  model.input_scale = 1.0f / 255.0f;
  int32_t current = add_random_conv(model, engine, 1, 16, 3, 1, 1, ConvActivation::kRelu, -1, -1);
  int64_t width = 16;
  for (int64_t channels : {16, 32, 64}) {
    const int64_t stride = channels == 16 ? 1 : 2;
    const int32_t first = add_random_conv(model, engine, width, channels, 3, stride, 1,
                                          ConvActivation::kRelu, current, -1);
    int32_t shortcut = current;
    if (stride != 1 || width != channels)
      shortcut = add_random_conv(model, engine, width, channels, 1, stride, 1,
                                 ConvActivation::kNone, current, -1);
    current = add_random_conv(model, engine, channels, channels, 3, 1, 1, ConvActivation::kRelu,
                              first, shortcut);
    width = channels;
  }
  distill::runtime::testing::add_random_head(model, engine);
  return model;
}

void BM_Int8ResNetForward(benchmark::State& state) { time_forward(state, resnet_shaped_model()); }
BENCHMARK(BM_Int8ResNetForward)
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({256, 1})
    ->ArgNames({"batch", "onednn"})
    ->Unit(benchmark::kMicrosecond);

void BM_QuantizeInputs(benchmark::State& state) {
  const std::vector<float> x = pixels(state.range(0));
  std::vector<uint8_t> q(x.size());
  for (auto _ : state)
    distill::kernels::quantize_to_uint8(x.data(), state.range(0), 1.0f / 255, 0, q.data());
  state.SetBytesProcessed(state.iterations() * state.range(0) * 4);
}
BENCHMARK(BM_QuantizeInputs)->Arg(784)->Arg(128 * 784)->Arg(256 * 784)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
