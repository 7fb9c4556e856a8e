// The training convolution's three passes (kernels/conv2d: forward, backward-data,
// backward-weights on NHWC, oneDNN) on the layer shapes of the CNNs of
// examples/methods/cnn_under_100k.yaml at batch 128, each as multiply-adds per second: divide
// by bench/cpu_peak_bench's FMA peak times the threads for the fraction of peak. No libtorch.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <string>
#include <vector>

#include "distill/kernels/conv2d.h"

namespace {

using distill::kernels::Conv2dShape;

/// Arguments: in channels, out channels, input height (= width), kernel, stride.
Conv2dShape shape_of(const benchmark::State& state) {
  Conv2dShape s;
  s.batch = 128;
  s.in_channels = state.range(0);
  s.out_channels = state.range(1);
  s.height = s.width = state.range(2);
  s.kernel = state.range(3);
  s.stride = state.range(4);
  s.padding = s.kernel / 2;
  return s;
}

/// Pass: 0 forward, 1 backward-data, 2 backward-weights.
template <int Pass>
void BM_Conv2dOneDnn(benchmark::State& state) {
  omp_set_num_threads(2);
  const Conv2dShape s = shape_of(state);
  std::vector<float> x(static_cast<size_t>(s.batch * s.height * s.width * s.in_channels), 0.5f);
  std::vector<float> y(static_cast<size_t>(s.batch * s.out_height() * s.out_width() * s.out_channels), 0.25f);
  std::vector<float> w(static_cast<size_t>(s.out_channels * s.in_channels * s.kernel * s.kernel), 0.1f);
  for (auto _ : state) {
    if (Pass == 0) distill::kernels::onednn_conv2d_forward(s, x.data(), w.data(), y.data());
    if (Pass == 1) distill::kernels::onednn_conv2d_backward_data(s, y.data(), w.data(), x.data());
    if (Pass == 2) distill::kernels::onednn_conv2d_backward_weights(s, x.data(), y.data(), w.data());
  }
  state.counters["GMACs_per_s"] = benchmark::Counter(static_cast<double>(s.macs()) / 1e9,
                                                     benchmark::Counter::kIsIterationInvariantRate);
}

// The student's and the teacher's convolutions (stem, 3x3 blocks, strided 3x3, 1x1 shortcuts).
void layer_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"in", "out", "hw", "k", "s"});
  for (const std::vector<int64_t>& a : std::vector<std::vector<int64_t>>{
           {1, 16, 28, 3, 1}, {16, 16, 28, 3, 1}, {16, 32, 28, 3, 2}, {16, 32, 28, 1, 2},
           {32, 32, 14, 3, 1}, {32, 64, 14, 3, 2}, {64, 64, 7, 3, 1}, {1, 32, 28, 3, 1},
           {32, 32, 28, 3, 1}, {64, 64, 14, 3, 1}, {64, 128, 14, 3, 2}, {128, 128, 7, 3, 1}})
    b->Args(a);
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK_TEMPLATE(BM_Conv2dOneDnn, 0)->Apply(layer_shapes)->Name("forward");
BENCHMARK_TEMPLATE(BM_Conv2dOneDnn, 1)->Apply(layer_shapes)->Name("backward_data");
BENCHMARK_TEMPLATE(BM_Conv2dOneDnn, 2)->Apply(layer_shapes)->Name("backward_weights");

}  // namespace

BENCHMARK_MAIN();
