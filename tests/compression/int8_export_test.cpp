// MLP post-training quantization: the normalisation folded into the first layer exactly, the
// runtime held to libtorch's fake-quantized simulation of the same model, and int8 close to fp32.
#include "distill/compression/int8_export.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "distill/core/error.h"
#include "distill/runtime/int8_classifier.h"
#include "int8_test_inputs.h"
#include "tensor_assertions.h"
#include "error_assertions.h"

namespace distill::compression {
namespace {

using ::distill::testing::thrown_error;

models::ModelSpec mlp_spec(std::vector<int64_t> hidden) {
  models::ModelSpec spec;
  spec.input_shape = {1, 8, 8};
  spec.num_classes = 5;
  spec.hidden = std::move(hidden);
  return spec;
}

/// Raw inputs on the pixel grid, (N, 1, 8, 8).
at::Tensor mlp_pixels(int64_t n, uint64_t seed) {
  return testing::pixel_images(n, {1, 8, 8}, seed);
}

data::Normalization mlp_normalization() {
  data::Normalization n;
  n.mean = {0.3f};
  n.stddev = {0.25f};
  return n;
}

using testing::runtime_logits;

class Int8ExportTest : public ::testing::TestWithParam<ObserverKind> {};

TEST_P(Int8ExportTest, RuntimeMatchesTheLibtorchSimulationAndStaysCloseToFp32) {
  auto model = models::build_classifier(mlp_spec({32, 16}), 7);
  const data::Normalization norm = mlp_normalization();
  Int8ExportOptions options;
  options.observer.kind = GetParam();
  const runtime::Int8Model q = quantize_mlp(*model, norm, mlp_pixels(500, 1), options);
  const at::Tensor test = mlp_pixels(300, 2);

  const at::Tensor simulated = simulate_int8_logits(q, test);
  for (auto kernels : {runtime::Int8Kernels::kReference, runtime::Int8Kernels::kOneDnn}) {
    const at::Tensor actual = runtime_logits(q, test, kernels);
    // Stated tolerance: one uint8 step of the last hidden layer times its largest weight row.
    EXPECT_TENSOR_CLOSE(actual, simulated, 0.05, 0.01) << runtime::to_string(kernels);
  }
  at::NoGradGuard no_grad;
  model->eval();
  const at::Tensor fp32 = model->forward(norm.apply(test));
  const double relative = ((simulated - fp32).norm() / fp32.norm()).item<double>();
  EXPECT_LT(relative, 0.05) << "int8 logits drift " << relative << " from fp32";
  const double agreement = simulated.argmax(1).eq(fp32.argmax(1)).to(at::kDouble).mean().item<double>();
  EXPECT_GE(agreement, 0.95);
}

INSTANTIATE_TEST_SUITE_P(Observers, Int8ExportTest,
                         ::testing::Values(ObserverKind::kMinMax, ObserverKind::kPercentile,
                                           ObserverKind::kMse));

TEST(Int8Export, NormalisationIsFoldedIntoTheFirstLayer) {
  // With a single linear layer there is no activation to quantize: dequantized int8 weights on
  // raw inputs must reproduce the fp32 model on normalised inputs up to weight rounding.
  auto model = models::build_classifier(mlp_spec({}), 3);
  const data::Normalization norm = mlp_normalization();
  const runtime::Int8Model q = quantize_mlp(*model, norm, mlp_pixels(50, 3), {});
  const auto& layer = q.layers[0];
  const at::Tensor w = at::tensor(layer.weights).to(at::kFloat).reshape({5, 64}) *
                       at::tensor(layer.weight_scales).unsqueeze(1);
  const at::Tensor raw = mlp_pixels(20, 4).reshape({20, 64});
  at::NoGradGuard no_grad;
  model->eval();
  const at::Tensor expected = model->forward(norm.apply(raw.reshape({20, 1, 8, 8})));
  const at::Tensor folded = at::linear(raw, w, at::tensor(layer.bias));
  EXPECT_TENSOR_CLOSE(folded, expected, 0.02, 0.01);
}

TEST(Int8Export, DynamicModelsNeedNoCalibratedRanges) {
  auto model = models::build_classifier(mlp_spec({16}), 5);
  Int8ExportOptions options;
  options.activations = runtime::ActivationQuantization::kDynamic;
  const runtime::Int8Model q =
      quantize_mlp(*model, mlp_normalization(), mlp_pixels(10, 5), options);
  const at::Tensor test = mlp_pixels(64, 6);
  EXPECT_TENSOR_CLOSE(runtime_logits(q, test, runtime::Int8Kernels::kOneDnn),
                      simulate_int8_logits(q, test), 0.05, 0.01);
}

TEST(Int8Export, UnsupportedArchitecturesAreRefusedByName) {
  models::ModelSpec spec = mlp_spec({16});
  spec.activation = models::Activation::kTanh;
  auto model = models::build_classifier(spec, 1);
  const Error e =
      thrown_error([&] { quantize_mlp(*model, mlp_normalization(), mlp_pixels(10, 1), {}); });
  EXPECT_NE(std::string(e.what()).find("this build exports MLPs with ReLU only"),
            std::string::npos)
      << e.what();
}

}  // namespace
}  // namespace distill::compression
