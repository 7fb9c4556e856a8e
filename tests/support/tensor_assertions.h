// Tensor comparison for tests that names the first mismatch with both values.
#pragma once

#include <ATen/core/Tensor.h>
#include <gtest/gtest.h>

namespace distill::testing {

/// Expects |actual - expected| <= atol + rtol * |expected| everywhere, reporting the shape and
/// the first mismatching element with both values.
::testing::AssertionResult tensors_close(const at::Tensor& actual, const at::Tensor& expected,
                                         double atol = 1e-6, double rtol = 1e-5);
#define EXPECT_TENSOR_CLOSE(actual, expected, ...) \
  EXPECT_TRUE(::distill::testing::tensors_close((actual), (expected), ##__VA_ARGS__))

}  // namespace distill::testing
