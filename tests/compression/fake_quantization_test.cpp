// Quantization-aware training's simulation: an MLP with FakeQuantization hooks computes what the
// exported int8 model computes (what QAT trains is what the runtime runs), and gradients reach
// the weights through the fake-quantize ops.
#include "distill/compression/fake_quantization.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "distill/compression/int8_export.h"
#include "distill/core/error.h"
#include "tensor_assertions.h"

namespace distill::compression {
namespace {

models::ClassifierPtr small_mlp(uint64_t seed) {
  models::ModelSpec spec;
  spec.input_shape = {16};
  spec.num_classes = 4;
  spec.hidden = {12, 8};
  return models::build_classifier(spec, seed);
}

at::Tensor grid_inputs(int64_t n) {  // raw features on the pixel grid k / 255
  at::manual_seed(11);
  return at::randint(0, 256, {n, 16}).to(at::kFloat) / 255;
}

TEST(FakeQuantization, HookedModelComputesWhatTheExportedModelComputes) {
  auto model = small_mlp(1);
  data::Normalization none;
  const at::Tensor calibration = grid_inputs(200);
  const ActivationScales scales =
      calibrate_activation_scales(*model, none, calibration, {ObserverKind::kMse});
  ASSERT_EQ(scales.size(), 2u);
  const runtime::Int8Model exported = quantize_mlp(*model, none, calibration, {}, &scales);

  model->set_quantization_hooks(std::make_shared<FakeQuantization>(scales));
  model->eval();
  at::NoGradGuard no_grad;
  const at::Tensor test = grid_inputs(100);
  EXPECT_TENSOR_CLOSE(model->forward(test), simulate_int8_logits(exported, test), 1e-4, 1e-4);
}

TEST(FakeQuantization, WeightsAreOnTheInt8GridAndGradientsPassStraightThrough) {
  at::manual_seed(2);
  FakeQuantization hooks({{"hidden1", 0.1f}});
  const at::Tensor w = (at::randn({3, 5})).requires_grad_(true);
  const at::Tensor q = hooks.weight("fc1", w);
  const at::Tensor steps = q.detach() / int8_weight_scales(w).unsqueeze(1);
  EXPECT_TENSOR_CLOSE(steps, at::round(steps), 1e-4, 0.0);  // integer multiples of the scale
  EXPECT_LE(steps.abs().max().item<float>(), 127.0f + 1e-4f);
  q.sum().backward();
  EXPECT_TENSOR_CLOSE(w.grad(), at::ones_like(w));  // straight-through inside the range

  const at::Tensor a = at::tensor({0.04f, 0.26f, 30.0f}).requires_grad_(true);
  const at::Tensor qa = hooks.activation("hidden1", a);
  EXPECT_TENSOR_CLOSE(qa, at::tensor({0.0f, 0.3f, 25.5f}), 1e-6, 1e-6);  // 25.5 = 255 steps
  qa.sum().backward();
  EXPECT_TENSOR_CLOSE(a.grad(), at::tensor({1.0f, 1.0f, 0.0f}));  // clipped values get none
}

TEST(FakeQuantization, UnknownTapAndUnsupportedModelsAreRefused) {
  FakeQuantization hooks({{"hidden1", 0.1f}});
  EXPECT_THROW(hooks.activation("hidden2", at::ones({2})), Error);
  EXPECT_THROW(FakeQuantization({{"hidden1", 0.0f}}), Error);
  models::ModelSpec cnn;
  cnn.kind = models::ModelKind::kMobileNet;
  cnn.input_shape = {1, 28, 28};
  cnn.num_classes = 10;
  cnn.channels = {8, 16};
  cnn.blocks_per_stage = 1;
  auto model = models::build_classifier(cnn, 1);
  EXPECT_THROW(model->set_quantization_hooks(std::make_shared<FakeQuantization>(ActivationScales{})),
               Error);
}

}  // namespace
}  // namespace distill::compression
