// Learning-rate schedules against their closed forms.
#include "distill/distillation/optimization.h"

#include <gtest/gtest.h>

#include <cmath>

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

}  // namespace
}  // namespace distill::distillation
