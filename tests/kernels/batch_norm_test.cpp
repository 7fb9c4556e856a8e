// Training batch norm (optionally with its ReLU fused): the reference forward checked against the
// closed form computed here, its backward against central finite differences of the forward, and
// oneDNN held to the reference in both passes over the CNN families' activation shapes.
#include "distill/kernels/batch_norm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "distill/core/error.h"
#include "error_assertions.h"

namespace distill::kernels {
namespace {

using ::distill::testing::thrown_error;

template <typename Statement>
std::string error_message(Statement&& statement) {
  return thrown_error(statement).what();
}

BatchNormShape bn_shape(int64_t batch, int64_t hw, int64_t channels, bool relu) {
  BatchNormShape s;
  s.batch = batch;
  s.height = s.width = hw;
  s.channels = channels;
  s.relu = relu;
  return s;
}

std::vector<float> normal_values(int64_t count, uint32_t seed, float mean = 0.0f, float sd = 1.0f) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> normal(mean, sd);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = normal(engine);
  return v;
}

/// The network's outputs for inputs x under the reference, and the scalar Σ y · weights.
double weighted_output(const BatchNormShape& s, const std::vector<float>& x,
                       const std::vector<float>& scale, const std::vector<float>& shift,
                       const std::vector<float>& weights) {
  std::vector<float> y(x.size()), mean(scale.size()), variance(scale.size());
  reference_batch_norm_forward(s, x.data(), scale.data(), shift.data(), y.data(), mean.data(),
                               variance.data());
  double sum = 0;
  for (size_t i = 0; i < y.size(); ++i) sum += static_cast<double>(y[i]) * weights[i];
  return sum;
}

TEST(BatchNormReference, ForwardGivesTheClosedForm) {
  // One channel, rows 1, 2, 3, 4: mean 2.5, biased variance 1.25; γ = 2, β = 1, ReLU.
  BatchNormShape s = bn_shape(1, 2, 1, true);
  const std::vector<float> x = {1, 2, 3, 4}, scale = {2}, shift = {1};
  std::vector<float> y(4), mean(1), variance(1);
  reference_batch_norm_forward(s, x.data(), scale.data(), shift.data(), y.data(), mean.data(),
                               variance.data());
  EXPECT_FLOAT_EQ(mean[0], 2.5f);
  EXPECT_FLOAT_EQ(variance[0], 1.25f);
  for (int i = 0; i < 4; ++i) {
    const double z = 2.0 * (x[i] - 2.5) / std::sqrt(1.25 + 1e-5) + 1.0;
    EXPECT_NEAR(y[i], std::max(z, 0.0), 1e-6) << i;
  }
  EXPECT_EQ(y[0], 0.0f);  // z = 2 · (−1.5 / 1.118) + 1 < 0
}

TEST(BatchNormReference, BackwardMatchesFiniteDifferences) {
  for (bool relu : {false, true}) {
    const BatchNormShape s = bn_shape(2, 2, 3, relu);
    std::vector<float> x = normal_values(s.elements(), 1), scale = normal_values(3, 2, 1.0f, 0.5f);
    std::vector<float> shift = normal_values(3, 3, 0.0f, 0.5f);
    const std::vector<float> dy = normal_values(s.elements(), 4);
    std::vector<float> y(x.size()), mean(3), variance(3), dx(x.size()), dscale(3), dshift(3);
    reference_batch_norm_forward(s, x.data(), scale.data(), shift.data(), y.data(), mean.data(),
                                 variance.data());
    reference_batch_norm_backward(s, x.data(), dy.data(), scale.data(), shift.data(), mean.data(),
                                  variance.data(), dx.data(), dscale.data(), dshift.data());
    const float h = 1e-3f;
    auto central = [&](std::vector<float>& values, size_t i) {
      const float kept = values[i];
      values[i] = kept + h;
      const double up = weighted_output(s, x, scale, shift, dy);
      values[i] = kept - h;
      const double down = weighted_output(s, x, scale, shift, dy);
      values[i] = kept;
      return (up - down) / (2.0 * h);
    };
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_NEAR(dx[i], central(x, i), 5e-3) << "dx[" << i << "] relu " << relu;
    for (size_t c = 0; c < 3; ++c) {
      EXPECT_NEAR(dscale[c], central(scale, c), 5e-3) << "dscale[" << c << "] relu " << relu;
      EXPECT_NEAR(dshift[c], central(shift, c), 5e-3) << "dshift[" << c << "] relu " << relu;
    }
  }
}

class BatchNormTest : public ::testing::TestWithParam<BatchNormShape> {};

TEST_P(BatchNormTest, OneDnnMatchesTheReferenceForwardAndBackward) {
  const BatchNormShape s = GetParam();
  const int64_t c = s.channels;
  // Inputs off zero mean and unit scale, as a convolution's outputs are.
  const std::vector<float> x = normal_values(s.elements(), 11, 0.7f, 2.0f);
  const std::vector<float> scale = normal_values(c, 12, 1.0f, 0.3f);
  const std::vector<float> shift = normal_values(c, 13, 0.0f, 0.3f);
  const std::vector<float> dy = normal_values(s.elements(), 14);
  std::vector<float> y_ref(x.size()), mean_ref(c), var_ref(c);
  std::vector<float> y(x.size()), mean(c), variance(c);
  std::vector<uint8_t> workspace(static_cast<size_t>(onednn_batch_norm_workspace_bytes(s)));
  reference_batch_norm_forward(s, x.data(), scale.data(), shift.data(), y_ref.data(),
                               mean_ref.data(), var_ref.data());
  onednn_batch_norm_forward(s, x.data(), scale.data(), shift.data(), y.data(), mean.data(),
                            variance.data(), workspace.data());
  for (int64_t k = 0; k < c; ++k) {
    EXPECT_NEAR(mean[k], mean_ref[k], 1e-4) << k;
    EXPECT_NEAR(variance[k], var_ref[k], 1e-3 * var_ref[k]) << k;
  }
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], y_ref[i], 1e-4) << i;

  std::vector<float> dx_ref(x.size()), dscale_ref(c), dshift_ref(c);
  std::vector<float> dx(x.size()), dscale(c), dshift(c);
  reference_batch_norm_backward(s, x.data(), dy.data(), scale.data(), shift.data(), mean_ref.data(),
                                var_ref.data(), dx_ref.data(), dscale_ref.data(),
                                dshift_ref.data());
  onednn_batch_norm_backward(s, x.data(), dy.data(), scale.data(), shift.data(), mean.data(),
                             variance.data(), workspace.data(), dx.data(), dscale.data(),
                             dshift.data());
  const double tolerance = 1e-5 * static_cast<double>(s.rows());  // sums over the rows
  for (int64_t k = 0; k < c; ++k) {
    EXPECT_NEAR(dshift[k], dshift_ref[k], tolerance) << k;
    EXPECT_NEAR(dscale[k], dscale_ref[k], tolerance) << k;
  }
  for (size_t i = 0; i < dx.size(); ++i) ASSERT_NEAR(dx[i], dx_ref[i], 1e-4) << i;
}

