// FusedSgd against torch::optim::SGD: the same parameters after several steps for every option
// combination, and checkpoints that move between the two.
#include "distill/distillation/fused_sgd.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <vector>

#include "optimizer_steps.h"
#include "tensor_assertions.h"

namespace distill::distillation {
namespace {

std::vector<at::Tensor> sgd_test_parameters() {
  at::manual_seed(0);
  return {at::randn({300, 200}).requires_grad_(true), at::randn({200}).requires_grad_(true)};
}

/// The gradient of a fixed quadratic, so both optimizers see equal inputs.
at::Tensor quadratic_gradient(const at::Tensor& p, int step) { return p * 0.5 + 0.01 * (step + 1); }

void run_quadratic_steps(torch::optim::Optimizer& optimizer, std::vector<at::Tensor>& parameters,
                         int first, int count) {
  testing::run_steps(optimizer, parameters, first, count, quadratic_gradient);
}

class FusedSgdTest : public ::testing::TestWithParam<torch::optim::SGDOptions> {};

TEST_P(FusedSgdTest, MatchesLibtorchSgd) {
  auto reference_params = sgd_test_parameters();
  auto fused_params = testing::copy_parameters(reference_params);
  torch::optim::SGD reference(reference_params, GetParam());
  FusedSgd fused(fused_params, GetParam());
  run_quadratic_steps(reference, reference_params, 0, 5);
  run_quadratic_steps(fused, fused_params, 0, 5);
  for (size_t i = 0; i < reference_params.size(); ++i)
    EXPECT_TENSOR_CLOSE(fused_params[i], reference_params[i], 1e-6, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Options, FusedSgdTest,
    ::testing::Values(torch::optim::SGDOptions(0.1),
                      torch::optim::SGDOptions(0.1).weight_decay(0.01),
                      torch::optim::SGDOptions(0.05).momentum(0.9),
                      torch::optim::SGDOptions(0.05).momentum(0.9).dampening(0.1).weight_decay(1e-3),
                      torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true)));

TEST(FusedSgd, StateSavedByEitherOptimizerContinuesInTheOther) {
  const auto options = torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true);
  auto reference_params = sgd_test_parameters();
  torch::optim::SGD reference(reference_params, options);
  run_quadratic_steps(reference, reference_params, 0, 3);

  // The fused optimizer resumes from libtorch's checkpoint of the optimizer.
  auto fused_params = testing::copy_parameters(reference_params);
  FusedSgd fused(fused_params, options);
  testing::transfer_state(reference, fused);

  run_quadratic_steps(reference, reference_params, 3, 3);
  run_quadratic_steps(fused, fused_params, 3, 3);
  for (size_t i = 0; i < reference_params.size(); ++i)
    EXPECT_TENSOR_CLOSE(fused_params[i], reference_params[i], 1e-6, 1e-5);
}

TEST(FusedSgd, ParametersWithoutGradientAreLeftAlone) {
  auto params = sgd_test_parameters();
  const at::Tensor before = params[1].detach().clone();
  FusedSgd fused(params, torch::optim::SGDOptions(0.1).momentum(0.9));
  params[0].mutable_grad() = at::ones_like(params[0]);
  fused.step();
  EXPECT_TRUE(params[1].detach().equal(before));
  EXPECT_TENSOR_CLOSE(params[0].detach(), sgd_test_parameters()[0].detach() - 0.1);
}

}  // namespace
}  // namespace distill::distillation
