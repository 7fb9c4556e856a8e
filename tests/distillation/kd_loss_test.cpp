// The distillation losses against a closed form, the analytic gradient, finite differences and
// PyTorch's own functions (run through /usr/bin/python3).
#include "distill/distillation/kd_loss.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "distill/core/error.h"
#include "tensor_assertions.h"
#include "test_support.h"

namespace distill::distillation {
namespace {

using testing::run_command;

at::Tensor logits_from(std::vector<double> values, int64_t rows) {
  return at::tensor(values, at::kDouble).view({rows, -1});
}

TEST(KdLoss, MatchesTheClosedFormForTwoClasses) {
  // Student logits (0, 0): p = (1/2, 1/2). Teacher logits (a, 0): q = (s(a/T), 1 - s(a/T)).
  const double a = 3.0, t = 2.0, alpha = 0.3;
  const double q1 = 1.0 / (1.0 + std::exp(-a / t)), q2 = 1.0 - q1;
  const double kl = q1 * std::log(2 * q1) + q2 * std::log(2 * q2);
  const double expected = alpha * std::log(2.0) + (1 - alpha) * t * t * kl;
  const at::Tensor loss = kd_loss(logits_from({0, 0}, 1), logits_from({a, 0}, 1),
                                  at::tensor({0}, at::kLong), {t, alpha});
  EXPECT_NEAR(loss.item<double>(), expected, 1e-12);
}

TEST(KdLoss, AlphaOneIsExactlyCrossEntropyAndAlphaZeroExactlyScaledKl) {
  const at::Tensor s = at::randn({8, 5}, at::kDouble), t = at::randn({8, 5}, at::kDouble);
  const at::Tensor y = at::randint(0, 5, {8}, at::kLong);
  EXPECT_EQ(kd_loss(s, t, y, {4.0, 1.0}).item<double>(),
            at::nll_loss(at::log_softmax(s, 1), y).item<double>());
  // A teacher full of NaN must not leak into the pure cross-entropy.
  EXPECT_TRUE(std::isfinite(kd_loss(s, t * NAN, y, {4.0, 1.0}).item<double>()));
  const at::Tensor q = at::softmax(t / 4.0, 1);
  const double kl = (q * (q.log() - at::log_softmax(s / 4.0, 1))).sum(1).mean().item<double>();
  EXPECT_NEAR(kd_loss(s, t, y, {4.0, 0.0}).item<double>(), 16.0 * kl, 1e-12);
}

TEST(KdLoss, IsZeroKlWhenStudentEqualsTeacher) {
  const at::Tensor s = at::randn({4, 10}, at::kDouble);
  EXPECT_NEAR(kd_loss(s, s.clone(), at::zeros({4}, at::kLong), {3.0, 0.0}).item<double>(), 0.0, 1e-12);
}

TEST(KdLoss, GradientMatchesTheAnalyticFormAndFiniteDifferences) {
  const int64_t b = 3, k = 4;
  const double t = 2.5, alpha = 0.4;
  const at::Tensor teacher = at::randn({b, k}, at::kDouble) * 3;
  const at::Tensor labels = at::tensor({1, 3, 0}, at::kLong);
  at::Tensor student = (at::randn({b, k}, at::kDouble) * 2).requires_grad_(true);
  kd_loss(student, teacher, labels, {t, alpha}).backward();
  const at::Tensor grad = student.grad().clone();

  // dL/ds = alpha/B (softmax(s) - onehot(y)) + (1 - alpha) T/B (softmax(s/T) - softmax(t/T))
  const at::Tensor s = student.detach();
  const at::Tensor analytic =
      alpha / b * (at::softmax(s, 1) - at::one_hot(labels, k).to(at::kDouble)) +
      (1 - alpha) * t / b * (at::softmax(s / t, 1) - at::softmax(teacher / t, 1));
  EXPECT_TENSOR_CLOSE(grad, analytic, 1e-12, 1e-10);

  const double h = 1e-6;
  at::Tensor numeric = at::zeros_like(s);
  for (int64_t i = 0; i < b; ++i) {
    for (int64_t j = 0; j < k; ++j) {
      at::Tensor plus = s.clone(), minus = s.clone();
      plus[i][j] += h;
      minus[i][j] -= h;
      numeric[i][j] = (kd_loss(plus, teacher, labels, {t, alpha}).item<double>() -
                       kd_loss(minus, teacher, labels, {t, alpha}).item<double>()) / (2 * h);
    }
  }
  EXPECT_TENSOR_CLOSE(grad, numeric, 1e-8, 1e-6);
}

TEST(KdLoss, TeacherReceivesNoGradient) {
  at::Tensor teacher = at::randn({2, 3}).requires_grad_(true);
  at::Tensor student = at::randn({2, 3}).requires_grad_(true);
  kd_loss(student, teacher, at::zeros({2}, at::kLong), {2.0, 0.5}).backward();
  EXPECT_FALSE(teacher.grad().defined());
  EXPECT_TRUE(student.grad().defined());
}

TEST(KdLoss, MatchesPyTorch) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  const std::vector<double> s = {1.5, -0.3, 0.2, 2.0, 0.0, -1.0, 0.7, 0.7, -2.2};
  const std::vector<double> t = {3.0, 0.5, -1.0, 0.1, 0.2, 4.0, -0.5, 1.5, 0.0};
  const std::vector<int64_t> y = {0, 2, 1};
  const double temperature = 4.0, alpha = 0.1;
  // The peer's formulation (shared/peers/torch_kd.py), in float64.
  const std::string script = R"(
import sys, torch, torch.nn.functional as F
s = torch.tensor([1.5, -0.3, 0.2, 2.0, 0.0, -1.0, 0.7, 0.7, -2.2], dtype=torch.float64).view(3, 3).requires_grad_()
t = torch.tensor([3.0, 0.5, -1.0, 0.1, 0.2, 4.0, -0.5, 1.5, 0.0], dtype=torch.float64).view(3, 3)
y = torch.tensor([0, 2, 1])
T, a = 4.0, 0.1
kd = F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") * T * T
loss = a * F.cross_entropy(s, y) + (1 - a) * kd
loss.backward()
print(repr(loss.item()), *[repr(v) for v in s.grad.flatten().tolist()])
)";
  const auto result = run_command({"/usr/bin/python3", "-c", script});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::istringstream in(result.output);
  double expected_loss = 0;
  in >> expected_loss;
  std::vector<double> expected_grad(9);
  for (double& g : expected_grad) in >> g;
  ASSERT_FALSE(in.fail()) << result.output;

