// Epoch orders and batch gathering.
#include "distill/data/batching.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "test_support.h"

namespace distill::data {
namespace {

TEST(Batching, EpochOrderIsAPermutationFixedBySeedAndEpoch) {
  const at::Tensor a = epoch_order(1000, 3, 5, true);
  EXPECT_TRUE(std::get<0>(a.sort()).equal(at::arange(1000, at::kLong)));
  EXPECT_TRUE(a.equal(epoch_order(1000, 3, 5, true)));
  EXPECT_FALSE(a.equal(epoch_order(1000, 3, 6, true)));
  EXPECT_FALSE(a.equal(epoch_order(1000, 4, 5, true)));
  EXPECT_TRUE(epoch_order(10, 3, 5, false).equal(at::arange(10, at::kLong)));
}

TEST(Batching, BatchesCoverTheDataOnceWithASmallerLastBatch) {
  Dataset d;
  d.features = at::arange(10, at::kFloat).view({10, 1});
  d.labels = at::arange(10, at::kLong) % 2;
  d.num_classes = 2;
  const at::Tensor order = epoch_order(10, 1, 0, true);
  ASSERT_EQ(batch_count(10, 4), 3);
  std::vector<at::Tensor> seen;
  for (int64_t b = 0; b < 3; ++b) {
    const Batch batch = gather_batch(d, order, b, 4);
    EXPECT_EQ(batch.inputs.size(0), b < 2 ? 4 : 2);
    EXPECT_TRUE(batch.inputs.view({-1}).equal(batch.indices.to(at::kFloat)));
    EXPECT_TRUE(batch.labels.equal(batch.indices % 2));
    seen.push_back(batch.indices);
  }
  EXPECT_TRUE(std::get<0>(at::cat(seen).sort()).equal(at::arange(10, at::kLong)));
}

}  // namespace
}  // namespace distill::data
