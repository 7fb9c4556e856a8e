// The fp32 convolution network: the reference checked against values computed by hand (a box
// filter, ReLU, a channel swap with a residual, a clamp, pooling); oneDNN held to the reference
// on ResNet- and MobileNet-shaped chains (strided, depthwise, pointwise, several input
// channels, residuals added in place and residuals read again later) at several batch sizes;
// and the checks' messages.
#include "distill/kernels/fp32_conv_network.h"

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

Fp32ConvLayer layer(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                    int64_t groups, int32_t input, int32_t residual = -1) {
  Fp32ConvLayer l;
  l.in_channels = in;
  l.out_channels = out;
  l.kernel = kernel;
  l.stride = stride;
  l.padding = padding;
  l.groups = groups;
  l.input = input;
  l.residual = residual;
  l.weights.assign(static_cast<size_t>(out * (in / groups) * kernel * kernel), 0.0f);
  l.bias.assign(static_cast<size_t>(out), 0.0f);
  return l;
}

Fp32ConvLayer relu(Fp32ConvLayer l) {
  l.clamp_min = 0.0f;
  return l;
}

Fp32ConvLayer relu6(Fp32ConvLayer l) {
  l.clamp_min = 0.0f;
  l.clamp_max = 6.0f;
  return l;
}

/// The hand-computed network: x is 1..9 on a 3x3 grid.
///   layer 0 (3x3, padding 1, ReLU): channel 0 the box sum, channel 1 x − 5;
///   layer 1 (1x1): the channels swapped, bias (1, −1), layer 0 added, clamped at 30.
Fp32ConvNetwork hand_network() {
  Fp32ConvNetwork n;
  n.input_shape = {1, 3, 3};
  Fp32ConvLayer first = relu(layer(1, 2, 3, 1, 1, 1, -1));
  for (int i = 0; i < 9; ++i) first.weights[static_cast<size_t>(i)] = 1.0f;  // box
  first.weights[9 + 4] = 1.0f;                                               // centre tap
  first.bias = {0.0f, -5.0f};
  Fp32ConvLayer second = layer(2, 2, 1, 1, 0, 1, 0, 0);
  second.weights = {0.0f, 1.0f, 1.0f, 0.0f};
  second.bias = {1.0f, -1.0f};
  second.clamp_max = 30.0f;
  n.layers = {first, second};
  return n;
}

/// Sample 0: 1..9. Sample 1: −(1..9), which every ReLU zeroes, so layer 1 gives its bias alone.
std::vector<float> hand_inputs() {
  std::vector<float> x;
  for (int i = 1; i <= 9; ++i) x.push_back(static_cast<float>(i));
  for (int i = 1; i <= 9; ++i) x.push_back(-static_cast<float>(i));
  return x;
}

// Box sums of 1..9 with zero padding: 12 21 16 / 27 45 33 / 24 39 28; relu(x − 5): 0 0 0 / 0 0 1
// / 2 3 4. Channel 0 = box + relu + 1 clamped at 30: 13 22 17 / 28 30 30 / 27 30 30, sum 227.
// Channel 1 = relu + box − 1 clamped: 11 20 15 / 26 30 30 / 25 30 30, sum 217.
const std::vector<float> kHandPooled = {227.0f / 9, 217.0f / 9, 1.0f, -1.0f};

TEST(Fp32ConvNetwork, ReferenceGivesTheHandComputedValues) {
  const std::vector<float> x = hand_inputs();
  std::vector<float> pooled(4);
  reference_fp32_conv_network(hand_network(), 2, x.data(), pooled.data());
  for (size_t i = 0; i < pooled.size(); ++i) EXPECT_NEAR(pooled[i], kHandPooled[i], 1e-5) << i;
}

