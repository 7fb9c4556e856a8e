// Quantization-aware training of CNNs: the fake-quantized folded network computes what its
// exported int8 model computes (libtorch simulation and the runtime), training moves its weights
// through the rounding and lowers the loss, the export keeps the calibrated ranges, and a
// mismatched calibration is refused.
#include "distill/compression/cnn_qat.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "distill/core/error.h"
#include "distill/runtime/int8_classifier.h"
#include "cnn_test_models.h"
#include "int8_test_inputs.h"
#include "tensor_assertions.h"
#include "error_assertions.h"

namespace distill::compression {
namespace {

using ::distill::testing::thrown_error;

using testing::normalization;
using testing::pixels;

struct QatSetup {
  models::ClassifierPtr model;
  runtime::Int8Model calibrated;  // post-training quantization of the folded network
  std::shared_ptr<FakeQuantizedCnn> qat;
};

QatSetup make_qat(models::ModelKind kind) {
  QatSetup s;
  s.model = testing::trained_looking_model(kind);
  const FoldedCnn network = fold_cnn(*s.model, normalization());
  s.calibrated = quantize_folded_cnn(network, s.model->spec(), pixels(200, 1), {});
  s.qat = std::make_shared<FakeQuantizedCnn>(s.model->spec(), network, s.calibrated,
                                             normalization());
  return s;
}

class CnnQatTest : public ::testing::TestWithParam<models::ModelKind> {};

TEST_P(CnnQatTest, ForwardIsTheArithmeticOfItsExport) {
  const QatSetup s = make_qat(GetParam());
  const at::Tensor raw = pixels(64, 2);
  at::NoGradGuard no_grad;
  const at::Tensor trained = s.qat->forward(normalization().apply(raw));
  // Before any training the export is the post-training quantization itself.
  const runtime::Int8Model exported = s.qat->quantized();
  EXPECT_EQ(exported.convolutions[1].weights, s.calibrated.convolutions[1].weights);
  // The libtorch simulation of the file computes the same: both are the same int8 arithmetic,
  // up to codes on a rounding boundary met in another float order.
  const at::Tensor simulated = simulate_int8_cnn_logits(exported, raw);
  EXPECT_TENSOR_CLOSE(trained, simulated, 1e-3 * (1 + simulated.abs().max().item<double>()), 0.0);
  // And the runtime, within the tolerance the PTQ tests state.
  const at::Tensor runtime =
      testing::runtime_logits(exported, raw, runtime::Int8Kernels::kOneDnn);
  EXPECT_TENSOR_CLOSE(runtime, trained, 0.05 * (1 + trained.abs().max().item<double>()), 0.0);
}

TEST_P(CnnQatTest, TrainingLowersTheLossAndTheExportKeepsTheRanges) {
  QatSetup s = make_qat(GetParam());
  // Targets: the fp32 model's own predictions on shifted images, a task it can learn.
  const at::Tensor raw = pixels(128, 3);
  const at::Tensor inputs = normalization().apply(raw);
  at::Tensor labels;
  {
    at::NoGradGuard no_grad;
    labels = s.model->forward(normalization().apply(raw.roll(1, 3))).argmax(1);
  }
  std::vector<at::Tensor> parameters;
  for (const auto& p : s.qat->parameters()) parameters.push_back(p);
  const std::vector<at::Tensor> before = [&] {
    std::vector<at::Tensor> copies;
    for (const auto& p : parameters) copies.push_back(p.detach().clone());
    return copies;
  }();
  auto loss_of = [&] { return at::cross_entropy_loss(s.qat->forward(inputs), labels); };
  const double initial = loss_of().item<double>();
  for (int step = 0; step < 60; ++step) {
    for (auto& p : parameters) p.mutable_grad() = at::Tensor();
    loss_of().backward();
    at::NoGradGuard no_grad;
    for (auto& p : parameters) {
      ASSERT_TRUE(p.grad().defined());
      p.sub_(p.grad() * 0.05);
    }
  }
  EXPECT_LT(loss_of().item<double>(), 0.8 * initial);
  for (size_t i = 0; i < parameters.size(); ++i)
    EXPECT_GT((parameters[i].detach() - before[i]).abs().max().item<float>(), 0.0f) << i;

  // The export: new weights, the calibrated ranges unchanged, still the trained arithmetic.
  const runtime::Int8Model exported = s.qat->quantized();
  ASSERT_EQ(exported.convolutions.size(), s.calibrated.convolutions.size());
  for (size_t i = 0; i < exported.convolutions.size(); ++i) {
    EXPECT_EQ(exported.convolutions[i].output_scale, s.calibrated.convolutions[i].output_scale);
    EXPECT_EQ(exported.convolutions[i].output_zero_point,
              s.calibrated.convolutions[i].output_zero_point);
  }
  EXPECT_EQ(exported.pooled_scale, s.calibrated.pooled_scale);
  EXPECT_NE(exported.layers[0].weights, s.calibrated.layers[0].weights);
  at::NoGradGuard no_grad;
  const at::Tensor trained = s.qat->forward(inputs);
  const at::Tensor simulated = simulate_int8_cnn_logits(exported, raw);
  EXPECT_TENSOR_CLOSE(trained, simulated, 1e-3 * (1 + simulated.abs().max().item<double>()), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Families, CnnQatTest,
                         ::testing::Values(models::ModelKind::kResNet,
                                           models::ModelKind::kMobileNet),
                         testing::family_name);

TEST(CnnQat, CalibrationOfAnotherArchitectureIsRefused) {
  const QatSetup resnet = make_qat(models::ModelKind::kResNet);
  auto mobilenet = testing::trained_looking_model(models::ModelKind::kMobileNet);
  const FoldedCnn other = fold_cnn(*mobilenet, normalization());
  const Error e = thrown_error(
      [&] { FakeQuantizedCnn(mobilenet->spec(), other, resnet.calibrated, normalization()); });
  EXPECT_NE(std::string(e.what()).find("5 convolutions and a head, got 6 convolutions"),
            std::string::npos)
      << e.what();
}

}  // namespace
}  // namespace distill::compression
