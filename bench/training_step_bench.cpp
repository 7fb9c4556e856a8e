// One SGD training step of the default teacher (MLP 784-1200-1200-10, batch 128): forward,
// backward, optimizer step. Run it with and without OMP_WAIT_POLICY=PASSIVE to see the
// OpenMP/OpenBLAS contention the CLI avoids (docs/benchmarks.md).
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <torch/optim/sgd.h>

#include "distill/core/threads.h"
#include "distill/models/classifier.h"

namespace {

void BM_TeacherTrainingStep(benchmark::State& state) {
  distill::configure_threads(state.range(0));
  distill::models::ModelSpec spec;
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  spec.hidden = {1200, 1200};
  auto model = distill::models::build_classifier(spec);
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  const at::Tensor x = at::randn({128, 1, 28, 28});
  const at::Tensor y = at::randint(0, 10, {128}, at::kLong);
  for (auto _ : state) {
    optimizer.zero_grad();
    at::Tensor loss = at::cross_entropy_loss(model->forward(x), y);
    loss.backward();
    optimizer.step();
  }
  state.SetItemsProcessed(state.iterations() * 128);
}

BENCHMARK(BM_TeacherTrainingStep)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
