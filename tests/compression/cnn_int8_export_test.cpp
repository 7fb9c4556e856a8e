// CNN post-training quantization: batch norm and the input normalisation folded exactly (the
// folded float network gives the model's logits), the runtime (reference and oneDNN kernels)
// held to libtorch's fake-quantized simulation of the same int8 model, int8 close to fp32, the
// CNN int8 file round trip, and the refusals.
#include "distill/compression/cnn_int8_export.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "distill/compression/int8_export.h"
#include "distill/core/error.h"
#include "distill/runtime/int8_classifier.h"
#include "distill/runtime/int8_model_file.h"
#include "cnn_test_models.h"
#include "int8_test_inputs.h"
#include "tensor_assertions.h"

namespace distill::compression {
namespace {

using testing::cnn_spec;
using testing::normalization;
using testing::pixels;
using testing::trained_looking_model;
using testing::runtime_logits;

double agreement(const at::Tensor& a, const at::Tensor& b) {
  return a.argmax(1).eq(b.argmax(1)).to(at::kDouble).mean().item<double>();
}

class CnnInt8ExportTest : public ::testing::TestWithParam<models::ModelKind> {};

TEST_P(CnnInt8ExportTest, FoldedNetworkGivesTheModelsLogitsFromRawInputs) {
  auto model = trained_looking_model(GetParam());
  const at::Tensor raw = pixels(16, 20);
  at::NoGradGuard no_grad;
  const at::Tensor expected = model->forward(normalization().apply(raw));
  const FoldedCnn folded = fold_cnn(*model, normalization());
  EXPECT_TENSOR_CLOSE(run_folded_cnn(folded, raw), expected, 1e-4, 1e-4);
  // ResNet: stem, conv1 + conv2 (identity residual), conv1 + shortcut + conv2; MobileNet: stem
  // and a depthwise + pointwise pair per block.
  EXPECT_EQ(folded.convolutions.size(), GetParam() == models::ModelKind::kResNet ? 6u : 5u);
}

TEST_P(CnnInt8ExportTest, RuntimeMatchesTheLibtorchSimulationAndStaysCloseToFp32) {
  auto model = trained_looking_model(GetParam());
  const runtime::Int8Model q = quantize_cnn(*model, normalization(), pixels(200, 1), {});
  const at::Tensor test = pixels(64, 2);
  const at::Tensor simulated = simulate_int8_cnn_logits(q, test);
  const at::Tensor reference = runtime_logits(q, test, runtime::Int8Kernels::kReference);
  const at::Tensor onednn = runtime_logits(q, test, runtime::Int8Kernels::kOneDnn);
  // Stated tolerance: a few uint8 steps of the pooled features through the head (rounding
  // boundaries met in different float orders move single codes, which pooling averages out).
  const double tolerance = 0.05 * (1 + simulated.abs().max().item<double>());
  EXPECT_TENSOR_CLOSE(reference, simulated, tolerance, 0.0);
  EXPECT_TENSOR_CLOSE(onednn, reference, tolerance, 0.0);
  EXPECT_GE(agreement(onednn, simulated), 0.95);

  at::NoGradGuard no_grad;
  const at::Tensor fp32 = model->forward(normalization().apply(test));
  const double relative_error = ((onednn - fp32).norm() / fp32.norm()).item<double>();
  EXPECT_LT(relative_error, 0.1);
  EXPECT_GE(agreement(onednn, fp32), 0.85);
}

TEST_P(CnnInt8ExportTest, FileRoundTripGivesTheSameLogits) {
  auto model = trained_looking_model(GetParam());
  const runtime::Int8Model q = quantize_cnn(*model, normalization(), pixels(50, 1), {});
  const std::string bytes = runtime::encode_int8_model(q);
  const runtime::Int8Model back = runtime::decode_int8_model(bytes, "cnn.int8");
  ASSERT_EQ(back.convolutions.size(), q.convolutions.size());
  EXPECT_EQ(runtime::encode_int8_model(back), bytes);
  const at::Tensor test = pixels(8, 5);
  EXPECT_TRUE(runtime_logits(back, test, runtime::Int8Kernels::kOneDnn)
                  .equal(runtime_logits(q, test, runtime::Int8Kernels::kOneDnn)));
  EXPECT_EQ(runtime::parameter_count(q), [&] {
    int64_t fp32 = 0;
    for (const auto& item : model->named_parameters())
      if (item.key().find(".bn.") == std::string::npos) fp32 += item.value().numel();
    // Batch norm's scale and shift fold away; each convolution gains a bias instead.
    for (const auto& conv : q.convolutions) fp32 += conv.out_channels;
    return fp32;
  }());
}

INSTANTIATE_TEST_SUITE_P(Families, CnnInt8ExportTest,
                         ::testing::Values(models::ModelKind::kResNet,
                                           models::ModelKind::kMobileNet),
                         testing::family_name);

TEST(CnnInt8Export, StemPaddingTakesTheRawMean) {
  auto model = trained_looking_model(models::ModelKind::kMobileNet);
  const runtime::Int8Model q = quantize_cnn(*model, normalization(), pixels(20, 1), {});
  EXPECT_FLOAT_EQ(q.input_scale, 1.0f / 255.0f);
  EXPECT_EQ(q.input_zero_point, 0);
  EXPECT_EQ(q.convolutions[0].pad_value, 73);  // round(0.286 · 255) = round(72.93)
  for (size_t i = 1; i < q.convolutions.size(); ++i)
    EXPECT_EQ(q.convolutions[i].pad_value, 0) << i;  // after ReLU6: zero point 0
}

TEST(CnnInt8Export, ColourImagesAreReorderedForTheRuntime) {
  models::ModelSpec rgb = cnn_spec(models::ModelKind::kResNet);
  rgb.input_shape = {3, 12, 12};
  auto model = models::build_classifier(rgb, 2);
  model->eval();
  data::Normalization same;
  same.mean = {0.286f, 0.286f, 0.286f};
  same.stddev = {0.35f, 0.35f, 0.35f};
  const at::Tensor calibration = testing::pixel_images(64, {3, 12, 12}, 6);
  const at::Tensor test = testing::pixel_images(16, {3, 12, 12}, 7);
  const runtime::Int8Model q = quantize_cnn(*model, same, calibration, {});
  const at::Tensor simulated = simulate_int8_cnn_logits(q, test);
  EXPECT_TENSOR_CLOSE(runtime_logits(q, test, runtime::Int8Kernels::kOneDnn), simulated,
                      0.05 * (1 + simulated.abs().max().item<double>()), 0.0);
}

TEST(CnnInt8Export, RefusalsNameTheProblem) {
  auto model = trained_looking_model(models::ModelKind::kMobileNet);
  Int8ExportOptions dynamic;
  dynamic.activations = runtime::ActivationQuantization::kDynamic;
  EXPECT_THROW(
      {
        try {
          quantize_classifier(*model, normalization(), pixels(10, 1), dynamic);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("static activations"), std::string::npos) << e.what();
          throw;
        }
      },
      Error);
  models::ModelSpec rgb = cnn_spec(models::ModelKind::kMobileNet);
  rgb.input_shape = {3, 12, 12};
  auto color = models::build_classifier(rgb, 1);
  data::Normalization per_channel;
  per_channel.mean = {0.1f, 0.2f, 0.3f};
  per_channel.stddev = {0.3f, 0.3f, 0.3f};
  try {
    fold_cnn(*color, per_channel);
    FAIL() << "per-channel means cannot fold into one padding value";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("differ across its 3 channels"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace distill::compression
