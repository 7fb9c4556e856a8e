// Calibration observers against closed forms: min/max, exact percentiles, and the MSE observer's
// choice never worse than min/max, clipping a mild outlier but not a costly one.
#include "distill/compression/observers.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"

namespace distill::compression {
namespace {

TEST(Observers, MinMaxIsTheFullRangeWithZeroIncluded) {
  const at::Tensor x = at::tensor({0.5f, 2.0f, 1.0f});
  const auto [lo, hi] = observe_range(x, {ObserverKind::kMinMax});
  EXPECT_EQ(lo, 0.0f);  // widened to include zero
  EXPECT_EQ(hi, 2.0f);
  const auto [lo2, hi2] = observe_range(at::tensor({-3.0f, 1.0f}), {ObserverKind::kMinMax});
  EXPECT_EQ(lo2, -3.0f);
  EXPECT_EQ(hi2, 1.0f);
}

TEST(Observers, PercentileIsTheExactOrderStatistic) {
  // 1, 2, ..., 10000: the 99th percentile is 9900, the 1st (for the low side of -x) -9900.
  const at::Tensor x = at::arange(1, 10001, at::kFloat);
  const auto [lo, hi] = observe_range(x, {ObserverKind::kPercentile, 99.0});
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 9900.0f);
  const auto [nlo, nhi] = observe_range(-x, {ObserverKind::kPercentile, 99.0});
  EXPECT_EQ(nlo, -9900.0f);
  EXPECT_EQ(nhi, 0.0f);
}

TEST(Observers, MseClipsAModerateOutlierAndBeatsMinMax) {
  // 2^18 uniform values in [0, 1) and one at 2.5. Error at clip c: rounding c²/(12·255²) per
  // value plus (2.5 − c)²/2^18 for the outlier, minimal near c = 1.87 (8-bit steps are fine
  // enough that only mild outliers are worth clipping).
  at::manual_seed(0);
  at::Tensor x = at::rand({1 << 18});
  x[0] = 2.5f;
  const auto [lo, hi] = observe_range(x, {ObserverKind::kMse});
  EXPECT_EQ(lo, 0.0f);
  EXPECT_GT(hi, 1.6f);
  EXPECT_LT(hi, 2.15f);
  EXPECT_LT(uint8_quantization_mse(x, lo, hi), uint8_quantization_mse(x, 0.0f, 2.5f));
}

TEST(Observers, MseKeepsASingleLargeOutlierWhenClippingItCostsMore) {
  // One value at 100 among standard normals: clipping it to h costs (100 - h)² / n, far more
  // than the rounding error saved, so the squared-error optimum keeps (nearly) the full range.
  at::manual_seed(1);
  at::Tensor x = at::relu(at::randn({20000}));
  x[0] = 100.0f;
  const auto [lo, hi] = observe_range(x, {ObserverKind::kMse});
  EXPECT_GE(hi, 90.0f);
  EXPECT_LE(uint8_quantization_mse(x, lo, hi), uint8_quantization_mse(x, 0.0f, 100.0f));
}

TEST(Observers, MseOfAnExactGridIsZero) {
  // Values already on the uint8 grid of [0, 255] quantize without error.
  const at::Tensor x = at::arange(0, 256, at::kFloat);
  EXPECT_EQ(uint8_quantization_mse(x, 0.0f, 255.0f), 0.0);
}

TEST(Observers, BadInputIsRejected) {
  EXPECT_THROW(observe_range(at::empty({0}), {}), Error);
  EXPECT_THROW(observe_range(at::tensor({1.0f, NAN}), {}), Error);
  EXPECT_THROW(observe_range(at::tensor({1.0f}), {ObserverKind::kPercentile, 0.0}), Error);
}

}  // namespace
}  // namespace distill::compression
