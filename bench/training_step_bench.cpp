// One SGD training step of the default teacher (MLP 784-1200-1200-10, dropout 0.2, Nesterov
// momentum, batch 128): forward, backward, optimizer step, on the reference path (plain libtorch)
// and the fast path (oneDNN GEMMs, counter-based dropout, fused SGD). Run it with
// GOMP_SPINCOUNT=10000 (what the CLI sets), OMP_WAIT_POLICY=PASSIVE or ACTIVE to see what
// OpenMP's idle threads cost (docs/benchmarks.md).
// The same for the CNNs of examples/methods/cnn_under_100k.yaml (the fast path: oneDNN
// convolutions on channels-last activations), with the convolutions' multiply-adds per second
// (forward, backward-data and backward-weights) for the fraction of peak. The heap keeps freed
// memory for reuse, as the distill program's does (core/allocator.h); --default-heap leaves
// glibc's defaults, to measure what that is worth. Last, one Adam/AdamW step on a text student's
// embedding table, libtorch's against the fused one, and the bag student's whole distillation
// step. Between them, batch norm (+ ReLU) as the fast path fuses it, against libtorch's
// layers.
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include <cstring>

#include "distill/compression/folded_cnn_inference.h"
#include "distill/core/allocator.h"
#include "distill/core/threads.h"
#include "distill/distillation/fused_kd_loss.h"
#include "distill/distillation/kd_loss.h"
#include "distill/distillation/optimization.h"
#include "distill/kernels/compute_path.h"
#include "distill/models/classifier.h"
#include "distill/ops/batch_norm.h"

namespace {

using distill::kernels::ComputePath;

/// Times SGD steps (Nesterov momentum, cross-entropy) of `model` on one batch of 128 images.
void time_training_steps(benchmark::State& state, distill::models::Classifier& model) {
  model.train();
  distill::distillation::OptimizerOptions options;
  options.nesterov = true;
  auto optimizer = distill::distillation::make_optimizer(model.parameters(), options);
  const at::Tensor x = at::randn({128, 1, 28, 28});
  const at::Tensor y = at::randint(0, 10, {128}, at::kLong);
  for (auto _ : state) {
    optimizer->zero_grad();
    at::Tensor loss = at::cross_entropy_loss(model.forward(x), y);
    loss.backward();
    optimizer->step();
  }
  state.SetItemsProcessed(state.iterations() * 128);
}

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
  time_training_steps(state, *model);
}

BENCHMARK(BM_TeacherTrainingStep)
    ->ArgsProduct({{1, 2}, {0, 1}})
    ->ArgNames({"threads", "fast"})
    ->Unit(benchmark::kMillisecond);

