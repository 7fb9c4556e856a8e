// The oneDNN int8 GEMM (stateless and prepared) held to the reference loops, and the reference
// checked against hand-computed values.
#include "distill/kernels/int8_gemm.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include "distill/core/error.h"
#include "error_assertions.h"

namespace distill::kernels {
namespace {

using ::distill::testing::thrown_error;

struct Operands {
  std::vector<uint8_t> a;
  std::vector<int8_t> weights;
  std::vector<float> weight_scales, bias;
};

Operands random_operands(int64_t m, int64_t n, int64_t k, uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_int_distribution<int> byte(0, 255), weight(-127, 127);
  std::uniform_real_distribution<float> scale(0.001f, 0.01f), bias(-1.0f, 1.0f);
  Operands o;
  for (int64_t i = 0; i < m * k; ++i) o.a.push_back(static_cast<uint8_t>(byte(engine)));
  for (int64_t i = 0; i < n * k; ++i) o.weights.push_back(static_cast<int8_t>(weight(engine)));
  for (int64_t j = 0; j < n; ++j) {
    o.weight_scales.push_back(scale(engine));
    o.bias.push_back(bias(engine));
  }
  return o;
}

Int8GemmParams params_for(int64_t m, int64_t n, int64_t k, const Operands& o, Int8Output output) {
  Int8GemmParams p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.input_scale = 0.02f;
  p.input_zero_point = 17;
  p.weight_scales = o.weight_scales.data();
  p.bias = o.bias.data();
  p.output = output;
  p.output_scale = 0.05f;
  p.output_zero_point = 3;
  return p;
}

/// Float outputs agree to float rounding (oneDNN adds the bias before scaling, the reference
/// after); uint8 outputs may differ by one step where a value sits on a rounding boundary.
void expect_outputs_agree(const Int8GemmParams& p, const void* actual, const void* expected) {
  if (p.output == Int8Output::kFloat) {
    const float* x = static_cast<const float*>(actual);
    const float* y = static_cast<const float*>(expected);
    for (int64_t i = 0; i < p.m * p.n; ++i)
      ASSERT_NEAR(x[i], y[i], 1e-4 * (1 + std::abs(y[i])))
          << "row " << i / p.n << ", column " << i % p.n;
    return;
  }
  const uint8_t* x = static_cast<const uint8_t*>(actual);
  const uint8_t* y = static_cast<const uint8_t*>(expected);
  int64_t off_by_one = 0;
  for (int64_t i = 0; i < p.m * p.n; ++i) {
    ASSERT_LE(std::abs(int(x[i]) - int(y[i])), 1) << "row " << i / p.n << ", column " << i % p.n
                                                 << ": oneDNN " << int(x[i]) << ", reference "
                                                 << int(y[i]);
    off_by_one += x[i] != y[i];
  }
  EXPECT_LE(off_by_one, std::max<int64_t>(1, p.m * p.n / 100)) << "too many rounding differences";
}

// (m, n, k, uint8 output)
class Int8GemmTest : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t, bool>> {};

TEST_P(Int8GemmTest, OneDnnMatchesReference) {
  const auto [m, n, k, uint8_output] = GetParam();
  const Operands o = random_operands(m, n, k, static_cast<uint32_t>(m * 31 + n * 7 + k));
  const Int8GemmParams p =
      params_for(m, n, k, o, uint8_output ? Int8Output::kUint8 : Int8Output::kFloat);
  const size_t bytes = static_cast<size_t>(m * n) * (uint8_output ? 1 : 4);
  std::vector<char> expected(bytes), stateless(bytes), prepared(bytes);
  reference_int8_gemm(p, o.a.data(), o.weights.data(), expected.data());
  onednn_int8_gemm(p, o.a.data(), o.weights.data(), stateless.data());
  expect_outputs_agree(p, stateless.data(), expected.data());
  OneDnnInt8Linear layer(p, o.weights.data());
  layer.run(m, o.a.data(), prepared.data());
  expect_outputs_agree(p, prepared.data(), expected.data());
}

INSTANTIATE_TEST_SUITE_P(Shapes, Int8GemmTest,
                         ::testing::Combine(::testing::Values(1, 5, 256), ::testing::Values(10, 100),
                                            ::testing::Values(3, 784), ::testing::Bool()));

TEST(Int8Gemm, ReferenceMatchesHandComputedValues) {
  // a = [[1, 2], [3, 4]] with zero point 1 -> [[0, 1], [2, 3]]; w rows [1, -1] and [2, 0].
  // acc = [[-1, 0], [-1, 4]]; y = acc · 0.5 · [1, 2] + [0.25, -1] = [[-0.25, -1], [-0.25, 3]].
  const uint8_t a[] = {1, 2, 3, 4};
  const int8_t w[] = {1, -1, 2, 0};
  const float scales[] = {1, 2}, bias[] = {0.25f, -1};
  Int8GemmParams p;
  p.m = 2, p.n = 2, p.k = 2, p.input_scale = 0.5f, p.input_zero_point = 1;
  p.weight_scales = scales;
  p.bias = bias;
  float y[4];
  reference_int8_gemm(p, a, w, y);
  EXPECT_EQ(std::vector<float>(y, y + 4), (std::vector<float>{-0.25f, -1, -0.25f, 3}));
  // uint8 output with scale 0.25 and zero point 0: clamp(round(y / 0.25)) = [0, 0, 0, 12].
  p.output = Int8Output::kUint8;
  p.output_scale = 0.25f;
  uint8_t q[4];
  reference_int8_gemm(p, a, w, q);
  EXPECT_EQ(std::vector<uint8_t>(q, q + 4), (std::vector<uint8_t>{0, 0, 0, 12}));
}

TEST(Int8Gemm, PreparedLayerServesSeveralBatchSizesAndThreads) {
  const Operands o = random_operands(64, 20, 50, 9);
  const Int8GemmParams p = params_for(64, 20, 50, o, Int8Output::kUint8);
  std::vector<uint8_t> expected(64 * 20);
  reference_int8_gemm(p, o.a.data(), o.weights.data(), expected.data());
  OneDnnInt8Linear layer(p, o.weights.data());
  std::vector<uint8_t> actual(64 * 20);
  // Two threads running slices of the batch at once must not share scratch memory.
  std::thread first([&] { layer.run(40, o.a.data(), actual.data()); });
  std::thread second([&] { layer.run(24, o.a.data() + 40 * 50, actual.data() + 40 * 20); });
  first.join();
  second.join();
  expect_outputs_agree(p, actual.data(), expected.data());
}

TEST(Int8Gemm, PreparedLayerUsesEachCallsBuffersWhenThreadsRunOneBatchSizeAtOnce) {
  // A 64-row batch in 8 slices of 8 rows, 4 threads taking every fourth slice, 200 rounds: the
  // calls share the batch size, so they share a prepared primitive, and each must run with its
  // own input, output and scratchpad (the layer keeps one set per concurrent caller).
  constexpr int64_t kRows = 64, kSlice = 8, kN = 30, kK = 70;
  const Operands o = random_operands(kRows, kN, kK, 21);
  const Int8GemmParams p = params_for(kRows, kN, kK, o, Int8Output::kFloat);
  std::vector<float> expected(kRows * kN);
  reference_int8_gemm(p, o.a.data(), o.weights.data(), expected.data());
  OneDnnInt8Linear layer(p, o.weights.data());
  std::vector<float> actual(kRows * kN);
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < 4) std::this_thread::yield();  // start together: the calls overlap
      for (int round = 0; round < 200; ++round)
        for (int64_t s = t; s < kRows / kSlice; s += 4)
          layer.run(kSlice, o.a.data() + s * kSlice * kK, actual.data() + s * kSlice * kN);
    });
  }
  for (std::thread& thread : threads) thread.join();
  expect_outputs_agree(p, actual.data(), expected.data());
}

TEST(Int8Gemm, InvalidParametersAreRejectedWithTheValue) {
  Int8GemmParams p;
  p.m = 1, p.n = 1, p.k = 1;
  const float scale = 1;
  p.weight_scales = &scale;
  p.input_scale = 0;
  const Error e = thrown_error([&] { validate(p); });
  EXPECT_STREQ(e.what(), "int8 GEMM input scale must be finite and > 0, got 0");
  p.input_scale = 1;
  p.input_zero_point = 256;
  EXPECT_THROW(validate(p), Error);
}

}  // namespace
}  // namespace distill::kernels
