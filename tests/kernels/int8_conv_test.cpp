// The int8 convolution: the reference checked against hand-computed values and a float
// convolution written independently here; oneDNN held to the reference over the shapes the CNN
// families use (3x3, depthwise, pointwise, strided, grouped, padded with a non-zero code, with
// residuals and ReLU6); global average pooling by hand.
#include "distill/kernels/int8_conv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "distill/core/error.h"

namespace distill::kernels {
namespace {

struct Operands {
  std::vector<uint8_t> x, residual;
  std::vector<int8_t> weights;
  std::vector<float> weight_scales, bias;
};

Operands random_operands(const Int8ConvParams& p, uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_int_distribution<int> byte(0, 255), weight(-127, 127);
  std::uniform_real_distribution<float> scale(0.002f, 0.01f), bias(-0.5f, 0.5f);
  Operands o;
  for (int64_t i = 0; i < p.batch * p.height * p.width * p.in_channels; ++i)
    o.x.push_back(static_cast<uint8_t>(byte(engine)));
  for (int64_t i = 0; i < p.batch * p.out_height() * p.out_width() * p.out_channels; ++i)
    o.residual.push_back(static_cast<uint8_t>(byte(engine)));
  for (int64_t i = 0; i < p.out_channels * (p.in_channels / p.groups) * p.kernel * p.kernel; ++i)
    o.weights.push_back(static_cast<int8_t>(weight(engine)));
  for (int64_t j = 0; j < p.out_channels; ++j) {
    o.weight_scales.push_back(scale(engine));
    o.bias.push_back(bias(engine));
  }
  return o;
}

/// The same convolution in float, written differently from the reference: the input is
/// dequantized into an explicitly padded image first, then each output is a dot product.
std::vector<uint8_t> float_convolution(const Int8ConvParams& p, const Operands& o) {
  const int64_t ph = p.height + 2 * p.padding, pw = p.width + 2 * p.padding;
  std::vector<double> image(static_cast<size_t>(p.batch * ph * pw * p.in_channels),
                            p.input_scale * (p.pad_value - p.input_zero_point));
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t i = 0; i < p.height; ++i)
      for (int64_t j = 0; j < p.width; ++j)
        for (int64_t c = 0; c < p.in_channels; ++c)
          image[((n * ph + i + p.padding) * pw + j + p.padding) * p.in_channels + c] =
              p.input_scale * (o.x[((n * p.height + i) * p.width + j) * p.in_channels + c] -
                               p.input_zero_point);
  const int64_t per_group_in = p.in_channels / p.groups, per_group_out = p.out_channels / p.groups;
  std::vector<uint8_t> y;
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t i = 0; i < p.out_height(); ++i)
      for (int64_t j = 0; j < p.out_width(); ++j)
        for (int64_t out = 0; out < p.out_channels; ++out) {
          double sum = p.bias ? p.bias[out] : 0.0;
          for (int64_t di = 0; di < p.kernel; ++di)
            for (int64_t dj = 0; dj < p.kernel; ++dj)
              for (int64_t c = 0; c < per_group_in; ++c) {
                const double w = p.weight_scales[out] *
                                 o.weights[((out * per_group_in + c) * p.kernel + di) * p.kernel + dj];
                sum += w * image[((n * ph + i * p.stride + di) * pw + j * p.stride + dj) *
                                     p.in_channels +
                                 out / per_group_out * per_group_in + c];
              }
          if (p.residual)
            sum += p.residual_scale *
                   (o.residual[y.size()] - static_cast<double>(p.residual_zero_point));
          sum = std::min<double>(std::max<double>(sum, p.clamp_min), p.clamp_max);
          const double code = std::nearbyint(sum / p.output_scale) + p.output_zero_point;
          y.push_back(static_cast<uint8_t>(std::min(255.0, std::max(0.0, code))));
        }
  return y;
}

std::vector<uint8_t> run_reference(const Int8ConvParams& p, const Operands& o) {
  std::vector<uint8_t> y(o.residual.size());
  reference_int8_conv(p, o.x.data(), o.weights.data(), p.residual ? o.residual.data() : nullptr,
                      y.data());
  return y;
}