// Arguments: CNN (0: the student 16-32-64, 1: the teacher 32-64-128), compute path (0
// reference, 1 fast). Two threads.
void BM_CnnTrainingStep(benchmark::State& state) {
  distill::configure_threads(2);
  const auto path = state.range(1) ? ComputePath::kFast : ComputePath::kReference;
  distill::kernels::ScopedComputePath scoped(path);
  distill::models::ModelSpec spec;
  spec.kind = distill::models::ModelKind::kResNet;
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  spec.channels = state.range(0) ? std::vector<int64_t>{32, 64, 128} : std::vector<int64_t>{16, 32, 64};
  spec.blocks_per_stage = 1;
  auto model = distill::models::build_classifier(spec);
  state.SetLabel(std::string(state.range(0) ? "teacher " : "student ") +
                 distill::kernels::to_string(path));
  const int64_t macs = distill::compression::to_conv_network(
                           distill::compression::fold_cnn(*model, {}), spec.input_shape, nullptr)
                           .macs_per_sample();
  time_training_steps(state, *model);
  state.counters["conv_GMACs_per_s"] = benchmark::Counter(
      3.0 * static_cast<double>(macs) * 128 / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_CnnTrainingStep)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->ArgNames({"teacher", "fast"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One batch norm layer's training pass (forward, then backward from a given upstream gradient)
// on the CNNs' channels-last activations at batch 128: the module's forward and at::relu
// (reference) against ops::batch_norm's fused oneDNN operation (fast). Arguments: channels,
// height (= width), ReLU (0 none, 1 fused), compute path (0 reference, 1 fast). Two threads.
void BM_BatchNormLayer(benchmark::State& state) {
  distill::configure_threads(2);
  const auto path = state.range(3) ? ComputePath::kFast : ComputePath::kReference;
  distill::kernels::ScopedComputePath scoped(path);
  const int64_t channels = state.range(0), hw = state.range(1);
  const auto activation = state.range(2) ? distill::ops::BatchNormActivation::kRelu
                                         : distill::ops::BatchNormActivation::kNone;
  torch::nn::BatchNorm2d bn(channels);
  bn->train();
  const at::Tensor x = at::randn({128, channels, hw, hw})
                           .contiguous(at::MemoryFormat::ChannelsLast)
                           .requires_grad_(true);
  const at::Tensor dy = at::randn({128, channels, hw, hw}).contiguous(at::MemoryFormat::ChannelsLast);
  for (auto _ : state) {
    const at::Tensor y = distill::ops::batch_norm(*bn, x, activation);
    y.backward(dy);
  }
  state.SetLabel(distill::kernels::to_string(path));
  // What one pass must move at least: x read twice (statistics, normalization) and y written
  // forward; x, dy read and dx written backward.
  state.SetBytesProcessed(state.iterations() * 6 * x.numel() * 4);
}

BENCHMARK(BM_BatchNormLayer)
    ->ArgsProduct({{16}, {28}, {0, 1}, {0, 1}})
    ->ArgsProduct({{32}, {14}, {0, 1}, {0, 1}})
    ->ArgsProduct({{64}, {7}, {0, 1}, {0, 1}})
    ->ArgNames({"channels", "hw", "relu", "fast"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// One optimizer step on the bag-of-embeddings student's embedding table of examples/text.yaml
// (28,000 rows x 64: 1.8 M parameters, the bulk of its distillation step), gradients given.
// Arguments: optimizer (0 adam, 1 adamw), compute path (0 reference: libtorch's optimizer,
// 1 fast: FusedAdam / FusedAdamW). Two threads. bytes_per_second counts what the fused step must
// move at least: parameter, gradient and both moments read, parameter and moments written.
void BM_AdamStep(benchmark::State& state) {
  distill::configure_threads(2);
  const auto path = state.range(1) ? ComputePath::kFast : ComputePath::kReference;
  distill::kernels::ScopedComputePath scoped(path);
  distill::distillation::OptimizerOptions options;
  options.kind = state.range(0) ? distill::distillation::OptimizerKind::kAdamW
                                : distill::distillation::OptimizerKind::kAdam;
  options.learning_rate = 1e-3;
  options.weight_decay = 0.01;
  at::Tensor table = at::randn({28000, 64}).requires_grad_(true);
  table.mutable_grad() = at::randn({28000, 64});
  auto optimizer = distill::distillation::make_optimizer({table}, options);
  for (auto _ : state) optimizer->step();
  state.SetLabel(std::string(state.range(0) ? "adamw " : "adam ") +
                 distill::kernels::to_string(path));
  state.SetBytesProcessed(state.iterations() * table.numel() * 7 * 4);
}

BENCHMARK(BM_AdamStep)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->ArgNames({"adamw", "fast"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One distillation step of the bag-of-embeddings student of examples/text.yaml (8,000 pieces +
// 20,000 bigram buckets, 64-d, 58 classes, batch 64 of 64 tokens with <cls> first and the last
// 16 positions of every other text padding): the bag, the soft KD loss against given teacher
// logits (T = 1, alpha = 0.1), backward and the Adam step. Argument: compute path (0 reference,
// 1 fast). Two threads. What the distillation epoch of the text pipeline repeats.
void BM_BagStudentDistillStep(benchmark::State& state) {
  distill::configure_threads(2);
  const auto path = state.range(0) ? ComputePath::kFast : ComputePath::kReference;
  distill::kernels::ScopedComputePath scoped(path);
  state.SetLabel(distill::kernels::to_string(path));
  distill::models::ModelSpec spec;
  spec.kind = distill::models::ModelKind::kBagOfEmbeddings;
  spec.vocab_size = 8000;
  spec.bigram_buckets = 20000;
  spec.embedding_dim = 64;
  spec.num_classes = 58;
  spec.input_shape = {64};
  auto model = distill::models::build_classifier(spec);
  model->train();
  distill::distillation::OptimizerOptions options;
  options.kind = distill::distillation::OptimizerKind::kAdam;
  options.learning_rate = 0.005;
  auto optimizer = distill::distillation::make_optimizer(model->parameters(), options);
  at::Tensor ids = at::randint(4, 8000, {64, 64}, at::kLong);
  ids.select(1, 0).fill_(2);  // <cls>
  for (int64_t b = 0; b < 64; b += 2) ids[b].slice(0, 48).fill_(0);
  const at::Tensor teacher = at::randn({64, 58});
  const at::Tensor labels = at::randint(0, 58, {64}, at::kLong);
  distill::distillation::KdLossOptions kd;
  kd.temperature = 1.0;
  kd.alpha = 0.1;
  distill::distillation::GradientReset gradients(model->parameters());
  for (auto _ : state) {
    gradients.release();  // as the trainer steps
    const at::Tensor logits = model->forward(ids);
    at::Tensor loss = path == ComputePath::kFast
                          ? distill::distillation::fused_kd_loss(logits, teacher, labels, kd)
                          : distill::distillation::kd_loss(logits, teacher, labels, kd);
    loss.backward();
    gradients.fill_unreached();
    optimizer->step();
  }
  state.SetItemsProcessed(state.iterations() * 64);
}

BENCHMARK(BM_BagStudentDistillStep)
    ->Arg(0)
    ->Arg(1)
    ->ArgNames({"fast"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  bool default_heap = false;
  for (int i = 1; i < argc; ++i) default_heap |= std::strcmp(argv[i], "--default-heap") == 0;
  if (!default_heap) distill::keep_freed_memory_for_reuse();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
