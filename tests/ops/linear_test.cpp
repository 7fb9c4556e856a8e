// The oneDNN linear layer held to at::linear in value and in all three gradients, and the
// compute-path switch that chooses between them.
#include "distill/ops/linear.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/kernels/compute_path.h"
#include "tensor_assertions.h"

namespace distill::ops {
namespace {

struct LinearCase {
  int64_t batch, in, out;
  bool bias;
};

class OneDnnLinearTest : public ::testing::TestWithParam<LinearCase> {};

TEST_P(OneDnnLinearTest, MatchesAtLinearForwardAndBackward) {
  const LinearCase c = GetParam();
  at::manual_seed(c.batch * 7 + c.in);
  const at::Tensor x0 = at::randn({c.batch, c.in});
  const at::Tensor w0 = at::randn({c.out, c.in}) / std::sqrt(static_cast<double>(c.in));
  const at::Tensor b0 = c.bias ? at::randn({c.out}) : at::Tensor();
  const at::Tensor upstream = at::randn({c.batch, c.out});

  auto run = [&](bool fast) {
    at::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
    at::Tensor b = c.bias ? b0.clone().requires_grad_(true) : at::Tensor();
    const at::Tensor y = fast ? onednn_linear(x, w, b) : at::linear(x, w, b);
    (y * upstream).sum().backward();
    return std::vector<at::Tensor>{y.detach(), x.grad(), w.grad(), c.bias ? b.grad() : at::Tensor()};
  };
  const auto fast = run(true), reference = run(false);
  EXPECT_TENSOR_CLOSE(fast[0], reference[0], 1e-4, 1e-4);
  EXPECT_TENSOR_CLOSE(fast[1], reference[1], 1e-4, 1e-4);
  EXPECT_TENSOR_CLOSE(fast[2], reference[2], 1e-4, 1e-4);
  if (c.bias) EXPECT_TENSOR_CLOSE(fast[3], reference[3], 1e-4, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Shapes, OneDnnLinearTest,
                         ::testing::Values(LinearCase{1, 784, 100, true},
                                           LinearCase{128, 784, 1200, true},
                                           LinearCase{128, 1200, 10, true},
                                           LinearCase{5, 3, 2, false},
                                           LinearCase{33, 64, 17, true}));

TEST(OneDnnLinear, GradientOnlyForWhatRequiresIt) {
  // A frozen layer (the teacher's) still passes the gradient to its input, and vice versa.
  at::manual_seed(0);
  at::Tensor x = at::randn({4, 6}).requires_grad_(true);
  const at::Tensor w = at::randn({3, 6}), b = at::randn({3});
  onednn_linear(x, w, b).sum().backward();
  EXPECT_TENSOR_CLOSE(x.grad(), w.sum(0).expand({4, 6}), 1e-5, 1e-5);

  const at::Tensor x2 = at::randn({4, 6});
  at::Tensor w2 = at::randn({3, 6}).requires_grad_(true);
  onednn_linear(x2, w2, at::Tensor()).sum().backward();
  EXPECT_TENSOR_CLOSE(w2.grad(), x2.sum(0).expand({3, 6}), 1e-5, 1e-5);
}

TEST(OneDnnLinear, NonContiguousInputIsHandled) {
  at::manual_seed(1);
  const at::Tensor x = at::randn({8, 10}).t();  // 10×8, transposed view
  const at::Tensor w = at::randn({4, 8}), b = at::randn({4});
  EXPECT_TENSOR_CLOSE(onednn_linear(x, w, b), at::linear(x, w, b), 1e-5, 1e-5);
}

TEST(OneDnnLinear, OtherDtypesAndShapesFallBackToTheReference) {
  const at::Tensor x = at::randn({3, 4}, at::kDouble), w = at::randn({2, 4}, at::kDouble);
  const at::Tensor y = onednn_linear(x, w, at::Tensor());
  EXPECT_EQ(y.scalar_type(), at::kDouble);
  EXPECT_TENSOR_CLOSE(y, at::linear(x, w, at::Tensor()), 1e-12, 1e-12);
  const at::Tensor x3 = at::randn({2, 3, 4});  // 3-D input
  const at::Tensor w3 = at::randn({5, 4});
  EXPECT_TENSOR_CLOSE(onednn_linear(x3, w3, at::Tensor()), at::linear(x3, w3, at::Tensor()));
}

TEST(Linear, FollowsTheComputePath) {
  // The reference path is at::linear itself: bit-identical results.
  at::manual_seed(2);
  const at::Tensor x = at::randn({16, 32}), w = at::randn({8, 32}), b = at::randn({8});
  kernels::ScopedComputePath reference(kernels::ComputePath::kReference);
  EXPECT_TRUE(linear(x, w, b).equal(at::linear(x, w, b)));
  kernels::ScopedComputePath fast(kernels::ComputePath::kFast);
  EXPECT_TRUE(linear(x, w, b).equal(onednn_linear(x, w, b)));
}

}  // namespace
}  // namespace distill::ops
