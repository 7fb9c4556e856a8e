// oneDNN GEMM held to the plain reference over every transpose combination, with and without
// bias, and on the shapes training uses.
#include "distill/kernels/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "distill/core/error.h"
#include "error_assertions.h"

namespace distill::kernels {
namespace {

using ::distill::testing::thrown_error;

std::vector<float> random_values(size_t count, uint32_t seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(count);
  for (float& v : values) v = normal(engine);
  return values;
}

/// |a - b| <= 1e-4 · (1 + |b|) everywhere; reports the first mismatch with both values.
::testing::AssertionResult all_close(const std::vector<float>& actual,
                                     const std::vector<float>& expected, int64_t columns) {
  for (size_t i = 0; i < expected.size(); ++i) {
    if (std::abs(actual[i] - expected[i]) > 1e-4f * (1.0f + std::abs(expected[i]))) {
      return ::testing::AssertionFailure()
             << "first mismatch at row " << i / columns << ", column " << i % columns
             << ": oneDNN " << actual[i] << ", reference " << expected[i];
    }
  }
  return ::testing::AssertionSuccess();
}

// (m, n, k, transpose_a, transpose_b, bias)
class GemmTest
    : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t, bool, bool, bool>> {};

TEST_P(GemmTest, OneDnnMatchesReference) {
  const auto [m, n, k, transpose_a, transpose_b, with_bias] = GetParam();
  const GemmShape shape{m, n, k, transpose_a, transpose_b};
  const auto a = random_values(static_cast<size_t>(m * k), 1);
  const auto b = random_values(static_cast<size_t>(k * n), 2);
  const auto bias = random_values(static_cast<size_t>(n), 3);
  std::vector<float> expected(static_cast<size_t>(m * n)), actual(expected.size(), NAN);
  reference_gemm_f32(shape, a.data(), b.data(), with_bias ? bias.data() : nullptr, expected.data());
  onednn_gemm_f32(shape, a.data(), b.data(), with_bias ? bias.data() : nullptr, actual.data());
  EXPECT_TRUE(all_close(actual, expected, n));
  // The cached primitive gives the same result on a second call.
  std::vector<float> again(expected.size(), NAN);
  onednn_gemm_f32(shape, a.data(), b.data(), with_bias ? bias.data() : nullptr, again.data());
  EXPECT_EQ(again, actual);
}

INSTANTIATE_TEST_SUITE_P(
    Transposes, GemmTest,
    ::testing::Combine(::testing::Values(1, 7), ::testing::Values(5), ::testing::Values(3, 33),
                       ::testing::Bool(), ::testing::Bool(), ::testing::Bool()));

// The teacher's forward and backward products (batch 128, 784 -> 1200 -> 10).
INSTANTIATE_TEST_SUITE_P(
    TrainingShapes, GemmTest,
    ::testing::Values(std::make_tuple(128, 1200, 784, false, true, true),    // y = x·Wᵀ + b
                      std::make_tuple(128, 784, 1200, false, false, false),  // dx = dy·W
                      std::make_tuple(1200, 784, 128, true, false, false),   // dW = dyᵀ·x
                      std::make_tuple(128, 10, 1200, false, true, true)));

TEST(Gemm, SmallCaseAgainstHandComputedValues) {
  // [1 2; 3 4] · [5 6; 7 8] + [1, -1] = [20 21; 44 49]
  const float a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8}, bias[] = {1, -1};
  float c[4];
  onednn_gemm_f32({2, 2, 2, false, false}, a, b, bias, c);
  EXPECT_FLOAT_EQ(c[0], 20);
  EXPECT_FLOAT_EQ(c[1], 21);
  EXPECT_FLOAT_EQ(c[2], 44);
  EXPECT_FLOAT_EQ(c[3], 49);
}

TEST(Gemm, EmptyReductionGivesTheBias) {
  const float bias[] = {2, 3};
  float c[4] = {NAN, NAN, NAN, NAN};
  onednn_gemm_f32({2, 2, 0, false, false}, nullptr, nullptr, bias, c);
  EXPECT_EQ(std::vector<float>(c, c + 4), (std::vector<float>{2, 3, 2, 3}));
}

TEST(Gemm, NegativeSizeIsRejectedWithTheValues) {
  const Error e = thrown_error(
      [&] { onednn_gemm_f32({2, -1, 3, false, false}, nullptr, nullptr, nullptr, nullptr); });
  EXPECT_STREQ(e.what(), "GEMM sizes must be >= 0, got m=2 n=-1 k=3");
}

}  // namespace
}  // namespace distill::kernels