  at::Tensor student = logits_from(s, 3).requires_grad_(true);
  const at::Tensor loss =
      kd_loss(student, logits_from(t, 3), at::tensor(y, at::kLong), {temperature, alpha});
  loss.backward();
  EXPECT_NEAR(loss.item<double>(), expected_loss, 1e-12);
  EXPECT_TENSOR_CLOSE(student.grad(), logits_from(expected_grad, 3), 1e-12, 1e-10);
}

TEST(PseudoLabelLoss, IsCrossEntropyOnTheTeachersArgmax) {
  const at::Tensor s = at::randn({6, 4}, at::kDouble), t = at::randn({6, 4}, at::kDouble);
  const at::Tensor y = at::randint(0, 4, {6}, at::kLong);
  const double expected = 0.25 * at::nll_loss(at::log_softmax(s, 1), y).item<double>() +
                          0.75 * at::nll_loss(at::log_softmax(s, 1), t.argmax(1)).item<double>();
  EXPECT_NEAR(pseudo_label_loss(s, t, y, 0.25).item<double>(), expected, 1e-12);
}

TEST(KdLoss, RejectsBadOptionsAndShapes) {
  const at::Tensor s = at::randn({2, 3}), y = at::zeros({2}, at::kLong);
  auto message = [&](auto f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(message([&] { kd_loss(s, s, y, {0.0, 0.5}); }),
            "distillation temperature must be > 0, got 0");
  EXPECT_EQ(message([&] { kd_loss(s, s, y, {2.0, 1.5}); }),
            "distillation alpha must lie in [0, 1], got 1.5");
  EXPECT_EQ(message([&] { kd_loss(s, at::randn({2, 4}), y, {2.0, 0.5}); }),
            "teacher logits [2, 4] do not match student logits [2, 3] (do teacher and student "
            "have the same number of classes?)");
}

}  // namespace
}  // namespace distill::distillation
