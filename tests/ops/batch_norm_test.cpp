// The fused oneDNN batch norm (+ ReLU) held to libtorch's module followed by at::relu: output,
// the gradients of the input, γ and β, and the running averages and step count after several
// training steps (with a momentum and with the cumulative average); evaluation mode and inputs
// the fast path does not take fall back to the module.
#include "distill/ops/batch_norm.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "distill/kernels/compute_path.h"
#include "tensor_assertions.h"

namespace distill::ops {
namespace {

struct BatchNormCase {
  int64_t batch, channels, hw;
  bool relu;
  bool cumulative;  // momentum none: running averages are the cumulative mean
};

torch::nn::BatchNorm2d batch_norm_module(const BatchNormCase& c) {
  auto options = torch::nn::BatchNorm2dOptions(c.channels);
  if (c.cumulative) options.momentum(c10::nullopt);
  torch::nn::BatchNorm2d bn(options);
  at::manual_seed(c.channels);
  at::NoGradGuard no_grad;
  bn->weight.copy_(at::rand({c.channels}) + 0.5);
  bn->bias.copy_(at::randn({c.channels}) * 0.3);
  return bn;
}

struct StepResult {
  at::Tensor y, dx, dweight, dbias;
};

/// Three training steps on the module; the last step's output and gradients.
StepResult train_steps(torch::nn::BatchNorm2d& bn, const BatchNormCase& c, bool fast) {
  const BatchNormActivation activation =
      c.relu ? BatchNormActivation::kRelu : BatchNormActivation::kNone;
  bn->train();
  StepResult result;
  for (int step = 0; step < 3; ++step) {
    at::manual_seed(100 + step);
    // A convolution's output: channels-last, off zero mean.
    at::Tensor x = (at::randn({c.batch, c.channels, c.hw, c.hw}) * 2 + 0.5)
                       .contiguous(at::MemoryFormat::ChannelsLast)
                       .requires_grad_(true);
    bn->zero_grad();
    at::Tensor y;
    {
      kernels::ScopedComputePath path(fast ? kernels::ComputePath::kFast
                                           : kernels::ComputePath::kReference);
      y = batch_norm(*bn, x, activation);
    }
    (y * at::randn(y.sizes())).sum().backward();
    result = {y.detach(), x.grad(), bn->weight.grad().clone(), bn->bias.grad().clone()};
  }
  return result;
}

class OneDnnBatchNormTest : public ::testing::TestWithParam<BatchNormCase> {};

TEST_P(OneDnnBatchNormTest, MatchesTheModuleInValuesGradientsAndRunningStatistics) {
  const BatchNormCase c = GetParam();
  torch::nn::BatchNorm2d fast_bn = batch_norm_module(c), reference_bn = batch_norm_module(c);
  const StepResult fast = train_steps(fast_bn, c, true);
  const StepResult reference = train_steps(reference_bn, c, false);
  EXPECT_TENSOR_CLOSE(fast.y, reference.y, 1e-4, 1e-4);
  EXPECT_TENSOR_CLOSE(fast.dx, reference.dx, 1e-4, 1e-4);
  EXPECT_TENSOR_CLOSE(fast.dweight, reference.dweight, 1e-3, 1e-4);
  EXPECT_TENSOR_CLOSE(fast.dbias, reference.dbias, 1e-3, 1e-4);
  EXPECT_TENSOR_CLOSE(fast_bn->running_mean, reference_bn->running_mean, 1e-5, 1e-5);
  EXPECT_TENSOR_CLOSE(fast_bn->running_var, reference_bn->running_var, 1e-5, 1e-5);
  EXPECT_EQ(fast_bn->num_batches_tracked.item<int64_t>(), 3);
  EXPECT_EQ(reference_bn->num_batches_tracked.item<int64_t>(), 3);
  EXPECT_TRUE(fast.y.is_contiguous(at::MemoryFormat::ChannelsLast));
  if (c.relu) {
    EXPECT_EQ(fast.y.min().item<float>(), 0.0f);
    // Where the ReLU cut the output, no gradient passes (γ > 0 here, so x̂ ≤ −β/γ there).
    EXPECT_GT((fast.y == 0).sum().item<int64_t>(), 0);
  }
}

std::string case_name(const ::testing::TestParamInfo<BatchNormCase>& info) {
  const BatchNormCase& c = info.param;
  return "b" + std::to_string(c.batch) + "c" + std::to_string(c.channels) + "hw" +
         std::to_string(c.hw) + (c.relu ? "_relu" : "") + (c.cumulative ? "_cumulative" : "");
}

INSTANTIATE_TEST_SUITE_P(Shapes, OneDnnBatchNormTest,
                         ::testing::Values(BatchNormCase{4, 16, 12, true, false},
                                           BatchNormCase{4, 16, 12, false, false},
                                           BatchNormCase{3, 24, 7, true, true},
                                           BatchNormCase{5, 64, 4, false, true},
                                           BatchNormCase{6, 10, 1, true, false}),
                         case_name);

TEST(OneDnnBatchNorm, EvaluationModeIsTheModulesForwardWithTheRunningAverages) {
  const BatchNormCase c{3, 8, 5, true, false};
  torch::nn::BatchNorm2d bn = batch_norm_module(c);
  {
    at::NoGradGuard no_grad;
    bn->running_mean.copy_(at::randn({8}));
    bn->running_var.copy_(at::rand({8}) + 0.5);
  }
  bn->eval();
  const at::Tensor x = at::randn({3, 8, 5, 5});
  const at::Tensor expected = at::relu(bn->forward(x));
  EXPECT_TENSOR_CLOSE(onednn_batch_norm(*bn, x, BatchNormActivation::kRelu), expected, 1e-6, 1e-6);
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 0);
}

TEST(OneDnnBatchNorm, OneValuePerChannelInTrainingIsLibtorchsError) {
  torch::nn::BatchNorm2d bn(torch::nn::BatchNorm2dOptions(4));
  bn->train();
  try {
    onednn_batch_norm(*bn, at::randn({1, 4, 1, 1}), BatchNormActivation::kRelu);
    FAIL() << "expected libtorch's error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than 1 value per channel"), std::string::npos);
  }
}

TEST(OneDnnBatchNorm, ContiguousInputsAreTakenAndAnsweredChannelsLast) {
  const BatchNormCase c{2, 8, 6, false, false};
  torch::nn::BatchNorm2d fast_bn = batch_norm_module(c), reference_bn = batch_norm_module(c);
  at::manual_seed(4);
  const at::Tensor x = at::randn({2, 8, 6, 6});  // NCHW-contiguous
  const at::Tensor y = onednn_batch_norm(*fast_bn, x, BatchNormActivation::kNone);
  EXPECT_TRUE(y.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TENSOR_CLOSE(y, reference_bn->forward(x), 1e-4, 1e-4);
}

}  // namespace
}  // namespace distill::ops
