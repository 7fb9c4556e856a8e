// Fast fp32 CNN inference: the folded network on oneDNN gives the libtorch model's logits (from
// normalised inputs) and run_folded_cnn's (from raw inputs, the stem padding with the
// normalisation mean, which oneDNN's zero padding reaches by shifting the input), for both
// families; the stem's shift and bias; the refusal of a padding value it cannot shift.
#include "distill/compression/folded_cnn_inference.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <string>
#include <vector>

#include "cnn_test_models.h"
#include "distill/core/error.h"
#include "error_assertions.h"
#include "tensor_assertions.h"

namespace distill::compression {
namespace {

using ::distill::testing::thrown_error;
using testing::normalization;
using testing::pixels;
using testing::trained_looking_model;

at::Tensor fast_logits(FoldedCnnInference& inference, const at::Tensor& inputs) {
  const at::Tensor x = inputs.contiguous();
  at::Tensor logits = at::empty({x.size(0), inference.num_classes()});
  inference.logits(x.data_ptr<float>(), x.size(0), logits.data_ptr<float>());
  return logits;
}

class FoldedCnnInferenceTest : public ::testing::TestWithParam<models::ModelKind> {};

TEST_P(FoldedCnnInferenceTest, GivesTheModelsLogitsFromNormalisedInputs) {
  auto model = trained_looking_model(GetParam());
  const at::Tensor inputs = normalization().apply(pixels(37, 5));
  at::NoGradGuard no_grad;
  const at::Tensor expected = model->forward(inputs);
  const std::unique_ptr<FoldedCnnInference> inference = folded_cnn_inference(*model);
  EXPECT_TENSOR_CLOSE(fast_logits(*inference, inputs), expected, 1e-4, 1e-4);
  EXPECT_TENSOR_CLOSE(fast_logits(*inference, inputs.narrow(0, 3, 1)), expected.narrow(0, 3, 1),
                      1e-4, 1e-4);
}

TEST_P(FoldedCnnInferenceTest, GivesRunFoldedCnnsLogitsFromRawInputs) {
  auto model = trained_looking_model(GetParam());
  const FoldedCnn folded = fold_cnn(*model, normalization());
  ASSERT_EQ(folded.convolutions.front().pad, normalization().mean[0]);  // a non-zero padding
  FoldedCnnInference inference(folded, {1, 12, 12});
  const at::Tensor raw = pixels(20, 6);
  EXPECT_TENSOR_CLOSE(fast_logits(inference, raw), run_folded_cnn(folded, raw), 1e-4, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Families, FoldedCnnInferenceTest,
                         ::testing::Values(models::ModelKind::kResNet, models::ModelKind::kMobileNet),
                         testing::family_name);

TEST(FoldedCnnInference, TheStemReadsTheShiftedInputWithItsSumInTheBias) {
  auto model = trained_looking_model(models::ModelKind::kResNet);
  const FoldedCnn folded = fold_cnn(*model, normalization());
  float offset = 0;
  const kernels::Fp32ConvNetwork network = to_conv_network(folded, {1, 12, 12}, &offset);
  EXPECT_EQ(offset, normalization().mean[0]);
  const FoldedConv& stem = folded.convolutions.front();
  const at::Tensor expected_bias = stem.bias + stem.weight.sum({1, 2, 3}) * offset;
  const std::vector<float>& bias = network.layers.front().bias;
  for (int64_t o = 0; o < stem.bias.size(0); ++o)
    EXPECT_NEAR(bias[static_cast<size_t>(o)], expected_bias[o].item<float>(), 1e-5) << o;
  // Later layers keep their biases.
  EXPECT_EQ(network.layers[1].bias[0], folded.convolutions[1].bias[0].item<float>());
}

TEST(FoldedCnnInference, APaddingValueDeeperThanTheInputIsRefused) {
  auto model = trained_looking_model(models::ModelKind::kResNet);
  FoldedCnn folded = fold_cnn(*model, normalization());
  folded.convolutions[1].pad = 0.5f;
  const Error e = thrown_error([&] { to_conv_network(folded, {1, 12, 12}, nullptr); });
  EXPECT_EQ(std::string(e.what()),
            "convolution 'stage1_block1.conv1' pads with 0.5, but oneDNN pads with 0 and the input "
            "can be shifted by one value (0.286) only");
}

}  // namespace
}  // namespace distill::compression