/// At most one code apart (float rounding on a .5 boundary), and almost all equal.
void expect_codes_agree(const std::vector<uint8_t>& actual, const std::vector<uint8_t>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  int64_t different = 0, inside = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_LE(std::abs(actual[i] - expected[i]), 1) << "at " << i;
    different += actual[i] != expected[i];
    inside += expected[i] != 0 && expected[i] != 255;
  }
  EXPECT_LE(different, static_cast<int64_t>(actual.size()) / 100 + 1);
  // The case must test arithmetic, not saturation: many codes lie strictly inside (0, 255)
  // (ReLU sends about half to 0).
  EXPECT_GT(inside, static_cast<int64_t>(actual.size()) * 3 / 10);
}

TEST(Int8Conv, ReferenceMatchesHandComputedValues) {
  // One 2x2 input channel, a 3x3 kernel of ones, padding 1 with the code 10 (real 10·0.5 − 5·0.5
  // = 2.5), weight scale 1, bias 1, output scale 1: the top-left output sums its 4 neighbours
  // in the image and 5 padded pixels.
  Int8ConvParams p;
  p.batch = 1;
  p.height = p.width = 2;
  p.in_channels = p.out_channels = 1;
  p.kernel = 3;
  p.padding = 1;
  p.input_scale = 0.5f;
  p.input_zero_point = 5;
  p.pad_value = 10;
  const float weight_scale = 1.0f, bias = 1.0f;
  p.weight_scales = &weight_scale;
  p.bias = &bias;
  const std::vector<uint8_t> x = {5, 7, 9, 11};  // real 0, 1, 2, 3
  const std::vector<int8_t> ones(9, 1);
  std::vector<uint8_t> y(4);
  reference_int8_conv(p, x.data(), ones.data(), nullptr, y.data());
  // Every output sees all four pixels (0 + 1 + 2 + 3) and five padded ones (5 · 2.5) + bias.
  for (uint8_t v : y) EXPECT_EQ(v, 20);  // 6 + 12.5 + 1 = 19.5, rounded half to even
  // ReLU6 clamps it to 6; with output scale 0.5 that is code 12.
  p.clamp_min = 0;
  p.clamp_max = 6;
  p.output_scale = 0.5f;
  reference_int8_conv(p, x.data(), ones.data(), nullptr, y.data());
  for (uint8_t v : y) EXPECT_EQ(v, 12);
}

struct ConvCase {
  std::string name;
  int64_t height, in_channels, out_channels, kernel, stride, padding, groups;
  int32_t input_zero_point, pad_value;
  bool residual;
  float clamp_min, clamp_max;
  int32_t output_zero_point;
};

Int8ConvParams params_of(const ConvCase& c, int64_t batch) {
  Int8ConvParams p;
  p.batch = batch;
  p.height = p.width = c.height;
  p.in_channels = c.in_channels;
  p.out_channels = c.out_channels;
  p.kernel = c.kernel;
  p.stride = c.stride;
  p.padding = c.padding;
  p.groups = c.groups;
  p.input_scale = 0.02f;
  p.input_zero_point = c.input_zero_point;
  p.pad_value = c.pad_value;
  p.residual = c.residual;
  p.residual_scale = 0.03f;
  p.residual_zero_point = c.residual ? 7 : 0;
  p.clamp_min = c.clamp_min;
  p.clamp_max = c.clamp_max;
  // About three standard deviations of the outputs span the 255 codes: each product term has
  // an RMS of ~1.2e-4 · 74 · 73 in real units, and there are (in / groups) · k² of them.
  p.output_scale = 0.014f * std::sqrt(static_cast<float>(c.in_channels / c.groups * c.kernel * c.kernel));
  p.output_zero_point = c.output_zero_point;
  return p;
}

class Int8ConvTest : public ::testing::TestWithParam<ConvCase> {};

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST_P(Int8ConvTest, ReferenceMatchesFloatConvolution) {
  Int8ConvParams p = params_of(GetParam(), 2);
  const Operands o = random_operands(p, 3);
  p.weight_scales = o.weight_scales.data();
  p.bias = o.bias.data();
  expect_codes_agree(run_reference(p, o), float_convolution(p, o));
}

