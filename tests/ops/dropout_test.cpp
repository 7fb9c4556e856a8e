// Counter-based dropout as an autograd operation: the backward pass reuses the forward mask,
// the default generator's seed makes it reproducible, and evaluation leaves inputs alone.
#include "distill/ops/dropout.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"
#include "distill/kernels/compute_path.h"
#include "tensor_assertions.h"
#include "error_assertions.h"

namespace distill::ops {
namespace {

using ::distill::testing::thrown_error;

TEST(CounterDropout, BackwardUsesTheForwardMask) {
  at::manual_seed(0);
  at::Tensor x = (at::rand({256, 300}) + 0.5).requires_grad_(true);  // no zeros in x
  const at::Tensor y = counter_dropout(x, 0.25, /*training=*/true);
  const at::Tensor upstream = at::randn({256, 300});
  (y * upstream).sum().backward();
  const at::Tensor kept = y.detach().ne(0);
  // dy/dx is 1/(1-p) where kept and 0 where dropped, and y = x/(1-p) where kept.
  EXPECT_TENSOR_CLOSE(x.grad(), upstream * kept.to(at::kFloat) / 0.75, 1e-6, 1e-6);
  EXPECT_TENSOR_CLOSE(y.detach().masked_select(kept), x.detach().masked_select(kept) / 0.75, 1e-6,
                      1e-6);
  const double dropped = 1.0 - kept.to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(dropped, 0.25, 0.01);
}

TEST(CounterDropout, SeedingLibtorchMakesItReproducible) {
  const at::Tensor x = at::ones({64, 64});
  at::manual_seed(42);
  const at::Tensor first = counter_dropout(x, 0.5, true);
  const at::Tensor second = counter_dropout(x, 0.5, true);
  at::manual_seed(42);
  EXPECT_TRUE(counter_dropout(x, 0.5, true).equal(first));
  EXPECT_FALSE(second.equal(first)) << "consecutive calls must draw fresh masks";
}

TEST(CounterDropout, EvaluationAndZeroProbabilityReturnTheInput) {
  const at::Tensor x = at::randn({4, 5});
  EXPECT_TRUE(counter_dropout(x, 0.5, /*training=*/false).equal(x));
  EXPECT_TRUE(counter_dropout(x, 0.0, /*training=*/true).equal(x));
}

TEST(CounterDropout, InvalidProbabilityIsRejectedWithTheValue) {
  const Error e = thrown_error([&] { counter_dropout(at::ones({2}), 1.0, true); });
  EXPECT_STREQ(e.what(), "dropout probability must be in [0, 1), got 1");
}

TEST(Dropout, FollowsTheComputePath) {
  const at::Tensor x = at::ones({32, 32});
  kernels::ScopedComputePath reference(kernels::ComputePath::kReference);
  at::manual_seed(3);
  const at::Tensor via_path = ops::dropout(x, 0.5, true);
  at::manual_seed(3);
  EXPECT_TRUE(via_path.equal(at::dropout(x, 0.5, true)));
}

}  // namespace
}  // namespace distill::ops
