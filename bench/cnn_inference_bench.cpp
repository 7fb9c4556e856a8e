// The CNN student of examples/methods/cnn_under_100k.yaml (ResNet-style 16-32-64, 77,754
// parameters, 28x28 images) at inference, four ways on the same network: libtorch's eval-mode
// forward with batch norm as its own layers, the same network with batch norm and the input
// normalisation folded into the convolutions run by libtorch, the folded network on oneDNN in
// blocked layouts (compression::FoldedCnnInference, what distill's fp32 rows of a CNN report),
// and the int8 runtime. Folded oneDNN fp32 against int8 is the gain of quantization alone. Last,
// the teacher's pass of a live-teacher distillation step, through each teacher source.
// Weights are random (the timings do not depend on them); batch-norm statistics are set to
// non-trivial values so that folding has work to do. Rates are per wall-clock second (libtorch
// and the runtime both use more than the calling thread).
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <memory>
#include <string>
#include <vector>

#include "distill/compression/cnn_int8_export.h"
#include "distill/compression/folded_cnn_inference.h"
#include "distill/core/allocator.h"
#include "distill/core/threads.h"
#include "distill/distillation/folded_cnn_teacher.h"
#include "distill/distillation/int8_teacher.h"
#include "distill/kernels/fp32_conv_network.h"
#include "distill/models/classifier.h"
#include "distill/runtime/int8_classifier.h"

