// GradientBuckets in a world of one (the sum over one rank is the gradient itself): parameters
// land in reverse-ordered buckets, each gradient arrives once per backward pass however often
// the parameter is used, an unused parameter gets zeros, gradients outside a step are left
// alone, and what passes before the step left in the gradients is summed in (micro-batches). The 2-process sums are tested through the program (data_parallel_test.cpp).
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "distill/core/error.h"
#include "distill/distributed/communicator.h"
#include "distill/distributed/gradient_buckets.h"

namespace distill::distributed {
namespace {

std::shared_ptr<Communicator> world_of_one(int port) {
  WorldOptions world;
  world.master_port = port;
  world.timeout = std::chrono::seconds(20);
  return Communicator::connect(world);
}

at::Tensor parameter(at::IntArrayRef shape, double start) {
  return (at::arange(start, start + static_cast<double>(c10::multiply_integers(shape)), 1.0,
                     at::kFloat) / 10).view(shape).set_requires_grad(true);
}

TEST(GradientBuckets, EveryParameterGetsItsWholeGradientOnceAndUnusedOnesZero) {
  const auto group = world_of_one(29631);
  const at::Tensor a = parameter({3, 4}, 1), b = parameter({4}, 2), unused = parameter({2, 3}, 3);
  const at::Tensor x = at::tensor({0.5f, -1.0f, 2.0f});
  for (const int64_t bucket_bytes : {int64_t{4}, int64_t{64}, int64_t{1} << 20}) {
    GradientBuckets buckets({a, b, unused}, *group, bucket_bytes);
    // 4 bytes: one parameter per bucket; 64 (16 floats): `unused` (6) then `b` (4) share one,
    // `a` (12) has its own; 1 MiB: one bucket.
    EXPECT_EQ(buckets.bucket_count(), bucket_bytes == 4 ? 3 : bucket_bytes == 64 ? 2 : 1);
    for (int step = 0; step < 2; ++step) {
      for (const at::Tensor& p : {a, b, unused})
        if (p.grad().defined()) p.mutable_grad().zero_();
      buckets.start_step();
      // `a` is used twice: d/da [x·a·1 + sum(a²)] = x ⊗ 1 + 2a, one arrival of the sum.
      const at::Tensor loss = at::matmul(x, a).sum() + (a * a).sum() + 3 * b.sum();
      loss.backward();
      buckets.finish_step();
      EXPECT_TRUE(at::allclose(a.grad(), x.unsqueeze(1).expand({3, 4}) + 2 * a.detach()))
          << a.grad();
      EXPECT_TRUE(at::equal(b.grad(), at::full({4}, 3.0f)));
      ASSERT_TRUE(unused.grad().defined());
      EXPECT_TRUE(at::equal(unused.grad(), at::zeros({2, 3})));
    }
  }
  // Without the buckets (hooks removed), and outside a step, gradients are autograd's own.
  a.mutable_grad().zero_();
  (a.sum() * 5).backward();
  EXPECT_TRUE(at::equal(a.grad(), at::full({3, 4}, 5.0f)));
  {
    GradientBuckets buckets({a}, *group, 4);
    a.mutable_grad().zero_();
    (a.sum() * 7).backward();  // no start_step: the hook leaves it alone
    EXPECT_TRUE(at::equal(a.grad(), at::full({3, 4}, 7.0f)));
  }
}

TEST(GradientBuckets, PassesBeforeTheStepAreSummedInAsGradientAccumulationNeeds) {
  const auto group = world_of_one(29634);
  const at::Tensor a = parameter({3}, 1), b = parameter({2}, 2), c = parameter({2}, 3);
  GradientBuckets buckets({a, b, c}, *group, 8);  // two floats per bucket: each its own
  for (int step = 0; step < 2; ++step) {
    for (const at::Tensor& p : {a, b, c}) p.mutable_grad().reset();
    // An earlier pass, outside the step: reaches a and b.
    (2 * a.sum() + b.sum()).backward();
    buckets.start_step();
    // The last pass reaches a and c, not b: b sends what the earlier pass left it.
    (3 * a.sum() + 4 * c.sum()).backward();
    buckets.finish_step();
    EXPECT_TRUE(at::equal(a.grad(), at::full({3}, 5.0f))) << a.grad();
    EXPECT_TRUE(at::equal(b.grad(), at::full({2}, 1.0f))) << b.grad();
    EXPECT_TRUE(at::equal(c.grad(), at::full({2}, 4.0f))) << c.grad();
  }
}

TEST(GradientBuckets, ASecondBackwardPassInOneStepIsAnError) {
  const auto group = world_of_one(29632);
  const at::Tensor a = parameter({2}, 1);
  GradientBuckets buckets({a}, *group, 1 << 20);
  buckets.start_step();
  a.sum().backward();
  EXPECT_THROW(a.sum().backward(), std::exception);
}

TEST(GradientBuckets, OnlyFloat32ParametersAreBucketed) {
  const auto group = world_of_one(29633);
  const at::Tensor wide = at::zeros({2}, at::kDouble).set_requires_grad(true);
  EXPECT_THROW(GradientBuckets({wide}, *group, 1 << 20), Error);
}

}  // namespace
}  // namespace distill::distributed
