// The oneDNN convolution held to at::conv2d in value and in both gradients, its output kept
// channels-last; whole CNN blocks (ResNet basic block, depthwise-separable block) and a whole
// CNN on the fast compute path held to the reference path in output and every parameter's
// gradient.
#include "distill/ops/conv2d.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "distill/kernels/compute_path.h"
#include "distill/models/classifier.h"
#include "distill/models/conv_blocks.h"
#include "tensor_assertions.h"

namespace distill::ops {
namespace {

struct ConvCase {
  int64_t batch, in, out, hw, kernel, stride, groups;
};

class OneDnnConv2dTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(OneDnnConv2dTest, MatchesAtConv2dForwardAndBackward) {
  const ConvCase c = GetParam();
  at::manual_seed(c.in * 13 + c.out);
  const int64_t padding = c.kernel / 2;
  const at::Tensor x0 = at::randn({c.batch, c.in, c.hw, c.hw});
  const at::Tensor w0 = at::randn({c.out, c.in / c.groups, c.kernel, c.kernel}) * 0.3;
  auto run = [&](bool fast) {
    at::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
    const at::Tensor y =
        fast ? onednn_conv2d(x, w, c.stride, padding, c.groups)
             : at::conv2d(x, w, {}, {c.stride, c.stride}, {padding, padding}, {1, 1}, c.groups);
    at::manual_seed(99);  // the same upstream gradient for both paths
    (y * at::randn(y.sizes())).sum().backward();
    return std::vector<at::Tensor>{y.detach(), x.grad(), w.grad()};
  };
  const auto fast = run(true), reference = run(false);
  EXPECT_TENSOR_CLOSE(fast[0], reference[0], 1e-4, 1e-4);
  EXPECT_TENSOR_CLOSE(fast[1], reference[1], 1e-4, 1e-4);
  EXPECT_TENSOR_CLOSE(fast[2], reference[2], 1e-3, 1e-4);
  EXPECT_TRUE(fast[0].is_contiguous(at::MemoryFormat::ChannelsLast));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, OneDnnConv2dTest,
    ::testing::Values(ConvCase{4, 1, 16, 12, 3, 1, 1}, ConvCase{3, 16, 16, 10, 3, 1, 1},
                      ConvCase{3, 16, 32, 10, 3, 2, 1}, ConvCase{3, 16, 32, 10, 1, 2, 1},
                      ConvCase{2, 16, 16, 9, 3, 2, 16}, ConvCase{2, 8, 24, 7, 1, 1, 1}));

TEST(OneDnnConv2d, WeightGradientAloneForAnInputThatNeedsNone) {
  at::manual_seed(3);
  const at::Tensor x = at::randn({2, 1, 8, 8});  // images: no gradient
  at::Tensor w = at::randn({4, 1, 3, 3}).requires_grad_(true);
  onednn_conv2d(x, w, 1, 1, 1).sum().backward();
  at::Tensor w_reference = w.detach().clone().requires_grad_(true);
  at::conv2d(x, w_reference, {}, {1, 1}, {1, 1}).sum().backward();
  EXPECT_TENSOR_CLOSE(w.grad(), w_reference.grad(), 1e-4, 1e-4);
}

/// Output and every parameter's gradient of `module` on x, on the given compute path.
template <typename Module>
std::vector<at::Tensor> outputs_and_gradients(Module& module, const at::Tensor& x,
                                              kernels::ComputePath path) {
  kernels::ScopedComputePath scoped(path);
  module->zero_grad();
  const at::Tensor y = module->forward(x);
  at::manual_seed(7);
  (y * at::randn(y.sizes())).sum().backward();
  std::vector<at::Tensor> out{y.detach().contiguous()};
  for (const at::Tensor& p : module->parameters()) out.push_back(p.grad().clone());
  return out;
}

template <typename Module>
void expect_paths_agree(Module& module, const at::Tensor& x) {
  module->train();
  const auto fast = outputs_and_gradients(module, x, kernels::ComputePath::kFast);
  const auto reference = outputs_and_gradients(module, x, kernels::ComputePath::kReference);
  ASSERT_EQ(fast.size(), reference.size());
  for (size_t i = 0; i < fast.size(); ++i)
    EXPECT_TENSOR_CLOSE(fast[i], reference[i], 1e-3, 1e-4) << "tensor " << i;
}

TEST(ConvBlocksOnTheFastPath, ResidualBlockMatchesTheReferenceInOutputAndGradients) {
  at::manual_seed(5);
  models::ResidualBlock block(8, 16, 2);  // strided, with a 1x1 shortcut
  expect_paths_agree(block, at::randn({4, 8, 10, 10}));
}

TEST(ConvBlocksOnTheFastPath, DepthwiseSeparableBlockMatchesTheReferenceInOutputAndGradients) {
  at::manual_seed(6);
  models::DepthwiseSeparableBlock block(8, 16, 2);
  expect_paths_agree(block, at::randn({4, 8, 10, 10}));
}

TEST(ConvBlocksOnTheFastPath, AWholeResNetMatchesTheReferenceInLogitsAndGradients) {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kResNet;
  spec.input_shape = {1, 12, 12};
  spec.num_classes = 5;
  spec.channels = {8, 16};
  spec.blocks_per_stage = 1;
  models::ClassifierPtr model = models::build_classifier(spec, 2);
  at::manual_seed(8);
  expect_paths_agree(model, at::randn({6, 1, 12, 12}));
}

}  // namespace
}  // namespace distill::ops