TEST(Fp32ConvNetwork, OneDnnGivesTheHandComputedValues) {
  const std::vector<float> x = hand_inputs();
  std::vector<float> pooled(4);
  OneDnnFp32ConvNetwork network(hand_network());
  network.run(2, x.data(), pooled.data());
  for (size_t i = 0; i < pooled.size(); ++i) EXPECT_NEAR(pooled[i], kHandPooled[i], 1e-5) << i;
}

/// Random weights scaled by 1/√fan-in and biases in [−0.2, 0.2].
Fp32ConvNetwork with_random_weights(Fp32ConvNetwork n, uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  for (Fp32ConvLayer& l : n.layers) {
    const float scale =
        1.7f / std::sqrt(static_cast<float>(l.in_channels / l.groups * l.kernel * l.kernel));
    for (float& w : l.weights) w = scale * unit(engine);
    for (float& b : l.bias) b = 0.2f * unit(engine);
  }
  return n;
}

/// Stem, a block with an identity residual (added in place), and a strided block whose
/// shortcut is a 1x1 strided convolution — ResNet-style.
Fp32ConvNetwork resnet_like() {
  Fp32ConvNetwork n;
  n.input_shape = {1, 12, 12};
  n.layers = {relu(layer(1, 8, 3, 1, 1, 1, -1)),     relu(layer(8, 8, 3, 1, 1, 1, 0)),
              relu(layer(8, 8, 3, 1, 1, 1, 1, 0)),   relu(layer(8, 16, 3, 2, 1, 1, 2)),
              layer(8, 16, 1, 2, 0, 1, 2),           relu(layer(16, 16, 3, 1, 1, 1, 3, 4))};
  return with_random_weights(n, 1);
}

/// Three input channels, a strided depthwise and a pointwise convolution with ReLU6 —
/// MobileNet-style.
Fp32ConvNetwork mobilenet_like() {
  Fp32ConvNetwork n;
  n.input_shape = {3, 10, 10};
  n.layers = {relu6(layer(3, 8, 3, 1, 1, 1, -1)), relu6(layer(8, 8, 3, 2, 1, 8, 0)),
              relu6(layer(8, 16, 1, 1, 0, 1, 1))};
  return with_random_weights(n, 2);
}

/// Layer 0's output read and added by layer 1 and added again by layer 2: neither may write over
/// it. 16 channels, so that every layer gets the same blocked layout and sharing its buffer
/// would be possible.
Fp32ConvNetwork residual_read_twice() {
  Fp32ConvNetwork n;
  n.input_shape = {2, 7, 7};
  n.layers = {relu(layer(2, 16, 3, 1, 1, 1, -1)), relu(layer(16, 16, 3, 1, 1, 1, 0, 0)),
              relu(layer(16, 16, 3, 1, 1, 1, 1, 0)), relu(layer(16, 16, 1, 1, 0, 1, 2, 1))};
  return with_random_weights(n, 3);
}

std::vector<float> random_inputs(const Fp32ConvNetwork& n, int64_t batch, uint32_t seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(
      static_cast<size_t>(batch * n.input_shape[0] * n.input_shape[1] * n.input_shape[2]));
  for (float& v : x) v = normal(engine);
  return x;
}

::testing::AssertionResult all_close(const std::vector<float>& actual,
                                     const std::vector<float>& expected, int64_t channels) {
  for (size_t i = 0; i < expected.size(); ++i)
    if (!(std::abs(actual[i] - expected[i]) <= 1e-4f * (1.0f + std::abs(expected[i]))))
      return ::testing::AssertionFailure()
             << "first mismatch at sample " << i / channels << ", channel " << i % channels
             << ": oneDNN " << actual[i] << ", reference " << expected[i];
  return ::testing::AssertionSuccess();
}

struct NetworkCase {
  const char* name;
  Fp32ConvNetwork (*make)();
};

class OneDnnFp32ConvNetworkTest : public ::testing::TestWithParam<NetworkCase> {};

