// Dense layer forward: libtorch's nn::Linear (fused addmm) against distill's linear_forward
// (mm + broadcast add). Batch 128, the teacher's first layer 784 -> 1200.
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <torch/nn/modules/linear.h>

#include "distill/core/threads.h"
#include "distill/models/linear_forward.h"

namespace {

void run(benchmark::State& state, bool fused) {
  distill::configure_threads(state.range(0));
  torch::nn::Linear layer(784, 1200);
  const at::Tensor x = at::randn({128, 784});
  for (auto _ : state) {
    at::Tensor y = fused ? layer->forward(x) : distill::models::linear_forward(layer, x);
    benchmark::DoNotOptimize(y.data_ptr<float>());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * 128 * 784 * 1200, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

void BM_TorchLinearAddmm(benchmark::State& state) { run(state, true); }
void BM_DistillLinearMmAdd(benchmark::State& state) { run(state, false); }

BENCHMARK(BM_TorchLinearAddmm)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DistillLinearMmAdd)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
