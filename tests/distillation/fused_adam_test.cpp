// FusedAdam and FusedAdamW against torch::optim::Adam and AdamW: the same parameters after several
// steps for each option combination (weight decay as L2 or decoupled, amsgrad), checkpoints that
// move between the fused and the libtorch optimizer both ways, and parameters the kernel cannot
// take (non-contiguous) stepped exactly as libtorch steps them.
#include "distill/distillation/fused_adam.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <vector>

#include "optimizer_steps.h"
#include "tensor_assertions.h"

namespace distill::distillation {
namespace {

std::vector<at::Tensor> adam_test_parameters() {
  at::manual_seed(0);
  // 300 x 300 = 90,000 elements: more than one thread chunk of the fused step.
  return {at::randn({300, 300}).requires_grad_(true), at::randn({200}).requires_grad_(true)};
}

/// Gradients of a fixed function of the parameters and the step, with both signs and a spread of
/// magnitudes, so that both optimizers see equal inputs and amsgrad's maximum changes hands.
at::Tensor wavy_gradient(const at::Tensor& p, int step) {
  return at::sin(p * (step + 1)) * (1.0 + 0.3 * step);
}

void run_wavy_steps(torch::optim::Optimizer& optimizer, std::vector<at::Tensor>& parameters,
                    int first, int count) {
  testing::run_steps(optimizer, parameters, first, count, wavy_gradient);
}

void expect_same(const std::vector<at::Tensor>& actual, const std::vector<at::Tensor>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_TENSOR_CLOSE(actual[i], expected[i], 1e-6, 1e-5);
}

class FusedAdamTest : public ::testing::TestWithParam<torch::optim::AdamOptions> {};

TEST_P(FusedAdamTest, MatchesLibtorchAdam) {
  auto reference_params = adam_test_parameters();
  auto fused_params = testing::copy_parameters(reference_params);
  torch::optim::Adam reference(reference_params, GetParam());
  FusedAdam fused(fused_params, GetParam());
  run_wavy_steps(reference, reference_params, 0, 6);
  run_wavy_steps(fused, fused_params, 0, 6);
  expect_same(fused_params, reference_params);
  // The parameters moved: the comparison is not of two untouched copies.
  EXPECT_GT((fused_params[0] - adam_test_parameters()[0]).abs().max().item<double>(), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(
    Options, FusedAdamTest,
    ::testing::Values(torch::optim::AdamOptions(0.01),
                      torch::optim::AdamOptions(0.01).weight_decay(0.05),
                      torch::optim::AdamOptions(0.02).betas({0.8, 0.99}).eps(1e-6).amsgrad(true),
                      torch::optim::AdamOptions(0.01).weight_decay(0.01).amsgrad(true)));

class FusedAdamWTest : public ::testing::TestWithParam<torch::optim::AdamWOptions> {};

TEST_P(FusedAdamWTest, MatchesLibtorchAdamW) {
  auto reference_params = adam_test_parameters();
  auto fused_params = testing::copy_parameters(reference_params);
  torch::optim::AdamW reference(reference_params, GetParam());
  FusedAdamW fused(fused_params, GetParam());
  run_wavy_steps(reference, reference_params, 0, 6);
  run_wavy_steps(fused, fused_params, 0, 6);
  expect_same(fused_params, reference_params);
}

INSTANTIATE_TEST_SUITE_P(
    Options, FusedAdamWTest,
    ::testing::Values(torch::optim::AdamWOptions(0.01),  // libtorch's default decay, 0.01
                      torch::optim::AdamWOptions(0.01).weight_decay(0),
                      torch::optim::AdamWOptions(0.02).weight_decay(0.1).amsgrad(true)));

TEST(FusedAdam, StateSavedByEitherOptimizerContinuesInTheOther) {
  const auto options = torch::optim::AdamWOptions(0.01).weight_decay(0.05).amsgrad(true);
  auto reference_params = adam_test_parameters();
  torch::optim::AdamW reference(reference_params, options);
  run_wavy_steps(reference, reference_params, 0, 3);

  // The fused optimizer resumes from libtorch's checkpoint, at libtorch's step count.
  auto fused_params = testing::copy_parameters(reference_params);
  FusedAdamW fused(fused_params, options);
  testing::transfer_state(reference, fused);
  run_wavy_steps(reference, reference_params, 3, 3);
  run_wavy_steps(fused, fused_params, 3, 3);
  expect_same(fused_params, reference_params);

  // And libtorch's optimizer resumes from the fused one's.
  auto back_params = testing::copy_parameters(fused_params);
  torch::optim::AdamW back(back_params, options);
  testing::transfer_state(fused, back);
  run_wavy_steps(reference, reference_params, 6, 2);
  run_wavy_steps(back, back_params, 6, 2);
  expect_same(back_params, reference_params);
}

TEST(FusedAdam, ANonContiguousParameterIsSteppedAsLibtorchStepsIt) {
  at::manual_seed(1);
  // A transposed copy keeps its strides: a leaf the fused kernel cannot read row by row.
  const at::Tensor start = at::randn({40, 30}).t().clone();
  ASSERT_FALSE(start.is_contiguous());
  std::vector<at::Tensor> reference_params = {start.clone().requires_grad_(true)};
  std::vector<at::Tensor> fused_params = {start.clone().requires_grad_(true)};
  const auto options = torch::optim::AdamOptions(0.01).weight_decay(0.01);
  torch::optim::Adam reference(reference_params, options);
  FusedAdam fused(fused_params, options);
  for (int step = 0; step < 3; ++step) {
    for (auto* params : {&reference_params, &fused_params})
      (*params)[0].mutable_grad() = at::cos((*params)[0].detach() * (step + 2));
    reference.step();
    fused.step();
  }
  expect_same(fused_params, reference_params);
}

TEST(FusedAdam, ParametersWithoutGradientAreLeftAlone) {
  auto params = adam_test_parameters();
  const at::Tensor before = params[1].detach().clone();
  FusedAdam fused(params, torch::optim::AdamOptions(0.1));
  params[0].mutable_grad() = at::ones_like(params[0]);
  fused.step();
  EXPECT_TRUE(params[1].detach().equal(before));
  // Adam's first step moves every element by lr (m̂ = g, v̂ = g², so m̂/√v̂ = 1) less eps's share.
  EXPECT_TENSOR_CLOSE(params[0].detach(), adam_test_parameters()[0].detach() - 0.1, 1e-6, 1e-6);
}

}  // namespace
}  // namespace distill::distillation
