// Learning-rate schedules against their closed forms; released gradients against zero_grad.
#include "distill/distillation/optimization.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/optim/optimizer.h>

#include <cmath>

#include "distill/kernels/compute_path.h"

namespace distill::distillation {
namespace {

TEST(Schedule, CosineFallsFromTheBaseRateToZero) {
  ScheduleOptions cosine;
  cosine.kind = ScheduleKind::kCosine;
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(cosine, 0.1, 0, 10, 100), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(cosine, 0.1, 50, 10, 100), 0.05);
  EXPECT_NEAR(scheduled_learning_rate(cosine, 0.1, 25, 10, 100),
              0.05 * (1 + std::cos(M_PI / 4)), 1e-15);
}

TEST(Schedule, StepMultipliesByGammaEveryStepEpochs) {
  ScheduleOptions step;
  step.kind = ScheduleKind::kStep;
  step.step_epochs = 2;
  step.step_gamma = 0.5;
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(step, 1.0, 19, 10, 100), 1.0);   // epoch 1
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(step, 1.0, 20, 10, 100), 0.5);   // epoch 2
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(step, 1.0, 45, 10, 100), 0.25);  // epoch 4
}

TEST(Schedule, WarmupRisesLinearlyThenHandsOver) {
  ScheduleOptions warm;
  warm.kind = ScheduleKind::kConstant;
  warm.warmup_epochs = 1;
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(warm, 0.2, 0, 4, 40), 0.05);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(warm, 0.2, 3, 4, 40), 0.2);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(warm, 0.2, 30, 4, 40), 0.2);
}

TEST(GradientReset, StepsExactlyAsZeroGradDoes) {
  // Parameters reached every step, only at the first step, and never. With weight decay the
  // optimizer moves a parameter whose gradient is zero (Adam also by its decaying moments), so
  // one that zero_grad would have kept stepping and this did not (or the reverse) would show.
  for (const auto path : {kernels::ComputePath::kReference, kernels::ComputePath::kFast})
  for (const auto kind : {OptimizerKind::kAdam, OptimizerKind::kAdamW, OptimizerKind::kSgd}) {
    kernels::ScopedComputePath scoped(path);  // libtorch's optimizers, then the fused ones
    at::manual_seed(11);
    const std::vector<at::Tensor> start{at::randn({50, 8}), at::randn({6}), at::randn({3})};
    const at::Tensor x = at::randn({8, 4});
    OptimizerOptions options;
    options.kind = kind;
    options.learning_rate = 0.01;
    options.weight_decay = 0.1;
    auto run = [&](bool reset) {
      std::vector<at::Tensor> parameters;
      for (const at::Tensor& t : start) parameters.push_back(t.clone().requires_grad_(true));
      auto optimizer = make_optimizer(parameters, options);
      GradientReset gradients(parameters);
      std::vector<at::Tensor> after_first;
      for (int step = 0; step < 5; ++step) {
        if (reset) gradients.release(); else optimizer->zero_grad();
        at::Tensor loss = parameters[0].index_select(0, at::arange(step, 50, 3)).matmul(x).pow(2).sum();
        if (step == 0) loss = loss + parameters[1].sum();
        loss.backward();
        if (reset) gradients.fill_unreached();
        optimizer->step();
        if (step == 0) after_first = {parameters[1].detach().clone()};
      }
      parameters.push_back(after_first[0]);
      return parameters;
    };
    const auto zeroed = run(false), reset = run(true);
    for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(at::equal(zeroed[i], reset[i])) << to_string(kind) << " " << i;
    EXPECT_FALSE(at::equal(reset[1], reset[3])) << to_string(kind);  // kept stepping on zeros
    EXPECT_TRUE(at::equal(reset[1].grad(), at::zeros({6})));
    EXPECT_TRUE(at::equal(reset[2], start[2])) << to_string(kind);   // never reached, never stepped
    EXPECT_FALSE(reset[2].grad().defined());
  }
}

}  // namespace
}  // namespace distill::distillation
