// One SGD training step of the default teacher (MLP 784-1200-1200-10, dropout 0.2, Nesterov
// momentum, batch 128): forward, backward, optimizer step, on the reference path (plain libtorch)
// and the fast path (oneDNN GEMMs, counter-based dropout, fused SGD). Run it with
// GOMP_SPINCOUNT=10000 (what the CLI sets), OMP_WAIT_POLICY=PASSIVE or ACTIVE to see what
// OpenMP's idle threads cost (docs/benchmarks.md).
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include "distill/core/threads.h"
#include "distill/distillation/optimization.h"
#include "distill/kernels/compute_path.h"
#include "distill/models/classifier.h"

namespace {

using distill::kernels::ComputePath;

// Arguments: threads, compute path (0 reference, 1 fast).
void BM_TeacherTrainingStep(benchmark::State& state) {
  distill::configure_threads(state.range(0));
  const auto path = state.range(1) ? ComputePath::kFast : ComputePath::kReference;
  distill::kernels::ScopedComputePath scoped(path);
  state.SetLabel(distill::kernels::to_string(path));
  distill::models::ModelSpec spec;
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  spec.hidden = {1200, 1200};
  spec.dropout = 0.2;
  auto model = distill::models::build_classifier(spec);
  model->train();
  distill::distillation::OptimizerOptions options;
  options.nesterov = true;
  auto optimizer = distill::distillation::make_optimizer(model->parameters(), options);
  const at::Tensor x = at::randn({128, 1, 28, 28});
  const at::Tensor y = at::randint(0, 10, {128}, at::kLong);
  for (auto _ : state) {
    optimizer->zero_grad();
    at::Tensor loss = at::cross_entropy_loss(model->forward(x), y);
    loss.backward();
    optimizer->step();
  }
  state.SetItemsProcessed(state.iterations() * 128);
}

BENCHMARK(BM_TeacherTrainingStep)
    ->ArgsProduct({{1, 2}, {0, 1}})
    ->ArgNames({"threads", "fast"})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
