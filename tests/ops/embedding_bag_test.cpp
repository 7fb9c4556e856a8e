// The mean embedding bag: the fast path held to libtorch's embedding_bag (mode mean) in value and
// in the table's gradient, both checked against the mean and its gradient written out by hand;
// empty bags, repeated rows, bad rows and offsets.
#include "distill/ops/embedding_bag.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/kernels/compute_path.h"
#include "error_assertions.h"
#include "tensor_assertions.h"

namespace distill::ops {
namespace {

using ::distill::testing::thrown_error;

at::Tensor longs(std::vector<int64_t> values) { return at::tensor(values, at::kLong); }

struct Bags {
  at::Tensor rows, offsets;
};

/// Bags of the bag student's shape: some empty, some holding one row several times, the rest
/// random rows of a 300-row table.
Bags student_like_bags() {
  std::vector<int64_t> rows, offsets;
  at::manual_seed(3);
  const at::Tensor random = at::randint(0, 300, {2000}, at::kLong);
  int64_t next = 0;
  for (int64_t b = 0; b < 40; ++b) {
    offsets.push_back(static_cast<int64_t>(rows.size()));
    const int64_t count = b % 7 == 3 ? 0 : b % 5 == 1 ? 1 : 10 + b;
    for (int64_t i = 0; i < count; ++i)
      rows.push_back(b % 9 == 2 ? 17 : random[next++ % 2000].item<int64_t>());
  }
  return {longs(rows), longs(offsets)};
}

/// The mean of each bag and d(Σ pooled·upstream)/d(table), written out by hand.
std::pair<at::Tensor, at::Tensor> by_hand(const at::Tensor& table, const Bags& bags,
                                          const at::Tensor& upstream) {
  const int64_t count = bags.offsets.size(0), n = bags.rows.size(0);
  at::Tensor pooled = at::zeros({count, table.size(1)}, at::kDouble);
  at::Tensor gradient = at::zeros(table.sizes(), at::kDouble);
  for (int64_t b = 0; b < count; ++b) {
    const int64_t first = bags.offsets[b].item<int64_t>();
    const int64_t last = b + 1 < count ? bags.offsets[b + 1].item<int64_t>() : n;
    for (int64_t i = first; i < last; ++i) {
      const int64_t row = bags.rows[i].item<int64_t>();
      pooled[b] += table[row].to(at::kDouble) / static_cast<double>(last - first);
      gradient[row] += upstream[b].to(at::kDouble) / static_cast<double>(last - first);
    }
  }
  return {pooled.to(at::kFloat), gradient.to(at::kFloat)};
}

TEST(EmbeddingBagMean, FastPathEqualsLibtorchAndTheMeanWrittenOut) {
  const Bags bags = student_like_bags();
  at::manual_seed(5);
  const at::Tensor table0 = at::randn({300, 24});
  const at::Tensor upstream = at::randn({bags.offsets.size(0), 24});
  auto run = [&](bool fast) {
    at::Tensor table = table0.clone().requires_grad_(true);
    const at::Tensor pooled = fast ? fast_embedding_bag_mean(table, bags.rows, bags.offsets)
                                   : std::get<0>(at::embedding_bag(table, bags.rows, bags.offsets,
                                                                   false, /*mean*/ 1));
    (pooled * upstream).sum().backward();
    return std::make_pair(pooled.detach(), table.grad());
  };
  const auto fast = run(true), reference = run(false);
  const auto expected = by_hand(table0, bags, upstream);
  EXPECT_TENSOR_CLOSE(fast.first, reference.first, 1e-5, 1e-5);
  EXPECT_TENSOR_CLOSE(fast.second, reference.second, 1e-5, 1e-5);
  EXPECT_TENSOR_CLOSE(fast.first, expected.first, 1e-5, 1e-5);
  EXPECT_TENSOR_CLOSE(fast.second, expected.second, 1e-5, 1e-5);
  // An empty bag pools to zeros; the repeated row's gradient is its bags' whole upstream.
  EXPECT_EQ(fast.first[3].abs().max().item<float>(), 0.0f);
  EXPECT_GT(fast.second[17].abs().max().item<float>(), 0.0f);
}

TEST(EmbeddingBagMean, FollowsTheComputePathAndFallsBackForOtherTypes) {
  const Bags bags = student_like_bags();
  const at::Tensor table = at::randn({300, 8});
  for (const auto path : {kernels::ComputePath::kReference, kernels::ComputePath::kFast}) {
    kernels::ScopedComputePath scoped(path);
    EXPECT_TENSOR_CLOSE(embedding_bag_mean(table, bags.rows, bags.offsets),
                        std::get<0>(at::embedding_bag(table, bags.rows, bags.offsets, false, 1)),
                        1e-5, 1e-5);
  }
  // A double table runs libtorch's own operation.
  const at::Tensor doubles = table.to(at::kDouble);
  EXPECT_EQ(fast_embedding_bag_mean(doubles, bags.rows, bags.offsets).scalar_type(), at::kDouble);
}

TEST(EmbeddingBagMean, BadRowsAndOffsetsAreRefusedWithTheirValues) {
  const at::Tensor table = at::randn({10, 4});
  EXPECT_STREQ(thrown_error([&] { fast_embedding_bag_mean(table, longs({1, 10}), longs({0})); }).what(),
               "row 10 at position 1 is outside the table's 10 rows");
  EXPECT_STREQ(thrown_error([&] { fast_embedding_bag_mean(table, longs({1, 2}), longs({0, 3})); }).what(),
               "bag 1 starts at offset 3: offsets must start at 0, ascend and stay within 2 rows");
  EXPECT_STREQ(thrown_error([&] { fast_embedding_bag_mean(table, longs({1, 2}), longs({1})); }).what(),
               "bag 0 starts at offset 1: offsets must start at 0, ascend and stay within 2 rows");
}

}  // namespace
}  // namespace distill::ops