std::string shape_name(const ::testing::TestParamInfo<BatchNormShape>& info) {
  const BatchNormShape& s = info.param;
  return "b" + std::to_string(s.batch) + "_" + std::to_string(s.height) + "x" +
         std::to_string(s.width) + "x" + std::to_string(s.channels) + (s.relu ? "_relu" : "");
}

// The CNN families' activations (stem and stages at 28, 14 and 7 pixels; channel counts that
// are and are not multiples of the vector width), each with and without the fused ReLU.
INSTANTIATE_TEST_SUITE_P(CnnActivations, BatchNormTest,
                         ::testing::Values(bn_shape(4, 28, 16, true), bn_shape(4, 28, 16, false),
                                           bn_shape(3, 14, 32, true), bn_shape(3, 14, 24, false),
                                           bn_shape(5, 7, 64, true), bn_shape(5, 7, 100, false),
                                           bn_shape(2, 5, 3, true), bn_shape(7, 1, 10, true)),
                         shape_name);

TEST(BatchNormOneDnn, WorkspaceOnlyWithTheFusedRelu) {
  EXPECT_EQ(onednn_batch_norm_workspace_bytes(bn_shape(4, 7, 16, false)), 0);
  // The ReLU's mask: at least one bit per element.
  EXPECT_GE(onednn_batch_norm_workspace_bytes(bn_shape(4, 7, 16, true)), 4 * 7 * 7 * 16 / 8);
}

TEST(BatchNormOneDnn, EmptyBatchGivesZeroStatisticsAndGradients) {
  const BatchNormShape s = bn_shape(0, 3, 2, true);
  const std::vector<float> scale = {1, 1}, shift = {0, 0};
  std::vector<float> mean = {5, 5}, variance = {5, 5}, dscale = {5, 5}, dshift = {5, 5};
  onednn_batch_norm_forward(s, nullptr, scale.data(), shift.data(), nullptr, mean.data(),
                            variance.data(), nullptr);
  onednn_batch_norm_backward(s, nullptr, nullptr, scale.data(), shift.data(), mean.data(),
                             variance.data(), nullptr, nullptr, dscale.data(), dshift.data());
  EXPECT_EQ(mean, (std::vector<float>{0, 0}));
  EXPECT_EQ(variance, (std::vector<float>{0, 0}));
  EXPECT_EQ(dscale, (std::vector<float>{0, 0}));
  EXPECT_EQ(dshift, (std::vector<float>{0, 0}));
}

TEST(BatchNormOneDnn, BadShapesAndAMissingWorkspaceAreClearErrors) {
  BatchNormShape s = bn_shape(2, 3, 0, false);
  EXPECT_NE(error_message([&] { validate(s); }).find("sizes must be > 0"), std::string::npos);
  s = bn_shape(2, 3, 4, false);
  s.epsilon = 0.0f;
  EXPECT_NE(error_message([&] { validate(s); }).find("epsilon must be > 0, got 0"),
            std::string::npos);
  s = bn_shape(1, 2, 1, true);
  const std::vector<float> x = {1, 2, 3, 4}, one = {1}, zero = {0};
  std::vector<float> y(4), mean(1), variance(1);
  EXPECT_NE(error_message([&] {
              onednn_batch_norm_forward(s, x.data(), one.data(), zero.data(), y.data(), mean.data(),
                                        variance.data(), nullptr);
            }).find("needs a workspace"),
            std::string::npos);
}

}  // namespace
}  // namespace distill::kernels
