// Metrics against values worked out by hand.
#include "distill/evaluation/metrics.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

namespace distill::evaluation {
namespace {

TEST(Metrics, AccuracyConfusionPerClassAndAgreement) {
  // Predictions (argmax): 0, 1, 1, 2, 0 for labels 0, 1, 2, 2, 1.
  const at::Tensor logits = at::tensor({5.f, 0.f, 0.f,   0.f, 5.f, 0.f,  0.f, 5.f, 0.f,
                                        0.f, 0.f, 5.f,   5.f, 0.f, 0.f}).view({5, 3});
  const at::Tensor labels = at::tensor({0, 1, 2, 2, 1}, at::kLong);
  const at::Tensor teacher = at::tensor({0, 1, 2, 2, 0}, at::kLong);
  const ClassificationMetrics m = compute_metrics(logits, labels, 3, teacher);
  EXPECT_EQ(m.samples, 5);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.6);
  EXPECT_EQ(m.confusion, (std::vector<std::vector<int64_t>>{{1, 0, 0}, {1, 1, 0}, {0, 1, 1}}));
  EXPECT_EQ(m.per_class_count, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(m.per_class_accuracy, (std::vector<double>{1.0, 0.5, 0.5}));
  ASSERT_TRUE(m.agreement.has_value());
  EXPECT_DOUBLE_EQ(*m.agreement, 0.8);
  // NLL: right answers cost log(1 + 2e^-5), wrong ones 5 + log(1 + 2e^-5).
  const double c = std::log(1 + 2 * std::exp(-5.0));
  EXPECT_NEAR(m.mean_nll, (5 * c + 2 * 5.0) / 5, 1e-6);
}

TEST(Metrics, PrecisionRecallAndMacroF1) {
  // The batch above: precision 1/2, 1/2, 1/1; recall 1, 1/2, 1/2; F1 2/3, 1/2, 2/3.
  const at::Tensor logits = at::tensor({5.f, 0.f, 0.f,   0.f, 5.f, 0.f,  0.f, 5.f, 0.f,
                                        0.f, 0.f, 5.f,   5.f, 0.f, 0.f}).view({5, 3});
  const ClassificationMetrics m = compute_metrics(logits, at::tensor({0, 1, 2, 2, 1}, at::kLong), 3);
  EXPECT_EQ(m.per_class_precision, (std::vector<double>{0.5, 0.5, 1.0}));
  ASSERT_EQ(m.per_class_f1.size(), 3u);
  EXPECT_DOUBLE_EQ(m.per_class_f1[0], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.per_class_f1[1], 0.5);
  EXPECT_DOUBLE_EQ(m.per_class_f1[2], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.macro_f1, (2.0 / 3.0 + 0.5 + 2.0 / 3.0) / 3.0);
  // A class neither present nor predicted does not count (scikit-learn's macro average over the
  // labels seen); one predicted but absent counts with F1 0.
  const at::Tensor two = at::tensor({5.f, 0.f, 0.f, 0.f, 0.f, 0.f, 5.f, 0.f}).view({2, 4});
  const ClassificationMetrics seen = compute_metrics(two, at::tensor({0, 0}, at::kLong), 4);
  // Class 0: precision 1, recall 1/2, F1 2/3; class 2: predicted once, never true, F1 0.
  EXPECT_DOUBLE_EQ(seen.macro_f1, (2.0 / 3.0 + 0.0) / 2.0);
}

TEST(Metrics, AbsentClassHasZeroAccuracyNotNan) {
  const at::Tensor logits = at::tensor({1.f, 0.f, 0.f}).view({1, 3});
  const ClassificationMetrics m = compute_metrics(logits, at::tensor({0}, at::kLong), 3);
  EXPECT_EQ(m.per_class_accuracy, (std::vector<double>{1.0, 0.0, 0.0}));
  EXPECT_FALSE(m.agreement.has_value());
}

}  // namespace
}  // namespace distill::evaluation
