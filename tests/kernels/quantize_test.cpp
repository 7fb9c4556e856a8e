// uint8 quantization: closed forms for rounding, saturation and range parameters, and the AVX-512
// path held to the scalar reference on random and special values.
#include "distill/kernels/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "distill/core/error.h"

namespace distill::kernels {
namespace {

TEST(Quantize, RoundsHalfToEvenAndSaturates) {
  const float x[] = {-3.0f, 0.0f, 2.5f, 3.5f, 3.4f, 254.6f, 300.0f, NAN};
  uint8_t q[8];
  quantize_to_uint8(x, 8, 1.0f, 0, q);
  EXPECT_EQ(std::vector<uint8_t>(q, q + 8), (std::vector<uint8_t>{0, 0, 2, 4, 3, 255, 255, 0}));
  // Scale and zero point: q = round(x / 0.5) + 10.
  const float y[] = {-5.0f, -1.0f, 1.0f};
  quantize_to_uint8(y, 3, 0.5f, 10, q);
  EXPECT_EQ(std::vector<uint8_t>(q, q + 3), (std::vector<uint8_t>{0, 8, 12}));
}

TEST(Quantize, PixelsOnTheUnitGridQuantizeExactly) {
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i) x[i] = static_cast<float>(i) / 255.0f;
  float scale;
  int32_t zero_point;
  uint8_range_parameters(0.0f, 1.0f, &scale, &zero_point);
  EXPECT_FLOAT_EQ(scale, 1.0f / 255.0f);
  EXPECT_EQ(zero_point, 0);
  std::vector<uint8_t> q(256);
  quantize_to_uint8(x.data(), 256, scale, zero_point, q.data());
  for (int i = 0; i < 256; ++i) ASSERT_EQ(q[i], i);
}

TEST(Quantize, RangeParametersKeepZeroExact) {
  float scale;
  int32_t zero_point;
  uint8_range_parameters(-1.0f, 3.0f, &scale, &zero_point);  // 4 / 255 per step, zero at 63.75
  EXPECT_FLOAT_EQ(scale, 4.0f / 255.0f);
  EXPECT_EQ(zero_point, 64);
  uint8_range_parameters(2.0f, 5.0f, &scale, &zero_point);  // widened to include zero
  EXPECT_FLOAT_EQ(scale, 5.0f / 255.0f);
  EXPECT_EQ(zero_point, 0);
  uint8_range_parameters(0.0f, 0.0f, &scale, &zero_point);
  EXPECT_EQ(scale, 1.0f);
  EXPECT_THROW(uint8_range_parameters(0.0f, INFINITY, &scale, &zero_point), Error);
}

TEST(Quantize, FastPathMatchesTheReferenceExactly) {
  std::mt19937 engine(3);
  std::uniform_real_distribution<float> value(-2.0f, 8.0f);
  std::vector<float> x(10007);  // not a multiple of 16: the tail runs too
  for (float& v : x) v = value(engine);
  // Ties, specials and extremes.
  const float inf = std::numeric_limits<float>::infinity();
  const float specials[] = {0.0f, -0.0f, 0.5f, 1.5f, 2.5f, 254.5f, 1e30f, -1e30f, inf, -inf,
                            std::numeric_limits<float>::quiet_NaN()};
  for (size_t i = 0; i < sizeof(specials) / sizeof(float); ++i) x[i * 13] = specials[i] * 0.03f;
  for (const auto [scale, zero_point] : {std::pair{0.03f, 0}, std::pair{0.05f, 37}}) {
    std::vector<uint8_t> fast(x.size()), reference(x.size());
    quantize_to_uint8(x.data(), static_cast<int64_t>(x.size()), scale, zero_point, fast.data());
    reference_quantize_to_uint8(x.data(), static_cast<int64_t>(x.size()), scale, zero_point,
                                reference.data());
    for (size_t i = 0; i < x.size(); ++i)
      ASSERT_EQ(int(fast[i]), int(reference[i])) << "element " << i << " = " << x[i];
  }
}

}  // namespace
}  // namespace distill::kernels
