// The training convolution: the reference forward checked against values computed by hand, its
// two backward passes against the forward through the adjoint identities
//   ⟨conv(x, w), dy⟩ = ⟨x, backward_data(dy, w)⟩ = ⟨w, backward_weights(x, dy)⟩,
// and oneDNN held to the reference in all three passes over the CNN families' shapes (3x3
// padded, strided, 1x1 strided shortcut, depthwise, pointwise, one-channel stem).
#include "distill/kernels/conv2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "distill/core/error.h"
#include "error_assertions.h"

namespace distill::kernels {
namespace {

using ::distill::testing::thrown_error;

Conv2dShape shape(int64_t batch, int64_t hw, int64_t in, int64_t out, int64_t kernel,
                  int64_t stride, int64_t padding, int64_t groups) {
  Conv2dShape s;
  s.batch = batch;
  s.height = s.width = hw;
  s.in_channels = in;
  s.out_channels = out;
  s.kernel = kernel;
  s.stride = stride;
  s.padding = padding;
  s.groups = groups;
  return s;
}

int64_t x_count(const Conv2dShape& s) { return s.batch * s.height * s.width * s.in_channels; }
int64_t y_count(const Conv2dShape& s) {
  return s.batch * s.out_height() * s.out_width() * s.out_channels;
}
int64_t w_count(const Conv2dShape& s) {
  return s.out_channels * (s.in_channels / s.groups) * s.kernel * s.kernel;
}

std::vector<float> random_values(int64_t count, uint32_t seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = normal(engine);
  return v;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

TEST(Conv2dReference, ForwardGivesTheHandComputedValues) {
  // One 3x3 channel, x = 1..9, a 2x2 kernel (1, 2; 3, 4), padding 1, stride 2: outputs at
  // (−1, −1), (−1, 1), (1, −1), (1, 1) of the padded grid read x[0][0]·4; x[0][1]·3 + x[0][2]·4;
  // x[1][0]·2 + x[2][0]·4; x[1][1]·1 + x[1][2]·2 + x[2][1]·3 + x[2][2]·4.
  const Conv2dShape s = shape(1, 3, 1, 1, 2, 2, 1, 1);
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w = {1, 2, 3, 4};
  std::vector<float> y(4);
  reference_conv2d_forward(s, x.data(), w.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{4, 2 * 3 + 3 * 4, 4 * 2 + 7 * 4, 5 + 12 + 24 + 36}));
}

class Conv2dTest : public ::testing::TestWithParam<Conv2dShape> {};

TEST_P(Conv2dTest, ReferenceBackwardPassesAreTheForwardsAdjoints) {
  const Conv2dShape s = GetParam();
  const std::vector<float> x = random_values(x_count(s), 1), w = random_values(w_count(s), 2);
  const std::vector<float> dy = random_values(y_count(s), 3);
  std::vector<float> y(dy.size()), dx(x.size()), dw(w.size());
  reference_conv2d_forward(s, x.data(), w.data(), y.data());
  reference_conv2d_backward_data(s, dy.data(), w.data(), dx.data());
  reference_conv2d_backward_weights(s, x.data(), dy.data(), dw.data());
  const double expected = dot(y, dy);
  EXPECT_NEAR(dot(x, dx), expected, 1e-4 * (1 + std::abs(expected)));
  EXPECT_NEAR(dot(w, dw), expected, 1e-4 * (1 + std::abs(expected)));
}

::testing::AssertionResult all_close(const std::vector<float>& actual,
                                     const std::vector<float>& expected, const char* what) {
  for (size_t i = 0; i < expected.size(); ++i)
    if (!(std::abs(actual[i] - expected[i]) <= 1e-4f * (1.0f + std::abs(expected[i]))))
      return ::testing::AssertionFailure() << what << ": first mismatch at index " << i
                                           << ": oneDNN " << actual[i] << ", reference "
                                           << expected[i];
  return ::testing::AssertionSuccess();
}

TEST_P(Conv2dTest, OneDnnMatchesTheReferenceInEveryPass) {
  const Conv2dShape s = GetParam();
  const std::vector<float> x = random_values(x_count(s), 4), w = random_values(w_count(s), 5);
  const std::vector<float> dy = random_values(y_count(s), 6);
  std::vector<float> y(dy.size()), dx(x.size()), dw(w.size());
  std::vector<float> fast_y(y.size(), NAN), fast_dx(dx.size(), NAN), fast_dw(dw.size(), NAN);
  reference_conv2d_forward(s, x.data(), w.data(), y.data());
  reference_conv2d_backward_data(s, dy.data(), w.data(), dx.data());
  reference_conv2d_backward_weights(s, x.data(), dy.data(), dw.data());
  onednn_conv2d_forward(s, x.data(), w.data(), fast_y.data());
  onednn_conv2d_backward_data(s, dy.data(), w.data(), fast_dx.data());
  onednn_conv2d_backward_weights(s, x.data(), dy.data(), fast_dw.data());
  EXPECT_TRUE(all_close(fast_y, y, "forward"));
  EXPECT_TRUE(all_close(fast_dx, dx, "backward-data"));
  EXPECT_TRUE(all_close(fast_dw, dw, "backward-weights"));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, Conv2dTest,
    ::testing::Values(shape(3, 8, 1, 16, 3, 1, 1, 1),    // stem
                      shape(2, 8, 16, 16, 3, 1, 1, 1),   // 3x3 block
                      shape(2, 9, 16, 32, 3, 2, 1, 1),   // strided, odd size
                      shape(2, 8, 16, 32, 1, 2, 0, 1),   // 1x1 strided shortcut
                      shape(2, 8, 16, 16, 3, 2, 1, 16),  // depthwise, strided
                      shape(1, 5, 16, 24, 1, 1, 0, 1),   // pointwise
                      shape(2, 6, 8, 12, 3, 1, 1, 2)),   // grouped
    [](const auto& info) {
      const Conv2dShape& s = info.param;
      return "c" + std::to_string(s.in_channels) + "o" + std::to_string(s.out_channels) + "k" +
             std::to_string(s.kernel) + "s" + std::to_string(s.stride) + "g" +
             std::to_string(s.groups);
    });

TEST(Conv2dReference, ShapesOutOfRangeAreRefusedWithTheValues) {
  const std::vector<float> none(1000);
  std::vector<float> out(1000);
  EXPECT_EQ(std::string(thrown_error([&] {
              onednn_conv2d_forward(shape(1, 8, 6, 4, 3, 1, 1, 4), none.data(), none.data(),
                                    out.data());
            }).what()),
            "convolution groups 4 must divide 6 and 4 channels");
  EXPECT_EQ(std::string(thrown_error([&] {
              reference_conv2d_forward(shape(1, 2, 1, 1, 5, 1, 1, 1), none.data(), none.data(),
                                       out.data());
            }).what()),
            "convolution kernel 5, stride 1, padding 1 do not fit a 2x2 input");
}

}  // namespace
}  // namespace distill::kernels