TEST_P(OneDnnFp32ConvNetworkTest, MatchesTheReferenceAtEveryBatchSize) {
  const Fp32ConvNetwork n = GetParam().make();
  OneDnnFp32ConvNetwork fast(n);
  const int64_t channels = n.pooled_channels();
  // 5 twice: a batch size's prepared plan is reused after another size ran.
  for (int64_t batch : {5, 1, 32, 5}) {
    const std::vector<float> x = random_inputs(n, batch, static_cast<uint32_t>(batch));
    std::vector<float> expected(static_cast<size_t>(batch * channels));
    std::vector<float> actual(expected.size(), std::nanf(""));
    reference_fp32_conv_network(n, batch, x.data(), expected.data());
    fast.run(batch, x.data(), actual.data());
    EXPECT_TRUE(all_close(actual, expected, channels)) << "batch " << batch;
  }
}

INSTANTIATE_TEST_SUITE_P(Networks, OneDnnFp32ConvNetworkTest,
                         ::testing::Values(NetworkCase{"resnet_like", resnet_like},
                                           NetworkCase{"mobilenet_like", mobilenet_like},
                                           NetworkCase{"residual_read_twice", residual_read_twice}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Fp32ConvNetwork, LayerTimingsComeOnePerLayerAndThePoolingWithTheSameResult) {
  const Fp32ConvNetwork n = resnet_like();
  OneDnnFp32ConvNetwork fast(n);
  const std::vector<float> x = random_inputs(n, 4, 9);
  std::vector<float> expected(static_cast<size_t>(4 * n.pooled_channels()));
  std::vector<float> timed(expected.size());
  fast.run(4, x.data(), expected.data());
  const std::vector<double> seconds = fast.layer_seconds(4, x.data(), timed.data(), 3);
  ASSERT_EQ(seconds.size(), n.layers.size() + 1);
  for (double s : seconds) EXPECT_GT(s, 0.0);
  EXPECT_EQ(timed, expected);
}

TEST(Fp32ConvNetwork, CountsMultiplyAdds) {
  // resnet_like at 12x12: 144·8·9 + 2·144·8·72 + 36·16·72 + 36·16·8 + 36·16·144.
  EXPECT_EQ(resnet_like().macs_per_sample(), 10368 + 165888 + 41472 + 4608 + 82944);
  // mobilenet_like at 10x10: 100·8·27 + 25·8·9 + 25·16·8.
  EXPECT_EQ(mobilenet_like().macs_per_sample(), 21600 + 1800 + 3200);
}

TEST(Fp32ConvNetwork, InconsistentNetworksAreRefusedWithTheirValues) {
  Fp32ConvNetwork forward_read = resnet_like();
  forward_read.layers[1].input = 3;
  EXPECT_EQ(std::string(thrown_error([&] { validate(forward_read); }).what()),
            "convolution layer 1 reads layer 3; it can read the input (-1) or layers 0..0");

  Fp32ConvNetwork short_weights = resnet_like();
  short_weights.layers[2].weights.pop_back();
  EXPECT_EQ(std::string(thrown_error([&] { validate(short_weights); }).what()),
            "convolution layer 2 has 575 weights and 8 biases; expected 576 and 8");

  Fp32ConvNetwork wrong_residual = resnet_like();
  wrong_residual.layers[5].residual = 2;  // 8x12x12, not 16x6x6
  EXPECT_EQ(std::string(thrown_error([&] { validate(wrong_residual); }).what()),
            "convolution layer 5 adds layer 2 whose output shape differs from its own");

  Fp32ConvNetwork wrong_channels = mobilenet_like();
  wrong_channels.layers[0].in_channels = 1;
  wrong_channels.layers[0].weights.resize(8 * 9);
  EXPECT_EQ(std::string(thrown_error([&] { OneDnnFp32ConvNetwork bad(wrong_channels); }).what()),
            "convolution layer 0 takes 1 channels but its input has 3");
}

}  // namespace
}  // namespace distill::kernels
