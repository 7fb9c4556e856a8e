// The fused KD loss held to the reference kd_loss in value and gradient, and checked by finite
// differences.
#include "distill/distillation/fused_kd_loss.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"
#include "tensor_assertions.h"

namespace distill::distillation {
namespace {

struct Case {
  int64_t batch, classes;
  double temperature, alpha, logit_scale;
};

class FusedKdLossTest : public ::testing::TestWithParam<Case> {};

TEST_P(FusedKdLossTest, MatchesTheReferenceInValueAndGradient) {
  const Case c = GetParam();
  at::manual_seed(c.batch * 131 + c.classes);
  const at::Tensor base = at::randn({c.batch, c.classes}) * c.logit_scale;
  const at::Tensor teacher = at::randn({c.batch, c.classes}) * c.logit_scale;
  const at::Tensor labels = at::randint(0, c.classes, {c.batch}, at::kLong);
  const KdLossOptions options{c.temperature, c.alpha};

  at::Tensor s_ref = base.clone().requires_grad_(true);
  const at::Tensor ref = kd_loss(s_ref, teacher, labels, options);
  ref.backward();
  at::Tensor s_fused = base.clone().requires_grad_(true);
  const at::Tensor fused = fused_kd_loss(s_fused, teacher, labels, options);
  (fused * 3.0).backward();  // a non-unit upstream gradient must scale through

  EXPECT_NEAR(fused.item<double>(), ref.item<double>(), 1e-5 * (1 + std::abs(ref.item<double>())));
  EXPECT_TENSOR_CLOSE(s_fused.grad(), s_ref.grad() * 3.0, 1e-6, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Shapes, FusedKdLossTest,
                         ::testing::Values(Case{128, 10, 4.0, 0.1, 3.0}, Case{7, 3, 1.0, 0.0, 1.0},
                                           Case{33, 100, 2.0, 1.0, 5.0}, Case{1, 2, 8.0, 0.5, 20.0},
                                           Case{64, 10, 0.5, 0.3, 30.0}));

TEST(FusedKdLoss, GradientMatchesFiniteDifferences) {
  at::manual_seed(5);
  const at::Tensor s = at::randn({4, 6});
  const at::Tensor t = at::randn({4, 6}) * 2;
  const at::Tensor y = at::tensor({0, 5, 2, 2}, at::kLong);
  const KdLossOptions options{3.0, 0.25};
  at::Tensor x = s.clone().requires_grad_(true);
  fused_kd_loss(x, t, y, options).backward();
  const double h = 1e-2;  // float32 forward: a wide step keeps rounding small against the slope
  at::Tensor numeric = at::zeros_like(s);
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t j = 0; j < 6; ++j) {
      at::Tensor plus = s.clone(), minus = s.clone();
      plus[i][j] += h;
      minus[i][j] -= h;
      numeric[i][j] = (fused_kd_loss(plus, t, y, options).item<double>() -
                       fused_kd_loss(minus, t, y, options).item<double>()) / (2 * h);
    }
  }
  EXPECT_TENSOR_CLOSE(x.grad(), numeric, 2e-4, 1e-2);
}

TEST(FusedKdLoss, RejectsWhatTheReferenceRejects) {
  const at::Tensor s = at::randn({2, 3});
  EXPECT_THROW(fused_kd_loss(s, s, at::zeros({2}, at::kLong), {0.0, 0.5}), Error);
  EXPECT_THROW(fused_kd_loss(s, at::randn({2, 4}), at::zeros({2}, at::kLong), {1.0, 0.5}), Error);
  EXPECT_THROW(fused_kd_loss(s, s, at::tensor({0, 3}, at::kLong), {1.0, 0.5}), Error);
}

}  // namespace
}  // namespace distill::distillation