namespace {

using namespace distill;

struct Networks {
  models::ClassifierPtr model;
  data::Normalization normalization{{0.286f}, {0.353f}};
  compression::FoldedCnn folded;
  std::unique_ptr<compression::FoldedCnnInference> folded_onednn;
  std::unique_ptr<runtime::Int8Classifier> int8;
};

/// A ResNet-style network of cnn_under_100k.yaml (one block per stage) for 28x28 grey images.
models::ModelSpec resnet_spec(std::vector<int64_t> channels) {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kResNet;
  spec.channels = std::move(channels);
  spec.blocks_per_stage = 1;
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  return spec;
}

Networks& networks() {
  static Networks* n = [] {
    keep_freed_memory_for_reuse();  // as the distill program's heap does (core/allocator.h)
    configure_threads(2);
    auto* out = new Networks;
    const models::ModelSpec spec = resnet_spec({16, 32, 64});
    out->model = models::build_classifier(spec, 0);
    {
      torch::NoGradGuard no_grad;
      for (auto& buffer : out->model->named_buffers()) {
        if (buffer.key().find("running_mean") != std::string::npos) buffer.value().uniform_(-0.1, 0.1);
        if (buffer.key().find("running_var") != std::string::npos) buffer.value().uniform_(0.5, 1.5);
      }
    }
    out->model->eval();
    out->folded = compression::fold_cnn(*out->model, out->normalization);
    out->folded_onednn =
        std::make_unique<compression::FoldedCnnInference>(out->folded, spec.input_shape);
    const at::Tensor calibration = at::rand({256, 1, 28, 28});
    out->int8 = std::make_unique<runtime::Int8Classifier>(compression::quantize_cnn(
        *out->model, out->normalization, calibration, compression::ObserverOptions{}));
    return out;
  }();
  return *n;
}

at::Tensor raw_batch(int64_t batch) { return at::rand({batch, 1, 28, 28}); }

// Argument: batch.
void BM_CnnFp32Unfolded(benchmark::State& state) {
  Networks& n = networks();
  const at::Tensor x = n.normalization.apply(raw_batch(state.range(0)));
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(n.model->forward(x));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CnnFp32Unfolded)->Arg(1)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_CnnFp32Folded(benchmark::State& state) {
  Networks& n = networks();
  const at::Tensor x = raw_batch(state.range(0));
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(compression::run_folded_cnn(n.folded, x));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CnnFp32Folded)->Arg(1)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_CnnFp32FoldedOneDnn(benchmark::State& state) {
  Networks& n = networks();
  const int64_t batch = state.range(0);
  const at::Tensor x = raw_batch(batch).contiguous();
  std::vector<float> logits(static_cast<size_t>(batch * 10));
  for (auto _ : state) n.folded_onednn->logits(x.data_ptr<float>(), batch, logits.data());
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_CnnFp32FoldedOneDnn)->Arg(1)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_CnnInt8Runtime(benchmark::State& state) {
  Networks& n = networks();
  const int64_t batch = state.range(0);
  const at::Tensor x = raw_batch(batch).contiguous();
  std::vector<float> logits(static_cast<size_t>(batch * 10));
  for (auto _ : state) n.int8->logits(x.data_ptr<float>(), batch, logits.data());
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_CnnInt8Runtime)->Arg(1)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Each convolution of the folded network in place (reading the layout its producer wrote),
// timed step by step: a counter per layer with its multiply-adds per second (divide by
// bench/cpu_peak_bench's FMA peak times the threads for the fraction of peak), the label its
// shapes. Argument: batch.
void BM_FoldedConvolutionsPerLayer(benchmark::State& state) {
  Networks& n = networks();
  const int64_t batch = state.range(0);
  kernels::OneDnnFp32ConvNetwork& network = n.folded_onednn->convolutions();
  const kernels::Fp32ConvNetwork& layers = network.network();
  const at::Tensor x = raw_batch(batch).contiguous();
  std::vector<float> pooled(static_cast<size_t>(batch * layers.pooled_channels()));
  std::vector<double> seconds;
  for (auto _ : state) seconds = network.layer_seconds(batch, x.data_ptr<float>(), pooled.data(), 5);
  std::vector<std::vector<int64_t>> shapes{layers.input_shape};
  std::string label;
  for (size_t i = 0; i < layers.layers.size(); ++i) {
    const kernels::Fp32ConvLayer& l = layers.layers[i];
    const std::vector<int64_t>& in = shapes[static_cast<size_t>(l.input + 1)];
    const double macs = static_cast<double>(batch * l.macs(in[1], in[2]));
    state.counters["conv" + std::to_string(i) + "_GMACs"] = macs / seconds[i] / 1e9;
    label += " conv" + std::to_string(i) + ": " + std::to_string(l.in_channels) + "->" +
             std::to_string(l.out_channels) + " k" + std::to_string(l.kernel) + " s" +
             std::to_string(l.stride) + " at " + std::to_string(in[1]) + "x" +
             std::to_string(in[2]) + (l.residual >= 0 ? " +residual" : "") + ";";
    shapes.push_back({l.out_channels, (in[1] + 2 * l.padding - l.kernel) / l.stride + 1,
                      (in[2] + 2 * l.padding - l.kernel) / l.stride + 1});
  }
  state.counters["pool_us"] = seconds.back() * 1e6;
  state.SetLabel(network.layout(batch, 1) + ";" + label);
}
BENCHMARK(BM_FoldedConvolutionsPerLayer)->Arg(256)->Unit(benchmark::kMillisecond)->Iterations(3);

// The teacher's pass of one live-teacher distillation step (the teacher 32-64-128 of
// cnn_under_100k.yaml, batch 128, normalised inputs as the trainer passes them), through the
// teacher sources the trainer calls: libtorch's eval-mode model (distillation::LiveTeacher), its
// folded network on oneDNN (FoldedCnnTeacher, what the fast compute path runs), and its int8
// model (Int8Teacher, distill.teacher_precision: int8). Argument: 0, 1, 2 in that order.
void BM_LiveTeacherPass(benchmark::State& state) {
  static const data::Normalization normalization{{0.286f}, {0.353f}};
  static models::ClassifierPtr teacher = models::build_classifier(resnet_spec({32, 64, 128}), 0);
  static std::vector<std::shared_ptr<distillation::TeacherLogitSource>> sources = [] {
    networks();  // the process settings
    teacher->eval();
    return std::vector<std::shared_ptr<distillation::TeacherLogitSource>>{
        std::make_shared<distillation::LiveTeacher>(teacher),
        std::make_shared<distillation::FoldedCnnTeacher>(*teacher),
        std::make_shared<distillation::Int8Teacher>(
            compression::quantize_cnn(*teacher, normalization, at::rand({256, 1, 28, 28}),
                                      compression::ObserverOptions{}),
            normalization)};
  }();
  distillation::TeacherLogitSource& source = *sources.at(static_cast<size_t>(state.range(0)));
  data::Batch batch;
  batch.inputs = normalization.apply(raw_batch(128));
  for (auto _ : state) benchmark::DoNotOptimize(source.logits(batch));
  state.SetItemsProcessed(state.iterations() * 128);
  state.SetLabel(source.engine());
}
BENCHMARK(BM_LiveTeacherPass)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