TEST_P(Int8ConvTest, OneDnnMatchesReference) {
  for (int64_t batch : {1, 5}) {
    Int8ConvParams p = params_of(GetParam(), batch);
    const Operands o = random_operands(p, 11 + static_cast<uint32_t>(batch));
    p.weight_scales = o.weight_scales.data();
    p.bias = o.bias.data();
    OneDnnInt8Conv conv(p, o.weights.data());
    std::vector<uint8_t> y(o.residual.size());
    conv.run(batch, o.x.data(), p.residual ? o.residual.data() : nullptr, y.data());
    expect_codes_agree(y, run_reference(p, o));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, Int8ConvTest,
    ::testing::Values(
        ConvCase{"stem_padded_with_the_mean", 12, 1, 16, 3, 1, 1, 1, 0, 73, false, 0, 6, 0},
        ConvCase{"full_3x3_zero_point", 9, 6, 10, 3, 1, 1, 1, 17, 17, false, 0, kInf, 0},
        ConvCase{"depthwise_stride_2", 10, 16, 16, 3, 2, 1, 16, 0, 0, false, 0, 6, 0},
        ConvCase{"pointwise", 7, 16, 24, 1, 1, 0, 1, 0, 0, false, 0, 6, 0},
        ConvCase{"grouped", 8, 8, 12, 3, 1, 1, 4, 0, 0, false, 0, kInf, 0},
        ConvCase{"residual_relu", 6, 8, 8, 3, 1, 1, 1, 0, 0, true, 0, kInf, 0},
        ConvCase{"shortcut_no_activation", 8, 8, 16, 1, 2, 0, 1, 0, 0, false, -kInf, kInf, 128}),
    [](const ::testing::TestParamInfo<ConvCase>& info) { return info.param.name; });

TEST(Int8Conv, PreparedConvolutionServesSeveralBatchSizesAndInPlaceResiduals) {
  Int8ConvParams p = params_of({"", 6, 8, 8, 3, 1, 1, 1, 0, 0, true, 0, kInf, 0}, 3);
  const Operands o = random_operands(p, 5);
  p.weight_scales = o.weight_scales.data();
  p.bias = o.bias.data();
  OneDnnInt8Conv conv(p, o.weights.data());
  const std::vector<uint8_t> expected = run_reference(p, o);
  // The residual already in the output buffer (the runtime may add in place).
  std::vector<uint8_t> y = o.residual;
  conv.run(3, o.x.data(), y.data(), y.data());
  expect_codes_agree(y, expected);
  // The first sample alone gives its part of the batch's result.
  std::vector<uint8_t> one(expected.size() / 3);
  conv.run(1, o.x.data(), o.residual.data(), one.data());
  expect_codes_agree(one, std::vector<uint8_t>(expected.begin(), expected.begin() + one.size()));
}

TEST(Int8Conv, InvalidParametersAreNamed) {
  Int8ConvParams p = params_of({"", 6, 6, 8, 3, 1, 1, 4, 0, 0, false, 0, kInf, 0}, 1);
  const std::vector<float> scales(8, 0.01f);
  p.weight_scales = scales.data();
  try {
    validate(p);
    FAIL() << "groups 4 do not divide 6 channels";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("groups 4 must divide 6 and 8 channels"), std::string::npos)
        << e.what();
  }
  p.groups = 1;
  p.kernel = 9;
  EXPECT_THROW(validate(p), Error);  // a 9x9 kernel does not fit 6x6 padded by 1
}

TEST(Int8Conv, GlobalAveragePoolingByHand) {
  // Two pixels, two channels: channel 0 holds codes 10 and 13 (mean 11.5), channel 1 holds 0, 1.
  const std::vector<uint8_t> x = {10, 0, 13, 1};
  std::vector<uint8_t> out(2);
  // Dequantize with scale 0.5 and zero point 2: 4.75 and −0.75; requantize with scale 0.25 and
  // zero point 10: 29 and 7.
  int8_global_average_pool(x.data(), 1, 2, 2, 0.5f, 2, 0.25f, 10, out.data());
  EXPECT_EQ(out[0], 29);
  EXPECT_EQ(out[1], 7);
}

}  // namespace
}  // namespace distill::kernels
