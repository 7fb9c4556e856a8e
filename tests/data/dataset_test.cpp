// Dataset validation, split and normalisation.
#include "distill/data/dataset.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"
#include "tensor_assertions.h"
#include "test_support.h"

namespace distill::data {
namespace {

Dataset make_dataset(int64_t n) {
  Dataset d;
  d.features = at::arange(n * 4, at::kFloat).view({n, 1, 2, 2});
  d.labels = at::arange(n, at::kLong) % 3;
  d.num_classes = 3;
  return d;
}

TEST(Dataset, SplitIsDisjointCompleteAndSeeded) {
  const Dataset d = make_dataset(100);
  const auto a = split_train_validation(d, 20, 7);
  const auto b = split_train_validation(d, 20, 7);
  const auto c = split_train_validation(d, 20, 8);
  EXPECT_EQ(a.train.size(), 80);
  EXPECT_EQ(a.validation.size(), 20);
  EXPECT_TRUE(a.validation.features.equal(b.validation.features));
  EXPECT_FALSE(a.validation.features.equal(c.validation.features));
  // Every sample lands in exactly one part: the first feature value identifies it.
  const at::Tensor ids = at::cat({a.train.features.select(1, 0).select(1, 0).select(1, 0),
                                  a.validation.features.select(1, 0).select(1, 0).select(1, 0)});
  EXPECT_TRUE(std::get<0>(ids.sort()).equal(at::arange(100, at::kFloat) * 4));
}

TEST(Dataset, SplitRejectsValidationAsLargeAsTheData) {
  try {
    split_train_validation(make_dataset(10), 10, 0);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "validation size must lie in [0, 9] for a dataset of 10 samples, got 10");
  }
}

TEST(Dataset, NormalizationStandardisesEachChannel) {
  Dataset d;
  d.features = at::randn({500, 3, 4, 4}) * at::tensor({1.0f, 5.0f, 0.1f}).view({1, 3, 1, 1}) +
               at::tensor({2.0f, -3.0f, 0.0f}).view({1, 3, 1, 1});
  const Normalization norm = Normalization::fit(d.features);
  ASSERT_EQ(norm.mean.size(), 3u);
  const at::Tensor z = norm.apply(d.features);
  EXPECT_TENSOR_CLOSE(z.mean({0, 2, 3}), at::zeros({3}), 1e-4, 0);
  EXPECT_TENSOR_CLOSE(z.std({0, 2, 3}, false), at::ones({3}), 1e-4, 0);
}

TEST(Dataset, NormalizationLeavesConstantFeaturesFinite) {
  const at::Tensor x = at::ones({10, 2});
  const at::Tensor z = Normalization::fit(x).apply(x);
  EXPECT_TRUE(z.isfinite().all().item<bool>());
}

TEST(Dataset, ValidateRejectsLabelsOutOfRange) {
  Dataset d = make_dataset(5);
  d.labels[2] = 3;
  try {
    validate_dataset(d, "training set");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "training set: labels must lie in [0, 2], found labels from 0 to 3");
  }
}

}  // namespace
}  // namespace distill::data
