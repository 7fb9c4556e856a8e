// Soft KD loss, forward + backward: the reference (ATen ops, autograd) against the fused
// one-pass kernel, at the default batch and at a many-class size.
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include "distill/core/threads.h"
#include "distill/distillation/fused_kd_loss.h"
#include "distill/distillation/kd_loss.h"

namespace {

template <bool kFused>
void BM_KdLossForwardBackward(benchmark::State& state) {
  distill::configure_threads(1);
  const int64_t batch = 128, classes = state.range(0);
  const at::Tensor teacher = at::randn({batch, classes});
  const at::Tensor labels = at::randint(0, classes, {batch}, at::kLong);
  at::Tensor student = at::randn({batch, classes}).requires_grad_(true);
  const distill::distillation::KdLossOptions options{4.0, 0.1};
  for (auto _ : state) {
    at::Tensor loss = kFused ? distill::distillation::fused_kd_loss(student, teacher, labels, options)
                             : distill::distillation::kd_loss(student, teacher, labels, options);
    loss.backward();
    student.mutable_grad().reset();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

BENCHMARK_TEMPLATE(BM_KdLossForwardBackward, false)->Arg(10)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_KdLossForwardBackward, true)->Arg(10)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
