// Tang et al.'s transfer-set augmentation on token ids: masking and replacement at their rates,
// replacements drawn from the nearest tokens, n-gram windows cut from the text, <cls> and
// padding kept, labels carried, the same copies for the same seed.
#include "distill/data/token_augmentation.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <set>

#include "distill/core/error.h"
#include "error_assertions.h"

namespace distill::data {
namespace {

using ::distill::testing::thrown_error;

/// `n` texts of <cls> + 20 tokens (ids 10..29) + 4 padding, vocabulary 64.
Dataset texts(int64_t n) {
  Dataset d;
  d.features = at::zeros({n, 25}, at::kLong);
  d.features.select(1, 0).fill_(2);
  d.features.narrow(1, 1, 20).copy_(at::arange(10, 30, at::kLong).expand({n, 20}));
  d.labels = at::arange(n, at::kLong) % 3;
  d.num_classes = 3;
  d.vocab_size = 64;
  return d;
}

TEST(TokenAugmentation, NearestTokensAreTheMostSimilarRowsNeverSpecialOrSelf) {
  // Rows 4..9 on two directions: 4, 5, 6 near (1, 0); 7, 8, 9 near (0, 1).
  at::Tensor embedding = at::zeros({10, 2});
  embedding.narrow(0, 0, 4).fill_(1.0);  // special ids: identical to everything, never chosen
  for (int64_t i : {4, 5, 6}) embedding[i] = at::tensor({1.0f, 0.01f * float(i)});
  for (int64_t i : {7, 8, 9}) embedding[i] = at::tensor({0.01f * float(i), 1.0f});
  const at::Tensor near = nearest_tokens(embedding, 2);
  EXPECT_EQ(std::set<int64_t>({near[4][0].item<int64_t>(), near[4][1].item<int64_t>()}),
            (std::set<int64_t>{5, 6}));
  EXPECT_EQ(std::set<int64_t>({near[8][0].item<int64_t>(), near[8][1].item<int64_t>()}),
            (std::set<int64_t>{7, 9}));
}

TEST(TokenAugmentation, MaskingAndReplacementHappenAtTheirRates) {
  TokenAugmentationOptions o;
  o.copies = 4;
  o.mask_probability = 0.2;
  o.replace_probability = 0.1;
  o.ngram_probability = 0;
  const at::Tensor neighbours = (at::arange(64, at::kLong).unsqueeze(1) + 100).expand({64, 3}) % 64;
  const Dataset train = texts(500);
  const Dataset out = augment_token_dataset(train, o, neighbours.contiguous(), 7);
  ASSERT_EQ(out.size(), 2000);
  EXPECT_TRUE(out.labels.equal(train.labels.repeat_interleave(4)));
  const at::Tensor body = out.features.narrow(1, 1, 20);
  const at::Tensor original = train.features.narrow(1, 1, 20).repeat_interleave(4, 0);
  const double masked = body.eq(3).to(at::kDouble).mean().item<double>();
  // A replaced token is its neighbour: (id + 100) % 64.
  const double replaced = body.eq((original + 100) % 64).to(at::kDouble).mean().item<double>();
  // 40 000 draws: the standard error of a rate near 0.2 is 0.002.
  EXPECT_NEAR(masked, 0.2, 0.01);
  EXPECT_NEAR(replaced, 0.1, 0.01);
  EXPECT_TRUE(out.features.select(1, 0).eq(2).all().item<bool>());      // <cls> stays
  EXPECT_TRUE(out.features.narrow(1, 21, 4).eq(0).all().item<bool>());  // padding stays
  EXPECT_TRUE(augment_token_dataset(train, o, neighbours.contiguous(), 7).features.equal(out.features));
  EXPECT_FALSE(augment_token_dataset(train, o, neighbours.contiguous(), 8).features.equal(out.features));
}

TEST(TokenAugmentation, NgramSamplingKeepsAContiguousWindow) {
  TokenAugmentationOptions o;
  o.copies = 2;
  o.mask_probability = 0;
  o.replace_probability = 0;
  o.ngram_probability = 1;
  o.ngram_max_tokens = 5;
  const Dataset out = augment_token_dataset(texts(200), o, at::Tensor(), 3);
  for (int64_t i = 0; i < out.size(); ++i) {
    const at::Tensor row = out.features[i];
    const int64_t length = row.ne(0).sum().item<int64_t>() - 1;  // without <cls>
    ASSERT_GE(length, 1);
    ASSERT_LE(length, 5);
    const int64_t first = row[1].item<int64_t>();
    // Consecutive ids of the original 10..29: a window of the text.
    EXPECT_TRUE(row.narrow(0, 1, length).equal(at::arange(first, first + length, at::kLong)));
  }
}

TEST(TokenAugmentation, OptionsOutOfRangeAreRefusedByName) {
  TokenAugmentationOptions o;
  o.mask_probability = 0.7;
  o.replace_probability = 0.5;
  EXPECT_STREQ(thrown_error([&] { validate_token_augmentation(o, "distill.transfer_set"); }).what(),
               "distill.transfer_set.mask_probability + replace_probability = 1.2: expected at most 1");
  o = {};
  o.copies = 1;
  EXPECT_NE(std::string(thrown_error([&] { augment_token_dataset(texts(2), o, at::Tensor(), 1); })
                            .what())
                .find("needs the teacher's (64, k) nearest tokens"),
            std::string::npos);
}

}  // namespace
}  // namespace distill::data
